import { expect } from 'chai';
import { isUniqueViolation } from '../../src/core/db';
import { createTestDb, storeName, type TestDb } from '../helpers/db';

const START = Date.parse('2026-11-24T14:00:00+01:00');
const END = START + 15 * 60_000;

describe(`callbacks: storage (${storeName})`, () => {
  let t: TestDb;
  let threadIds: number[];

  beforeEach(async () => {
    t = await createTestDb();
    const [customer] = await t.db('customers').insert({ name: 'Jan', created_at: START }, ['id']);
    threadIds = [];
    for (const reference of ['KL-10000009', 'KL-10000017', 'KL-10000025']) {
      const [thread] = await t.db('threads').insert(
        { reference, customer_id: customer.id, status: 'open', language: 'nl', channel: 'sms', team_id: 'service', created_at: START, updated_at: START },
        ['id'],
      );
      threadIds.push(thread.id);
    }
  });
  afterEach(async () => {
    await t?.destroy();
  });

  const callback = (threadIndex: number, agent: string, status = 'booked') => ({
    thread_id: threadIds[threadIndex],
    team_id: 'service',
    agent_id: agent,
    start: START,
    end: END,
    status,
    booked_via: 'api',
    created_at: START,
  });

  async function refused(row: ReturnType<typeof callback>): Promise<boolean> {
    try {
      await t.db('callbacks').insert(row);
      return false;
    } catch (error) {
      if (isUniqueViolation(error)) return true;
      throw error;
    }
  }

  it('refuses a second booked callback for the same agent and start, whatever the thread', async () => {
    await t.db('callbacks').insert(callback(0, 'anna'));
    expect(await refused(callback(1, 'anna'))).to.equal(true);
    expect(await refused(callback(1, 'bram'))).to.equal(false);
  });

  it('lets cancelled, done and missed callbacks share an agent and start with the booked one', async () => {
    await t.db('callbacks').insert([callback(0, 'anna', 'cancelled'), callback(1, 'anna', 'done'), callback(2, 'anna', 'missed')]);
    expect(await refused(callback(2, 'anna'))).to.equal(false);
  });

  it('refuses a second booked callback for one thread', async () => {
    await t.db('callbacks').insert(callback(0, 'anna'));
    expect(await refused({ ...callback(0, 'bram'), start: START + 3_600_000, end: END + 3_600_000 })).to.equal(true);
  });
});
