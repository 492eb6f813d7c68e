import { expect } from 'chai';
import { setPassword } from '../../src/console/credentials';
import { openSse } from '../channels/chat-client';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { ConsoleClient } from './console-client';

const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');

describe(`console actions that reach the customer's chat (${storeName})`, function () {
  this.timeout(30_000);
  let t: TestHub;
  let anna: ConsoleClient;

  beforeEach(async () => {
    t = await startHub({ now: TUESDAY_10 });
    await setPassword(t.hub.ctx.db, { agentId: 'anna', password: 'lange-zin-voor-anna', now: TUESDAY_10 });
    anna = new ConsoleClient(t);
    await anna.login('anna', 'lange-zin-voor-anna');
  });
  afterEach(async () => {
    await t?.stop();
  });

  it('offers free callback times in the customer\'s open chat, as buttons she can book', async () => {
    const session = (await t.request('POST', '/chat/sessions', { body: { name: 'Els' }, token: null })).json;
    const sent = await t.request('POST', `/chat/sessions/${session.sessionId}/messages`, { body: { text: 'Bel me maar.' }, token: session.token });
    const dossier = await anna.get(`/console/threads/${sent.json.reference}`);
    expect(dossier.html).to.contain('Laat de klant zelf kiezen in de chat');

    const offered = await anna.post(`/console/threads/${sent.json.reference}/chat-offer`, {});
    expect(offered.location).to.equal(`/console/threads/${sent.json.reference}?done=chat-offer`);
    const stream = await openSse(`${t.base}/chat/sessions/${session.sessionId}/events`, { authorization: `Bearer ${session.token}` });
    try {
      const events = await stream.waitFor(2);
      const offer = events.find((event) => event.data.kind === 'offer');
      expect(offer?.data.data.slots).to.have.length(3);
    } finally {
      stream.close();
    }
  });

  it('says so when the thread has no chat, instead of offering nothing', async () => {
    const { reference } = await t.hub.ingest({ channel: 'sms', providerId: 'SMx', from: { kind: 'phone', value: '+31612345678' }, body: 'Geen chat', at: TUESDAY_10 });
    expect((await anna.get(`/console/threads/${reference}`)).html).not.to.contain('Laat de klant zelf kiezen in de chat');
    const refused = await anna.post(`/console/threads/${reference}/chat-offer`, {});
    expect(refused.location).to.equal(`/console/threads/${reference}?problem=${encodeURIComponent(`${reference} has no chat to offer times in`)}`);
  });
});
