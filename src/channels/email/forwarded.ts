export interface MailAddress {
  address: string;
  name?: string;
}

const FORWARD_SUBJECT = /^\s*(\[[^\]]*\]\s*)*(fwd?|fw|doorst|wg)\s*:/i;
const FORWARD_SEPARATOR = /^\s*(-{2,}\s*(forwarded message|doorgestuurd bericht|original message|oorspronkelijk bericht)\s*-{2,}|_{10,}|begin forwarded message:)\s*$/i;
const FROM_LINE = /^\s*\*?(from|van):\*?\s*(.+)$/i;
/** "Piet Jansen <piet@example.com>", "Piet Jansen [mailto:piet@example.com]", "piet@example.com" */
const ADDRESS = /^(?:"?([^"<[]*?)"?\s*)?[<[](?:mailto:)?([^>\]\s]+@[^>\]\s]+)[>\]]|^([^\s<>@]+@[^\s<>]+)$/i;

/**
 * The customer a colleague forwarded to the complaints address: the From line of the forwarded
 * block (Gmail "---------- Forwarded message ---------", Outlook's "From:/Van:" block). Only mail
 * from the company's own domains counts as forwarded on someone's behalf: anyone else's forward
 * is their own complaint, or a way to pose as another customer.
 */
export function forwardedFor(args: { subject: string; text: string; sender: string | undefined; ownDomains: ReadonlySet<string> }): MailAddress | undefined {
  const senderDomain = args.sender?.split('@')[1];
  if (!senderDomain || !args.ownDomains.has(senderDomain) || !FORWARD_SUBJECT.test(args.subject)) return undefined;
  const lines = args.text.replace(/\r\n/g, '\n').split('\n');
  const separator = lines.findIndex((line) => FORWARD_SEPARATOR.test(line));
  if (separator === -1) return undefined;
  for (const line of lines.slice(separator + 1, separator + 4)) {
    const from = FROM_LINE.exec(line)?.[2];
    if (from === undefined) continue;
    const match = ADDRESS.exec(from.trim());
    const address = (match?.[2] ?? match?.[3])?.toLowerCase();
    if (!address || args.ownDomains.has(address.split('@')[1] ?? '')) return undefined;
    const name = match?.[1]?.trim();
    return name ? { address, name } : { address };
  }
  return undefined;
}
