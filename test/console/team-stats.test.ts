import { expect } from 'chai';
import { parseHubConfig } from '../../src/config/hub-config';
import { teamStats } from '../../src/console/team-stats';
import type { InboundContact } from '../../src/core/contact';
import { ingestContact } from '../../src/core/ingest';
import { SlaClock } from '../../src/core/sla';
import { recordEvent } from '../../src/core/timeline';
import { createTestDb, storeName, type TestDb } from '../helpers/db';
import demoConfig from '../../config/klachtenhub.json';

const config = parseHubConfig(demoConfig, 'config/klachtenhub.json');
/** Thursday 5 November 2026, noon in Amsterdam: the fortnight is 23 October - 5 November, and the clocks went back on 25 October. */
const NOW = Date.parse('2026-11-05T12:00:00+01:00');
let sequence = 0;

describe(`team view figures (${storeName})`, () => {
  let store: TestDb;
  beforeEach(async () => {
    store = await createTestDb();
  });
  afterEach(() => store.destroy());

  async function opened(at: string, channel: 'sms' | 'email', acknowledgedAfterSeconds?: number): Promise<void> {
    const n = ++sequence;
    const from = channel === 'sms' ? { kind: 'phone' as const, value: `+3161234${String(n).padStart(4, '0')}` } : { kind: 'email' as const, value: `klant${n}@example.nl` };
    const contact: InboundContact = { channel, providerId: `team-${n}`, from, body: 'Klacht', at: Date.parse(at) };
    const { threadId } = await ingestContact({ db: store.db, sla: new SlaClock(config) }, contact);
    if (acknowledgedAfterSeconds !== undefined) await recordEvent(store.db, { threadId, kind: 'acknowledged', at: contact.at + acknowledgedAfterSeconds * 1000 });
  }

  it('counts each thread on its day by the business calendar, also around the clock change, and leaves older ones out', async () => {
    await opened('2026-10-22T23:59:00+02:00', 'sms', 5); // the day before the fortnight
    await opened('2026-10-23T00:01:00+02:00', 'sms', 5); // its first day
    await opened('2026-10-25T00:30:00+02:00', 'email', 20); // 25 October, before the clocks went back
    await opened('2026-10-25T23:30:00+01:00', 'sms', 40); // 25 October too: the day had 25 hours
    await opened('2026-10-26T00:10:00+01:00', 'sms'); // 26 October, not acknowledged
    await opened('2026-11-05T11:00:00+01:00', 'email', 8); // today

    const stats = await teamStats(store.db, { config, now: NOW });
    expect(stats.days[0]).to.equal('23/10');
    expect(stats.days[13]).to.equal('5/11');
    const perDay = (values: number[]) => Object.fromEntries(values.flatMap((value, day) => (value ? [[stats.days[day], value]] : [])));
    expect(perDay(stats.newThreads.sms)).to.deep.equal({ '23/10': 1, '25/10': 1, '26/10': 1 });
    expect(perDay(stats.newThreads.email)).to.deep.equal({ '25/10': 1, '5/11': 1 });
    // The median of 25 October's two acknowledgements (20 s and 40 s) is the upper one of the two.
    expect(perDay(stats.ackMedianSeconds)).to.deep.equal({ '23/10': 5, '25/10': 40, '5/11': 8 });
  });
});
