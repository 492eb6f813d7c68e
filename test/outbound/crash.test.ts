import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import twilio from 'twilio';
import { openDb, type Db } from '../../src/core/db';
import { storeName } from '../helpers/db';
import { freshStore } from '../helpers/hub';
import { startHubProcess, type HubProcess } from '../helpers/hub-process';
import { ACCOUNT_SID, AUTH_TOKEN, HUB_NUMBER, TwilioStandIn, fixture, sid } from '../channels/twilio-helpers';

const PUBLIC_URL = 'https://hub.example.nl';
const CUSTOMER = '+31612345678';

/**
 * The crash the ledger is for: Twilio has taken the acknowledgement, and the hub is SIGKILLed
 * before it could commit that. Another hub process on the same store takes the send over when the
 * lease ends, finds the message in Twilio's Messages list, and records it: one SMS to her.
 */
describe(`outbound sends: the hub killed right after Twilio took a message (${storeName})`, function () {
  this.timeout(120_000);
  let api: TwilioStandIn;
  const hubs: HubProcess[] = [];
  let store: Awaited<ReturnType<typeof freshStore>>;
  let db: Db | undefined;

  beforeEach(async () => {
    api = new TwilioStandIn();
    await api.start();
    store = await freshStore();
  });
  afterEach(async () => {
    for (const hub of hubs.splice(0)) {
      hub.kill('SIGKILL');
      await hub.exited;
    }
    await db?.destroy();
    await api.stop();
    await store.drop();
  });

  const env = () => ({ DATABASE_URL: store.url, PUBLIC_URL, TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_PHONE_NUMBER: HUB_NUMBER, TWILIO_API_URL: api.url, STOP_DRAIN_MS: '0' });

  it('sends the acknowledgement once: the next hub finds it at Twilio and records it', async () => {
    const first = await startHubProcess(env());
    hubs.push(first);
    let killedAt = 0;
    api.onCreated = async () => {
      if (killedAt) return;
      first.kill('SIGKILL');
      await first.exited;
      killedAt = Date.now();
    };
    const form = fixture('sms-inbound', { MessageSid: sid('SM'), From: CUSTOMER });
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC_URL}/twilio/sms`, form);
    const stored = await fetch(`${first.base}/twilio/sms`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body: new URLSearchParams(form).toString() });
    expect(stored.status).to.equal(200);
    for (let waited = 0; !killedAt && waited < 30_000; waited += 50) await sleep(50);
    expect(killedAt, `the first hub sent nothing:\n${first.output()}`).to.be.greaterThan(0);

    db = openDb({ url: store.url });
    expect(await db('outbound_sends').first('state', 'attempts')).to.deep.equal({ state: 'sending', attempts: 1 });
    const second = await startHubProcess(env());
    hubs.push(second);
    let recordedAt = 0;
    for (const deadline = Date.now() + 30_000; !recordedAt && Date.now() < deadline; await sleep(50)) {
      if ((await db('outbound_sends').first('state'))?.state === 'sent') recordedAt = Date.now();
    }
    expect(recordedAt, `not recorded:\n${second.output()}`).to.be.greaterThan(0);
    expect(recordedAt - killedAt, 'taken over when the 4 s lease ran out').to.be.below(10_000);
    expect(api.created.messages.map((message) => message.to)).to.deep.equal([CUSTOMER]);
    expect(api.lookups().length).to.be.greaterThan(0);
    const contacts: { provider_id: string }[] = await db('contacts').where({ direction: 'outbound' }).select('provider_id');
    expect(contacts).to.deep.equal([{ provider_id: api.created.messages[0]?.sid }]);
    await sleep(1_000);
    expect(api.created.messages, 'and nothing sent after').to.have.length(1);
  });
});
