import { chatSessionById, type ChatSession } from '../core/chat';
import type { DbOrTrx } from '../core/db';
import { ownerOf } from '../core/proof';
import { adoptProvenAddress } from './chat-proof';
import { attemptCode, newestCode, type AttemptOutcome, type CodeAddress } from './codes';
import { lockAddress, lockSession } from './locks';
import { sendCode, type SendOutcome, type VerificationDeps } from './send-code';

/** Asking for a code: sent, refused (for the first address tried, and why), or nothing is left to prove. */
export type CodeRequest = SendOutcome | { outcome: 'nothing_to_prove' };

export type VerifyOutcome =
  | { outcome: 'proven'; verified: CodeAddress; reference: string | null; next: CodeRequest }
  | Exclude<AttemptOutcome, { outcome: 'proven' }>
  | { outcome: 'no_code' };

/**
 * Sends a code to the next address the chat typed and has not proven: the one of its newest
 * code when that is still unproven (asking again), otherwise email before phone. When an address
 * cannot take a code now (its hour's codes are used up, the number texted STOP), the other is
 * tried. Used when the session starts, after each proof, and when the customer asks again.
 */
export async function requestCode(deps: VerificationDeps, session: ChatSession): Promise<CodeRequest> {
  const unproven = await addressesToProve(deps.db, session);
  const current = await newestCode(deps.db, session.id);
  const first = unproven.findIndex((address) => current && !current.proven && address.kind === current.address.kind && address.value === current.address.value);
  const order = first > 0 ? [...unproven.slice(first), ...unproven.slice(0, first)] : unproven;
  let refused: SendOutcome | undefined;
  for (const address of order) {
    const sent = await sendCode(deps, { sessionId: session.id, language: session.language, address });
    if (sent.outcome === 'sent') return sent;
    refused ??= sent;
  }
  return refused ?? { outcome: 'nothing_to_prove' };
}

/**
 * Checks a code typed in the chat against the session's newest code. A correct one proves its
 * address (see adoptProvenAddress) in the same transaction as the try that counted it; then the
 * next address, if any, gets its code.
 */
export async function verifyCode(deps: VerificationDeps, args: { sessionId: string; typed: string }): Promise<VerifyOutcome> {
  const now = deps.clock();
  const checked = await deps.db.transaction(async (trx) => {
    await lockSession(trx, args.sessionId);
    const stored = await newestCode(trx, args.sessionId);
    if (!stored || stored.proven) return { outcome: 'no_code' } as const;
    await lockAddress(trx, stored.address);
    const attempt = await attemptCode(trx, { sessionId: args.sessionId, stored, typed: args.typed, now });
    if (attempt.outcome !== 'proven') return attempt;
    // Read under the lock: the session's thread may have changed since the request began.
    const session = (await chatSessionById(trx, args.sessionId)) as ChatSession;
    const { reference } = await adoptProvenAddress(trx, { session, address: stored.address, now });
    return { outcome: 'proven', session, verified: stored.address, reference } as const;
  });
  if (checked.outcome !== 'proven') return checked;
  const { session, verified, reference } = checked;
  return { outcome: 'proven', verified, reference, next: await requestCode(deps, session) };
}

/** The addresses typed into the chat (email first) that are not yet proven to be its customer's. */
async function addressesToProve(db: DbOrTrx, session: ChatSession): Promise<CodeAddress[]> {
  const typed: CodeAddress[] = [
    ...(session.email ? [{ kind: 'email' as const, value: session.email }] : []),
    ...(session.phone ? [{ kind: 'phone' as const, value: session.phone }] : []),
  ];
  const chatOwner = await ownerOf(db, { kind: 'chat', value: session.id });
  const unproven: CodeAddress[] = [];
  for (const address of typed) {
    if (chatOwner === undefined || (await ownerOf(db, address)) !== chatOwner) unproven.push(address);
  }
  return unproven;
}
