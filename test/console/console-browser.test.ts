import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { setPassword } from '../../src/console/credentials';
import { ACCOUNT_SID, AUTH_TOKEN, HUB_NUMBER, TwilioStandIn } from '../channels/twilio-helpers';
import { chromiumForSuite, pageProblems, screenshotPath } from '../helpers/browser';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';

const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
const PASSWORD = 'lange-zin-voor-anna';

describe(`agents' console in a real Chromium (${storeName})`, function () {
  this.timeout(60_000);
  const browser = chromiumForSuite();
  let t: TestHub;
  let twilio: TwilioStandIn;
  let page: Page;
  let problems: string[] = [];

  beforeEach(async () => {
    twilio = new TwilioStandIn();
    await twilio.start();
    t = await startHub({
      now: TUESDAY_10,
      env: { PUBLIC_URL: 'https://hub.example.nl', TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_PHONE_NUMBER: HUB_NUMBER, TWILIO_API_URL: twilio.url },
    });
    await setPassword(t.hub.ctx.db, { agentId: 'anna', password: PASSWORD, now: TUESDAY_10 });
    page = await browser().newPage({ viewport: { width: 1280, height: 900 } });
    problems = pageProblems(page);
  });
  afterEach(async () => {
    await page?.close();
    await t?.stop();
    await twilio?.stop();
  });

  /**
   * Els texts, then emails with the reference from her acknowledgement: the mail reaches her
   * thread, but her address is only a claim until an agent confirms it. A few other customers
   * fill the inbox.
   */
  async function smsThenEmail(): Promise<string> {
    const { reference } = await t.hub.ingest({ channel: 'sms', providerId: 'SMels1', from: { kind: 'phone', value: '+31612345678' }, name: 'Els Jansen', body: 'Mijn pakket is niet aangekomen. <b>Bestelling 88231</b>', at: TUESDAY_10 - 3_600_000 });
    await t.hub.ingest({ channel: 'email', providerId: '<els-2@gmail.com>', messageId: '<els-2@gmail.com>', from: { kind: 'email', value: 'els.jansen@gmail.com' }, subject: `Re: ${reference}`, body: 'Hierbij de foto van de lege brievenbus.', at: TUESDAY_10 - 1_800_000 });
    const others = [
      { channel: 'email' as const, from: { kind: 'email' as const, value: 'piet@example.com' }, name: 'Piet Bakker', body: 'Factuur klopt niet' },
      { channel: 'sms' as const, from: { kind: 'phone' as const, value: '+31687654321' }, name: 'Sanne de Wit', body: 'Monteur niet gekomen' },
      { channel: 'chat' as const, from: { kind: 'chat' as const, value: 'chat-session-1' }, name: 'Kees', body: 'Wachttijd te lang' },
    ];
    for (const [i, other] of others.entries()) await t.hub.ingest({ ...other, providerId: `other-${i}`, at: TUESDAY_10 - (i + 1) * 600_000 });
    await t.hub.worker.runDue();
    return reference;
  }

  it('an agent logs in, sees SMS and email as one dossier, confirms the unproven mail address, replies by SMS, records advice that the handoff card then carries, books a callback and resolves', async () => {
    const reference = await smsThenEmail();
    await page.goto(`${t.base}/console`);
    expect(page.url()).to.contain('/console/login');
    await page.getByLabel('Medewerker').fill('anna');
    await page.getByLabel('Wachtwoord').fill(PASSWORD);
    await page.getByRole('button', { name: 'Inloggen' }).click();
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    expect(await page.locator('table.inbox tbody tr').count()).to.equal(4);
    await page.screenshot({ path: screenshotPath('console-inbox'), fullPage: true });

    await page.getByRole('link', { name: reference }).click();
    const timeline = page.locator('.timeline');
    await timeline.getByText('SMS van de klant').waitFor();
    expect(await timeline.getByText('E-mail van de klant').count()).to.equal(1);
    expect(await timeline.getByText('Mijn pakket is niet aangekomen. <b>Bestelling 88231</b>').count()).to.equal(1);
    const mail = timeline.locator('li.entry', { hasText: 'E-mail van de klant' });
    expect(await mail.locator('.unverified').textContent()).to.equal('niet geverifieerd');
    expect(await mail.locator('.meta').textContent()).to.contain('van els.jansen@gmail.com');
    expect(await page.locator('.identities').textContent()).not.to.contain('els.jansen@gmail.com');

    // Els confirms on the phone that the mail was hers.
    const claim = page.locator('.claims li', { hasText: 'els.jansen@gmail.com' });
    expect(await claim.locator('.via').textContent()).to.contain('mogelijk e-mailadres: noemde het klachtnummer');
    await claim.getByRole('button', { name: 'Bevestigen' }).click();
    await page.getByText('Het adres is bevestigd.').waitFor();
    expect(await page.locator('.identities').textContent()).to.contain('els.jansen@gmail.com').and.contain('bevestigd door Anna de Vries');
    expect(await page.locator('.claims').count()).to.equal(0);
    expect(await timeline.locator('li.entry', { hasText: 'E-mail van de klant' }).locator('.verified').textContent()).to.equal('geverifieerd');

    await page.getByLabel('Kanaal').selectOption('sms');
    await page.getByLabel('Bericht').fill('We sturen vandaag een nieuw pakket.');
    await page.getByRole('button', { name: 'Versturen' }).click();
    await page.getByText('Uw antwoord is verstuurd.').waitFor();
    const sms = twilio.messages().map((request) => request.form);
    expect(sms.at(-1)).to.include({ To: '+31612345678', Body: 'We sturen vandaag een nieuw pakket.' });

    await page.getByLabel('Gegeven advies').fill('Pakket opnieuw verzonden, track-and-trace gemaild.');
    await page.getByRole('button', { name: 'Vastleggen' }).click();
    await page.getByText('Het advies is vastgelegd.').waitFor();
    await page.getByText('Overdrachtskaart die meegaat').click();
    expect(await page.locator('pre.handoff').textContent()).to.contain('Pakket opnieuw verzonden, track-and-trace gemaild.');

    const slot = page.locator('.slots button').first();
    const when = (await slot.textContent()) ?? '';
    await slot.click();
    await page.getByText('De terugbelafspraak staat.').waitFor();
    expect(await page.getByText(`Terugbellen: ${when}`).count()).to.equal(1);
    await page.screenshot({ path: screenshotPath('console-dossier'), fullPage: true });

    await page.getByLabel('Oplossing').fill('Nieuw pakket bezorgd.');
    await page.getByRole('button', { name: 'Afhandelen' }).click();
    await page.getByText('De klacht is afgehandeld.').waitFor();
    const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
    expect(dossier.status).to.equal('resolved');
    // Resolving calls the callback off (the customer is told).
    expect(dossier.callbacks.map((c: { status: string }) => c.status)).to.deep.equal(['cancelled']);
    expect(dossier.advice.map((a: { agent: string; text: string }) => [a.agent, a.text])).to.deep.equal([['anna', 'Pakket opnieuw verzonden, track-and-trace gemaild.']]);

    await page.getByRole('link', { name: 'Team' }).click();
    await page.getByRole('heading', { name: 'Team: worden de beloftes gehouden?' }).waitFor();
    expect(await page.locator('.charts svg').count()).to.equal(5);
    await page.screenshot({ path: screenshotPath('console-team'), fullPage: true });
    expect(problems).to.deep.equal([]);
  });
});
