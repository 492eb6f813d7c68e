import express, { Router, type Response } from 'express';
import { z } from 'zod';
import { bookCallback, cancelCallback, findSlots } from '../callbacks/booking';
import { rosterFor } from '../callbacks/roster';
import type { HubContext } from '../context';
import type { Language } from '../core/contact';
import { DomainError } from '../core/errors';
import type { ThreadRecord } from '../core/threads';
import { fullSlot } from '../channels/sms/callback-offer';
import { render } from '../views/templates';

/** Slots shown on the page: a week's worth of choice without a long scroll. */
const PAGE_SLOTS = 6;

const WORDS: Record<Language, Record<string, string>> = {
  nl: {
    title: 'Terugbelafspraak',
    pick: 'Kies een tijd waarop wij u bellen',
    move: 'Liever een ander moment?',
    bookedAt: 'Wij bellen u',
    cancel: 'Afspraak annuleren',
    noSlots: 'Er is de komende twee weken geen tijd vrij. Een medewerker neemt contact met u op.',
    booked: 'Uw terugbelafspraak staat. U krijgt een herinnering vooraf.',
    taken: 'Dat tijdstip is net vergeven. Kies een ander moment.',
    cancelled: 'Uw terugbelafspraak is geannuleerd.',
    closed: 'Deze klacht is afgesloten. Neem gerust opnieuw contact met ons op als u nog vragen heeft.',
    invalid: 'Deze link is niet geldig. Gebruik de link uit onze e-mail, of neem contact met ons op.',
    expired: 'Deze link is verlopen. Neem contact met ons op en noem uw klachtnummer.',
  },
  en: {
    title: 'Callback',
    pick: 'Pick a time for us to call you',
    move: 'Another time suits you better?',
    bookedAt: 'We will call you',
    cancel: 'Cancel the callback',
    noSlots: 'No time is free in the next two weeks. An agent will contact you.',
    booked: 'Your callback is booked. You will get a reminder beforehand.',
    taken: 'That time has just been taken. Please pick another.',
    cancelled: 'Your callback has been cancelled.',
    closed: 'This complaint is closed. Do contact us again if you have any questions.',
    invalid: 'This link is not valid. Use the link from our email, or contact us.',
    expired: 'This link has expired. Please contact us and quote your reference.',
  },
};

const submission = z.object({ token: z.string().min(1).max(500), start: z.coerce.number().int().positive().optional(), cancel: z.literal('1').optional() });

/**
 * GET/POST /callbacks/offer: the customer's own booking page, reached by the signed link in our
 * emails. GET only shows (mail scanners follow links); each time is a POST form. A time taken
 * meanwhile shows a fresh list with a note, never an error page. Everything on it is escaped.
 */
export function callbackOfferPage(ctx: HubContext): Router {
  const router = Router();
  const roster = rosterFor(ctx.config);
  const { timezone } = ctx.config;

  async function page(res: Response, args: { status?: number; language: Language; thread?: ThreadRecord; token?: string; message?: string }): Promise<void> {
    const { language, thread } = args;
    const words = WORDS[language];
    let booked: string | null = null;
    let slots: { start: number; label: string }[] = [];
    if (thread?.status === 'open' && args.token) {
      const now = ctx.clock();
      const current = await ctx.db('callbacks').where({ thread_id: thread.id, status: 'booked' }).first('start');
      booked = current ? fullSlot(Number(current.start), { timezone, language }) : null;
      const free = await findSlots(ctx.db, roster, { teamId: thread.team_id ?? roster.defaultTeam, now, limit: PAGE_SLOTS, ignoreThreadId: thread.id });
      slots = free.map((slot) => ({ start: slot.start, label: fullSlot(slot.start, { timezone, language }) }));
    }
    res
      .status(args.status ?? 200)
      .set({
        'content-type': 'text/html; charset=utf-8',
        // The token is in the URL: no caching, no referrer, no framing, nothing loaded from elsewhere.
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      })
      .send(render('callback-offer/page', { language, format: 'html' }, { language, t: words, reference: thread?.reference ?? null, token: args.token ?? null, message: args.message ?? null, booked, slots }));
  }

  /** The thread a token names, or the page that says why there is none. */
  async function threadOf(res: Response, token: string): Promise<ThreadRecord | undefined> {
    const check = ctx.offerLinks.check(token, ctx.clock());
    if (!check.ok) {
      await page(res, { status: check.reason === 'expired' ? 410 : 400, language: 'nl', message: `${WORDS.nl[check.reason]} / ${WORDS.en[check.reason]}` });
      return undefined;
    }
    const thread: ThreadRecord | undefined = await ctx.db('threads').where({ id: check.threadId }).first();
    if (!thread) await page(res, { status: 404, language: 'nl', message: `${WORDS.nl.invalid} / ${WORDS.en.invalid}` });
    else if (thread.status !== 'open') await page(res, { language: languageOf(thread), thread, message: WORDS[languageOf(thread)].closed });
    return thread?.status === 'open' ? thread : undefined;
  }

  router.get('/offer', async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const thread = await threadOf(res, token);
    if (thread) await page(res, { language: languageOf(thread), thread, token });
  });

  router.post('/offer', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const form = submission.safeParse(req.body);
    if (!form.success) return page(res, { status: 400, language: 'nl', message: `${WORDS.nl.invalid} / ${WORDS.en.invalid}` });
    const { token, start, cancel } = form.data;
    const thread = await threadOf(res, token);
    if (!thread) return;
    const language = languageOf(thread);
    const now = ctx.clock();
    if (cancel) {
      const current = await ctx.db('callbacks').where({ thread_id: thread.id, status: 'booked' }).first('id');
      if (current) await cancelCallback(ctx.db, { reference: thread.reference, id: current.id, now, timezone, by: 'customer' }).catch(ignoreConflict);
      return page(res, { language, thread, token, message: WORDS[language].cancelled });
    }
    if (start === undefined) return page(res, { language, thread, token });
    try {
      await bookCallback(ctx.db, roster, { reference: thread.reference, start, now, via: 'email' });
      return page(res, { language, thread, token, message: WORDS[language].booked });
    } catch (error) {
      ignoreConflict(error);
      return page(res, { language, thread, token, message: WORDS[language].taken });
    }
  });

  return router;
}

function languageOf(thread: ThreadRecord): Language {
  return thread.language === 'en' ? 'en' : 'nl';
}

/** Taken or no longer booked meanwhile: the page shows the situation as it now is. */
function ignoreConflict(error: unknown): void {
  if (!(error instanceof DomainError && error.code === 'conflict')) throw error;
}
