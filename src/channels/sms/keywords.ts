/**
 * Twilio's standard opt-out and opt-in words. They count only as the whole message, in any
 * case ("stop", "Stop."), so "stop met bellen" stays an ordinary complaint text.
 */
const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']);
const OPT_IN = new Set(['START', 'YES', 'UNSTOP']);

export type ConsentKeyword = { optedOut: boolean; keyword: string };

export function consentKeyword(body: string): ConsentKeyword | undefined {
  const word = body.trim().replace(/[.!]+$/, '').toUpperCase();
  if (OPT_OUT.has(word)) return { optedOut: true, keyword: word };
  if (OPT_IN.has(word)) return { optedOut: false, keyword: word };
  return undefined;
}
