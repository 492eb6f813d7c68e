/** The bare address of a mailbox as configured: "Klantenservice <Klachten@Example.nl>" → "klachten@example.nl". */
export function bareAddress(mailbox: string): string | undefined {
  return /([^<\s]+@[^>\s]+)>?\s*$/.exec(mailbox)?.[1]?.toLowerCase();
}
