import { expect } from 'chai';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';

/** Tuesday 24 November 2026, 10:00 in Amsterdam (demo config: Anna and Bram, 15-minute slots). */
const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
const DAY = 24 * 60 * 60_000;

describe(`callbacks: the booking page behind the emailed link (${storeName})`, function () {
  let t: TestHub;

  beforeEach(async () => {
    t = await startHub({ now: TUESDAY_10, env: { PUBLIC_URL: 'https://hub.example.nl', CALLBACK_LINK_SECRET: 'link-secret-for-tests' } });
  });
  afterEach(async () => {
    await t?.stop();
  });

  /** A complaint by email, acknowledged: the path of the link in the acknowledgement. */
  async function linkFromAcknowledgement(): Promise<{ reference: string; path: string; token: string }> {
    const { reference } = await t.hub.ingest({
      channel: 'email',
      providerId: '<k1@mail.example.nl>',
      messageId: '<k1@mail.example.nl>',
      from: { kind: 'email', value: 'els@example.nl' },
      name: 'Els Jansen',
      subject: 'Pakket beschadigd',
      body: 'Mijn pakket kwam beschadigd aan.',
      at: TUESDAY_10,
    });
    await t.hub.worker.runDue();
    const [mail] = await t.hub.ctx.db('outbox').where({ channel: 'email', purpose: 'acknowledgement' }).select('body');
    const link = /https:\/\/hub\.example\.nl(\/callbacks\/offer\?token=([\w.-]+))/.exec(mail?.body ?? '');
    expect(link, mail?.body).to.not.equal(null);
    return { reference, path: link?.[1] as string, token: link?.[2] as string };
  }

  const post = (fields: Record<string, string>) =>
    t.request('POST', '/callbacks/offer', { rawBody: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' }, token: null });
  const startsOn = (html: string) => [...html.matchAll(/name="start" value="(\d+)"/g)].map((match) => Number(match[1]));

  it('lists free times as buttons on GET, books the one posted, and confirms it by email', async () => {
    const { reference, path, token } = await linkFromAcknowledgement();
    const page = await t.request('GET', path, { token: null });
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/text\/html/);
    expect(page.headers.get('referrer-policy')).to.equal('no-referrer');
    expect(page.text).to.contain(`Terugbelafspraak ${reference}`).and.contain('dinsdag 24 november om 10:30');
    const [first] = startsOn(page.text);
    expect(first).to.equal(Date.parse('2026-11-24T10:30:00+01:00'));
    // Showing the page books nothing: mail scanners follow links.
    expect((await t.request('GET', `/api/threads/${reference}`)).json.callbacks).to.deep.equal([]);

    const booked = await post({ token, start: String(first) });
    expect(booked.status).to.equal(200);
    expect(booked.text).to.contain('Uw terugbelafspraak staat').and.contain('Wij bellen u <strong>dinsdag 24 november om 10:30</strong>');
    const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
    expect(dossier.callbacks).to.have.length(1);
    expect(dossier.timeline.find((event: { kind: string }) => event.kind === 'callback-booked').data.via).to.equal('email');
    await t.hub.worker.runDue();
    const confirmation = await t.hub.ctx.db('outbox').where({ channel: 'email', purpose: 'callback' }).first('subject', 'body');
    expect(confirmation).to.deep.include({ subject: `Terugbelafspraak dinsdag 24 november om 10:30 [${reference}]` });
    // By email the way to change it is the page, not an SMS word.
    expect(confirmation?.body).to.match(/Wijzigen of afzeggen: https:\/\/hub\.example\.nl\/callbacks\/offer\?token=/).and.not.contain('VERZET');
  });

  it('shows a fresh list with a note when the time is no longer free, never an error page; cancels on request', async () => {
    const { reference, token } = await linkFromAcknowledgement();
    const taken = await post({ token, start: String(Date.parse('2026-11-24T10:31:00+01:00')) });
    expect(taken.status).to.equal(200);
    expect(taken.text).to.contain('Dat tijdstip is net vergeven');
    expect(startsOn(taken.text)).to.have.length(6);

    await post({ token, start: String(Date.parse('2026-11-24T10:30:00+01:00')) });
    const cancelled = await post({ token, cancel: '1' });
    expect(cancelled.text).to.contain('Uw terugbelafspraak is geannuleerd');
    const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
    expect(dossier.callbacks.map((callback: { status: string }) => callback.status)).to.deep.equal(['cancelled']);
  });

  it('refuses a forged, a mangled and an expired link with a page that says so', async () => {
    const { token } = await linkFromAcknowledgement();
    const [payload, signature] = token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ t: 2, e: TUESDAY_10 + DAY })).toString('base64url');
    for (const bad of [`${forgedPayload}.${signature}`, `${payload}.${signature?.slice(1)}`, 'garbage', '']) {
      const page = await t.request('GET', `/callbacks/offer?token=${encodeURIComponent(bad)}`, { token: null });
      expect(page.status, bad).to.equal(400);
      expect(page.text).to.contain('Deze link is niet geldig');
      expect(page.text).not.to.contain('name="start"');
    }
    expect((await post({ token: 'garbage', start: '1' })).status).to.equal(400);
    t.setNow(TUESDAY_10 + 8 * DAY);
    const expired = await t.request('GET', `/callbacks/offer?token=${token}`, { token: null });
    expect(expired.status).to.equal(410);
    expect(expired.text).to.contain('Deze link is verlopen');
  });
});
