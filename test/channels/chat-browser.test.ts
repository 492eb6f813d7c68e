import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { chromiumForSuite, pageProblems, screenshotPath } from '../helpers/browser';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';

const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');

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

  it('a customer chats from the widget on a shop page, gets the reference and an agent reply live, reloads and sees it all, and books a callback', async () => {
    await page.goto(shop.url);
    await page.getByRole('button', { name: 'Chat met ons' }).click();
    await page.getByLabel('Naam').fill('Els Jansen');
    await page.getByLabel('E-mail (niet verplicht)').fill('els@example.nl');
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

  it('the /chat page runs the same chat under its strict Content-Security-Policy, in English on request, keyboard only', async () => {
    await page.goto(`${t.base}/chat?lang=en`);
    await page.getByLabel('Name').focus();
    await page.keyboard.type('Kees');
    await page.keyboard.press('Tab');
    await page.keyboard.type('kees@example.com');
    await page.getByRole('button', { name: 'Start the chat' }).press('Enter');
    await page.getByLabel('Your message').fill('The delivery is three weeks late.');
    await page.getByLabel('Your message').press('Enter');
    await expect_text(page, log(), 'The delivery is three weeks late.');
    expect(await page.locator('.kh-chat__reference').textContent()).to.match(/^Reference: KL-\d{8}$/);
    await page.screenshot({ path: screenshotPath('chat-page-en') });
    expect(problems).to.deep.equal([]);
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
