import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { chromiumForSuite, pageProblems, screenshotPath } from '../helpers/browser';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';

const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
const CHROMIUM_400 = 'console: Failed to load resource: the server responded with a status of 400 (Bad Request)';
const CHROMIUM_429 = 'console: Failed to load resource: the server responded with a status of 429 (Too Many Requests)';

/** A shop's own page on another origin, with nothing but the widget's script tag. */
async function startShopPage(hubBase: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><html lang="nl"><head><title>Webwinkel</title></head><body><h1>Webwinkel De Lamp</h1><p>Welkom.</p><script src="${hubBase}/chat/widget.js" data-lang="nl" defer></script></body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe(`web chat in a real Chromium (${storeName})`, function () {
  this.timeout(60_000);
  const browser = chromiumForSuite();
  let t: TestHub;
  let shop: Awaited<ReturnType<typeof startShopPage>>;
  let page: Page;
  let problems: string[] = [];

  beforeEach(async () => {
    t = await startHub({ now: TUESDAY_10 });
    shop = await startShopPage(t.base);
    page = await browser().newPage({ viewport: { width: 900, height: 720 } });
    problems = pageProblems(page);
  });
  afterEach(async () => {
    await page?.close();
    await shop?.close();
    await t?.stop();
  });

  const log = () => page.getByRole('log');
  const verifyBox = () => page.locator('.kh-chat__verify');

  /** The newest code the hub sent to an address (recorded in the outbox: no provider is configured). */
  async function newestCode(to: string): Promise<string> {
    const { messages } = (await t.request('GET', '/api/outbox')).json as { messages: { to: string; purpose: string; body: string }[] };
    const code = /\b(\d{6})\b/.exec(messages.find((message) => message.to === to && message.purpose === 'verification')?.body ?? '')?.[1];
    if (!code) throw new Error(`no code was sent to ${to}`);
    return code;
  }

  /** Types a code and confirms it, waiting for the hub's answer. */
  async function typeCode(code: string): Promise<void> {
    const input = page.getByLabel('Code', { exact: true });
    await input.fill(code);
    await Promise.all([page.waitForResponse((response) => response.url().endsWith('/verify')), input.press('Enter')]);
  }

  it('a customer chats from the widget on a shop page, gets the reference and an agent reply live, reloads and sees it all, and books a callback', async () => {
    await page.goto(shop.url);
    await page.getByRole('button', { name: 'Chat met ons' }).click();
    await page.getByLabel('Naam').fill('Els Jansen');
    await page.getByRole('button', { name: 'Start de chat' }).click();

    await page.getByLabel('Uw bericht').fill('Mijn lamp is kapot aangekomen.');
    await page.getByLabel('Uw bericht').press('Enter');
    await expect_text(page, log(), 'Mijn lamp is kapot aangekomen.');
    const reference = (await page.locator('.kh-chat__reference').textContent())?.replace('Klachtnummer: ', '') ?? '';
    expect(reference).to.match(/^KL-\d{8}$/);

    await t.hub.worker.runDue();
    await expect_text(page, log(), `onder nummer ${reference}`);
    const reply = await t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'anna', text: 'We sturen vandaag een nieuwe lamp.' } });
    expect(reply.status).to.equal(201);
    await expect_text(page, log(), 'We sturen vandaag een nieuwe lamp.');

    await page.getByLabel('Uw bericht').fill('<img src=x onerror=alert(1)>');
    await page.getByRole('button', { name: 'Versturen' }).click();
    await expect_text(page, log(), '<img src=x onerror=alert(1)>');
    expect(await log().locator('img').count()).to.equal(0);
    await page.screenshot({ path: screenshotPath('chat-widget-conversation') });

    await page.reload();
    await expect_text(page, log(), 'We sturen vandaag een nieuwe lamp.');
    expect(await log().locator('.kh-chat__message').allTextContents()).to.have.length(4);
    expect(await page.locator('.kh-chat__reference').textContent()).to.equal(`Klachtnummer: ${reference}`);
    await page.screenshot({ path: screenshotPath('chat-after-reload') });

    await page.getByRole('button', { name: 'Bel mij terug' }).click();
    const firstTime = log().locator('.kh-chat__choices button').first();
    await firstTime.waitFor();
    const label = await firstTime.textContent();
    await firstTime.click();
    await expect_text(page, log(), `Uw terugbelafspraak staat: ${label}.`);
    await page.screenshot({ path: screenshotPath('chat-callback-booked') });
    const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
    expect(dossier.callbacks.map((c: { status: string }) => c.status)).to.deep.equal(['booked']);
    expect(problems).to.deep.equal([]);
  });

  it('a customer confirms her email and phone with the codes sent there, and is told in Dutch when a code is wrong or expired', async () => {
    await page.goto(shop.url);
    await page.getByRole('button', { name: 'Chat met ons' }).click();
    await page.getByLabel('Naam').fill('Els <b>Jansen</b>');
    await page.getByLabel('E-mail (niet verplicht)').fill('Els@Example.nl');
    await page.getByLabel('Telefoon (niet verplicht)').fill('06 12345678');
    await page.getByRole('button', { name: 'Start de chat' }).click();
    await expect_text(page, verifyBox(), 'We hebben een code gestuurd naar els@example.nl. Typ de code hieronder.');

    const emailCode = await newestCode('els@example.nl');
    await typeCode(emailCode === '123456' ? '654321' : '123456');
    await expect_text(page, verifyBox(), 'Deze code klopt niet. Probeer het opnieuw.');
    await typeCode(emailCode);
    await expect_text(page, verifyBox(), 'Bevestigd: els@example.nl');
    await expect_text(page, verifyBox(), 'We hebben een code gestuurd naar +31612345678. Typ de code hieronder.');
    await page.screenshot({ path: screenshotPath('chat-verification') });

    t.setNow(TUESDAY_10 + 16 * 60_000);
    await typeCode(await newestCode('+31612345678'));
    await expect_text(page, verifyBox(), 'Deze code is verlopen. Vraag een nieuwe code aan.');
    await page.getByRole('button', { name: 'Stuur een nieuwe code' }).click();
    await expect_text(page, verifyBox(), 'Er is een nieuwe code verstuurd. Eerdere codes werken niet meer.');
    await typeCode(await newestCode('+31612345678'));
    await expect_text(page, verifyBox(), 'Bevestigd: +31612345678');
    expect(await page.getByLabel('Code', { exact: true }).isVisible()).to.equal(false);

    await page.getByLabel('Uw bericht').fill('Mijn lamp is kapot.');
    await page.getByLabel('Uw bericht').press('Enter');
    await expect_text(page, log(), 'Mijn lamp is kapot.');
    const reference = (await page.locator('.kh-chat__reference').textContent())?.replace('Klachtnummer: ', '') ?? '';
    const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
    expect([dossier.customer.emails, dossier.customer.phones]).to.deep.equal([['els@example.nl'], ['+31612345678']]);
    expect(await page.locator('.kh-chat b').count()).to.equal(0);
    // Chromium logs every 4xx answer as a console error: here the wrong and the expired code, and nothing else.
    expect(problems).to.deep.equal(Array(2).fill(CHROMIUM_400));
  });

  it('the /chat page runs the same chat under its strict Content-Security-Policy, in English on request, keyboard only', async () => {
    await page.goto(`${t.base}/chat?lang=en`);
    await page.getByLabel('Name').focus();
    await page.keyboard.type('Kees');
    await page.keyboard.press('Tab');
    await page.keyboard.type('kees@example.com');
    await page.getByRole('button', { name: 'Start the chat' }).press('Enter');
    await expect_text(page, verifyBox(), 'We have sent a code to kees@example.com. Type the code below.');
    // Focus waits in the code field: five wrong codes by keyboard, then even the right one is too late.
    const code = await newestCode('kees@example.com');
    for (let i = 0; i < 5; i++) await typeCode(code === '000000' ? '111111' : '000000');
    await expect_text(page, verifyBox(), 'That code is not right. Please try again.');
    await typeCode(code);
    await expect_text(page, verifyBox(), 'Too many wrong codes. Ask for a new code.');
    await page.getByRole('button', { name: 'Send a new code' }).press('Enter');
    await expect_text(page, verifyBox(), 'A new code has been sent. Earlier codes no longer work.');
    await page.keyboard.type(await newestCode('kees@example.com'));
    await Promise.all([page.waitForResponse((response) => response.url().endsWith('/verify')), page.keyboard.press('Enter')]);
    await expect_text(page, verifyBox(), 'Confirmed: kees@example.com');
    await page.getByLabel('Your message').fill('The delivery is three weeks late.');
    await page.getByLabel('Your message').press('Enter');
    await expect_text(page, log(), 'The delivery is three weeks late.');
    expect(await page.locator('.kh-chat__reference').textContent()).to.match(/^Reference: KL-\d{8}$/);
    await page.screenshot({ path: screenshotPath('chat-page-en'), fullPage: true });
    expect(problems).to.deep.equal([...Array(5).fill(CHROMIUM_400), CHROMIUM_429]);
  });
});

/** Waits until `text` shows in the locator (fails after 5 s with what is there instead). */
async function expect_text(page: Page, locator: ReturnType<Page['getByRole']>, text: string): Promise<void> {
  try {
    await locator.getByText(text, { exact: false }).first().waitFor({ timeout: 5_000 });
  } catch {
    throw new Error(`"${text}" did not show; the log holds: ${JSON.stringify(await locator.allTextContents())} (${page.url()})`);
  }
}
