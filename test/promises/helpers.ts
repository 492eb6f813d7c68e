import { join } from 'node:path';
import { loadHubConfig, parseHubConfig, type HubConfig } from '../../src/config/hub-config';
import type { InboundContact } from '../../src/core/contact';
import type { TestHub } from '../helpers/hub';

/** Tuesday 24 November 2026, 10:00 in Amsterdam. Demo hours: Tue 09:00-12:30 and 13:30-17:00, the other weekdays 09:00-17:00. */
export const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
export const CUSTOMER = '+31612345678';
export const MINUTE = 60_000;

/** The demo configuration with some keys replaced (a test says what it depends on). */
export function configWith(changes: Record<string, unknown>): HubConfig {
  const demo = loadHubConfig(join(__dirname, '..', '..', 'config', 'klachtenhub.json'));
  const raw = JSON.parse(JSON.stringify(demo)) as Record<string, unknown>;
  return parseHubConfig({ ...raw, ...changes }, 'test');
}

let sequence = 0;

/** Els complains by SMS from her own number; the acknowledgement job runs. */
export async function smsComplaint(t: TestHub, extra: Partial<InboundContact> = {}): Promise<{ reference: string; threadId: number }> {
  const { reference, threadId } = await t.hub.ingest({
    channel: 'sms',
    providerId: `SMpromise${++sequence}${Date.now()}`,
    from: { kind: 'phone', value: CUSTOMER },
    name: 'Els Jansen',
    body: 'Mijn mobiele telefoon doet het niet',
    at: t.now(),
    ...extra,
  });
  await runAll(t);
  return { reference, threadId };
}

/** Runs due jobs until none is left: a job may ask for another at once (a broken promise's notice). */
export async function runAll(t: TestHub): Promise<void> {
  for (let round = 0; round < 20 && (await t.hub.worker.runDue()) > 0; round++);
}

/** Moves the clock and runs what is due then. */
export async function at(t: TestHub, iso: string): Promise<void> {
  t.setNow(Date.parse(iso));
  await runAll(t);
}

export async function outbox(t: TestHub, filter: Record<string, string> = {}): Promise<{ channel: string; recipient: string; subject: string | null; body: string; purpose: string }[]> {
  return t.hub.ctx.db('outbox').where(filter).orderBy('id').select('channel', 'recipient', 'subject', 'body', 'purpose');
}

export async function dossier(t: TestHub, reference: string): Promise<any> {
  return (await t.request('GET', `/api/threads/${reference}`)).json;
}
