import { expect } from 'chai';
import { setPassword } from '../../src/console/credentials';
import type { InboundContact } from '../../src/core/contact';
import { openSse } from '../channels/chat-client';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { ConsoleClient } from './console-client';

const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');

describe(`console actions (${storeName})`, function () {
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

  describe("that reach the customer's chat", () => {
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

  describe("on the customer's addresses", () => {
    const page = async (reference: string) => (await anna.get(`/console/threads/${reference}`)).html;
    /** The customer panel alone, so a word in the timeline cannot pass for it. */
    const panel = async (reference: string) => /<section class="panel" aria-labelledby="customer-title">[\s\S]*?<\/section>/.exec(await page(reference))?.[0] ?? '';
    const mailFromJan = (extra: Partial<InboundContact> = {}) =>
      t.hub.ingest({ channel: 'email', providerId: `<jan-${extra.at ?? TUESDAY_10}@example.nl>`, from: { kind: 'email', value: 'jan@example.nl' }, name: 'Jan', body: 'Mijn meter is kapot', at: TUESDAY_10, ...extra });

    it('shows a number from her mail as "mogelijk telefoonnummer"; once the agent confirms it, it is proven by her and the SMS reply goes there', async () => {
      const { reference } = await mailFromJan({ body: 'Bel me op 06 87654321', claimedIdentities: [{ kind: 'phone', value: '06 87654321', via: 'email-text' }] });
      const before = await panel(reference);
      expect(before).to.contain('+31687654321').and.contain('mogelijk telefoonnummer: stond in de tekst van een e-mail').and.contain('Bevestigen').and.contain('Afwijzen');
      expect(before).to.contain('jan@example.nl <span class="proof">via het kanaal</span>');
      expect(await page(reference)).to.contain('<dt>Mogelijk telefoonnummer</dt><dd>+31687654321</dd><dt>Herkomst</dt><dd>stond in de tekst van een e-mail</dd>');

      t.setNow(TUESDAY_10 + 5 * 60_000);
      const confirmed = await anna.post(`/console/threads/${reference}/identities/confirm`, { kind: 'phone', value: '+31687654321' });
      expect(confirmed.location).to.equal(`/console/threads/${reference}?done=identities/confirm`);
      const after = await anna.get(confirmed.location ?? '');
      expect(after.html).to.contain('Het adres is bevestigd.');
      expect(await panel(reference)).to.contain('+31687654321 <span class="proof">bevestigd door Anna de Vries op di 24 nov 10:05</span>').and.not.contain('mogelijk telefoonnummer');
      expect(after.html).to.contain('Adres van de klant bewezen').and.contain('<dt>Bewijs</dt><dd>bevestigd door Anna de Vries</dd>');

      const reply = await t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'anna', text: 'We bellen u.', channel: 'sms' } });
      expect(reply.json).to.deep.equal({ reply: { channel: 'sms', to: '+31687654321' } });
    });

    it('marks a contact from an unproven address "niet geverifieerd" with that address, until the agent confirms the address', async () => {
      const { reference } = await mailFromJan();
      await t.hub.ingest({ channel: 'email', providerId: '<buur-1@example.nl>', from: { kind: 'email', value: 'buurman@example.nl' }, subject: `Over ${reference}`, body: 'Ik schrijf namens Jan', at: TUESDAY_10 + 60_000 });
      const html = await page(reference);
      expect(html).to.contain('E-mail van de klant</strong> · van buurman@example.nl · <span class="unverified">niet geverifieerd</span>');
      expect(html).to.contain('E-mail van de klant</strong> · van jan@example.nl · <span class="verified">geverifieerd</span>');
      expect(await panel(reference)).to.contain('mogelijk e-mailadres: noemde het klachtnummer');

      await anna.post(`/console/threads/${reference}/identities/confirm`, { kind: 'email', value: 'buurman@example.nl' });
      expect(await page(reference)).not.to.contain('niet geverifieerd');
    });

    it('turns a claim down: it leaves the dossier, and the timeline says who did', async () => {
      const { reference } = await mailFromJan({ claimedIdentities: [{ kind: 'phone', value: '06 87654321', via: 'email-text' }] });
      const rejected = await anna.post(`/console/threads/${reference}/identities/reject`, { kind: 'phone', value: '+31687654321' });
      expect(rejected.location).to.equal(`/console/threads/${reference}?done=identities/reject`);
      expect(await panel(reference)).not.to.contain('+31687654321');
      const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
      expect(dossier.customer.claims).to.deep.equal([]);
      expect(await page(reference)).to.contain('Mogelijk adres afgewezen').and.contain('<dt>Afgewezen door</dt><dd>Anna de Vries</dd>');
    });

    it('confirms an address the customer gave on the phone, typed in any notation', async () => {
      const { reference } = await mailFromJan();
      await anna.post(`/console/threads/${reference}/identities/confirm`, { kind: 'phone', value: '06 1234 5678' });
      const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
      expect(dossier.customer.identities).to.deep.include({ kind: 'phone', value: '+31612345678', proof: 'agent', by: 'anna', at: '2026-11-24T10:00:00+01:00' });
    });

    it('shows the refusal on the dossier page when the address is proven for another customer, or is no address', async () => {
      const { reference } = await mailFromJan();
      await t.hub.ingest({ channel: 'sms', providerId: 'SMpiet', from: { kind: 'phone', value: '+31611111111' }, body: 'Ik ben Piet', at: TUESDAY_10 });
      const taken = await anna.post(`/console/threads/${reference}/identities/confirm`, { kind: 'phone', value: '0611111111' });
      expect(taken.location).to.match(new RegExp(`^/console/threads/${reference}\\?problem=`));
      const shown = await anna.get(taken.location ?? '');
      expect(shown.status).to.equal(200);
      expect(shown.html).to.contain('<p class="problem" role="alert">+31611111111 is a proven address of another customer; merge the customers instead</p>');

      const garbage = await anna.post(`/console/threads/${reference}/identities/confirm`, { kind: 'phone', value: 'geen nummer' });
      expect((await anna.get(garbage.location ?? '')).html).to.contain('geen nummer is not a valid phone');
      const chat = await anna.post(`/console/threads/${reference}/identities/confirm`, { kind: 'chat', value: 'session-1' });
      expect(chat.location).to.equal(`/console/threads/${reference}?problem=${encodeURIComponent('Vul het formulier volledig in.')}`);
      expect((await t.request('GET', `/api/threads/${reference}`)).json.customer.phones).to.deep.equal([]);
    });

    it('refuses a confirm without the form\'s CSRF token (403), and proves nothing', async () => {
      const { reference } = await mailFromJan();
      const forged = await anna.post(`/console/threads/${reference}/identities/confirm`, { kind: 'phone', value: '0612345678' }, { withCsrf: false });
      expect(forged.status).to.equal(403);
      expect((await t.request('GET', `/api/threads/${reference}`)).json.customer.phones).to.deep.equal([]);
    });
  });
});
