import type { types as SlackTypes } from '@slack/bolt';
import { DateTime } from 'luxon';
import type { Language } from '../core/contact';
import { addressAs, addressList, channelLines, issueText, LABELS, promiseLines, shortTime, shorten, unverifiedWarning } from './render-common';
import type { HandoffSummary } from './summary';

export type SlackBlock = SlackTypes.KnownBlock;

/** Slack's limits (Block Kit reference): a message holds at most 50 blocks, a section text 3000 characters. */
export const SLACK_MAX_BLOCKS = 50;
export const SLACK_MAX_SECTION_TEXT = 3000;
const SLACK_MAX_HEADER_TEXT = 150;
/**
 * The blocks around the advice: header, unverified warning, customer, issue, promises, note,
 * status context, actions, dossier link, spare (the "callback due now" card swaps the actions for
 * two blocks of its own).
 */
const ADVICE_BLOCK_BUDGET = SLACK_MAX_BLOCKS - 10;
/** Claims pile up over a long thread; the dossier has them all. */
const ADDRESSES_CHARS = 1000;
/** Open promises shown on a card, each line at most this long: together well within one section. */
const PROMISE_LINES = 8;
const PROMISE_LINE_CHARS = 300;
/** One advice entry never takes more than a third of a section, so one long text cannot hide the rest. */
const ADVICE_ENTRY_CHARS = 1000;

/** The action ids of the card's buttons; each button's value is the thread reference. */
export const HANDOFF_ACTIONS = {
  accept: 'handoff_accept',
  addAdvice: 'handoff_add_advice',
  bookCallback: 'handoff_book_callback',
  resolve: 'handoff_resolve',
} as const;
export const HANDOFF_ACTIONS_BLOCK = 'handoff_actions';
/** The "callback due now" card's one button; its value is the callback id. */
export const CALLBACK_START_ACTION = 'callback_start';
export const HANDOFF_STATUS_BLOCK = 'handoff_status';

/**
 * Slack mrkdwn reads `<...>` as links and mentions and `&` as an entity: customer words are
 * escaped so "<@U123>" or "<!channel>" in a complaint stays text (Slack's "escaping text" rules).
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escaped text cut to `max` characters counted after escaping, never in the middle of an entity. */
export function fitEscaped(text: string, max: number): string {
  let limit = max;
  for (;;) {
    const escaped = escapeMrkdwn(shorten(text, limit));
    if (escaped.length <= max) return escaped;
    // Escaping grows text up to five-fold (& → &amp;): shrink in proportion, at least by one.
    limit = Math.max(1, Math.min(limit - 1, Math.floor((limit * max) / escaped.length)));
  }
}

const mrkdwn = (text: string): SlackTypes.MrkdwnElement => ({ type: 'mrkdwn', text });
const section = (text: string): SlackTypes.SectionBlock => ({ type: 'section', text: mrkdwn(text) });

/**
 * The handoff card: `text` is the notification fallback, `blocks` the card. Long advice histories
 * keep the newest entries that fit and end with "…en nog N, zie dossier" linking to the console.
 */
export function handoffSlackCard(
  summary: HandoffSummary,
  options: {
    language?: Language;
    acceptedBy?: string;
    /** A resolved thread's card says by whom and offers no more buttons. */
    resolvedBy?: string;
    /** false for a read-only summary (an ephemeral /klacht answer cannot be updated). */
    withActions?: boolean;
  } = {},
): { text: string; blocks: SlackBlock[] } {
  const language = options.language ?? 'nl';
  const labels = LABELS[language];
  const name = addressAs(summary, language);
  const blocks: SlackBlock[] = [];

  blocks.push({ type: 'header', text: { type: 'plain_text', text: shorten(`${labels.handoff} ${summary.reference} · ${name}`, SLACK_MAX_HEADER_TEXT) } });
  // Before the name: whoever is on the line may not be the customer the card names.
  const warning = unverifiedWarning(summary, language);
  if (warning) blocks.push(section(`:warning: *${escapeMrkdwn(warning)}*`));
  blocks.push(
    section(
      [
        `*${labels.customer}:* ${fitEscaped(name, 300)}`,
        `*${labels.addresses}:* ${fitEscaped(addressList(summary, language), ADDRESSES_CHARS)}`,
        `*${labels.channels}:* ${escapeMrkdwn(channelLines(summary, language).join('; ') || labels.unknown)}`,
      ].join('\n'),
    ),
  );
  blocks.push(section(`*${labels.issue}:*\n${fitEscaped(issueText(summary, language), SLACK_MAX_SECTION_TEXT - labels.issue.length - 4)}`));
  blocks.push(...adviceBlocks(summary, language));
  const promises = promiseLines(summary, language);
  // An agent's own promise is in their words: escaped like every other text, each line kept short.
  blocks.push(section(`*${labels.promises}:* ${promises.length > 0 ? promises.slice(0, PROMISE_LINES).map((line) => fitEscaped(line, PROMISE_LINE_CHARS)).join('\n') : labels.noPromises}`));
  if (summary.note) blocks.push(section(`*${labels.note}:*\n${fitEscaped(summary.note, SLACK_MAX_SECTION_TEXT - labels.note.length - 4)}`));
  const status = options.resolvedBy
    ? language === 'en' ? `:heavy_check_mark: resolved by ${escapeMrkdwn(options.resolvedBy)}` : `:heavy_check_mark: afgesloten door ${escapeMrkdwn(options.resolvedBy)}`
    : options.acceptedBy
      ? language === 'en' ? `:white_check_mark: accepted by ${escapeMrkdwn(options.acceptedBy)}` : `:white_check_mark: aangenomen door ${escapeMrkdwn(options.acceptedBy)}`
      : undefined;
  if (status) blocks.push({ type: 'context', block_id: HANDOFF_STATUS_BLOCK, elements: [mrkdwn(status)] });
  if (options.withActions !== false && !options.resolvedBy) blocks.push({
    type: 'actions',
    block_id: HANDOFF_ACTIONS_BLOCK,
    elements: [
      ...(options.acceptedBy ? [] : [button(HANDOFF_ACTIONS.accept, labels.accept, summary.reference, 'primary')]),
      button(HANDOFF_ACTIONS.addAdvice, labels.addAdvice, summary.reference),
      button(HANDOFF_ACTIONS.bookCallback, labels.bookCallback, summary.reference),
      button(HANDOFF_ACTIONS.resolve, labels.resolve, summary.reference, 'danger'),
    ],
  });
  blocks.push({ type: 'context', elements: [mrkdwn(`<${summary.dossierUrl}|${labels.dossier} ${summary.reference}>`)] });

  // The fallback text is mrkdwn too (it is what notifications show): escaped like the blocks.
  const text = fitEscaped(`${labels.handoff} ${summary.reference}: ${name}, ${issueText(summary, language)}`, 300);
  return { text, blocks };
}

function button(actionId: string, label: string, value: string, style?: 'primary' | 'danger'): SlackTypes.Button {
  return { type: 'button', action_id: actionId, text: { type: 'plain_text', text: label }, value, ...(style ? { style } : {}) };
}

/**
 * Advice lines packed into as few sections as fit 3000 characters each, oldest first. When the
 * history does not fit the block budget, the oldest entries give way and a link to the dossier
 * says how many.
 */
function adviceBlocks(summary: HandoffSummary, language: Language): SlackBlock[] {
  const labels = LABELS[language];
  const title = `*${labels.advice}:*`;
  if (summary.priorAdvice.length === 0) return [section(`${title} ${labels.noAdvice}`)];
  const lines = summary.priorAdvice.map(
    (entry) => `• _${shortTime(entry.at, language)}, ${fitEscaped(entry.agentName, 100)}:_ ${fitEscaped(entry.text, ADVICE_ENTRY_CHARS)}`,
  );

  // Newest first until the budget is spent; the "more" line takes one block of its own. Every
  // section leaves room for the title, which goes in front of whichever section ends up first.
  const room = SLACK_MAX_SECTION_TEXT - title.length - 1;
  const sections: string[][] = [];
  let used = 0;
  let shown = 0;
  for (let index = lines.length - 1; index >= 0; index--) {
    const line = lines[index] as string;
    const current = sections[0];
    if (current && used + 1 + line.length <= room) {
      current.unshift(line);
      used += 1 + line.length;
    } else {
      if (sections.length >= ADVICE_BLOCK_BUDGET - 1) break;
      sections.unshift([line]);
      used = line.length;
    }
    shown += 1;
  }
  const blocks: SlackBlock[] = sections.map((entries, index) => section(index === 0 ? `${title}\n${entries.join('\n')}` : entries.join('\n')));
  const hidden = lines.length - shown;
  if (hidden > 0) blocks.push({ type: 'context', elements: [mrkdwn(`<${summary.dossierUrl}|${labels.more(hidden)}>`)] });
  return blocks;
}

/**
 * "Callback due now" for an agent without a phone system in the hub: when and whom to call, the
 * handoff summary (without the handoff buttons), and one button that records the start.
 */
export function callbackDueCard(
  summary: HandoffSummary,
  args: { callbackId: number; phone: string; start: number; timezone: string; language: Language },
): { text: string; blocks: SlackBlock[] } {
  const en = args.language === 'en';
  const at = DateTime.fromMillis(args.start, { zone: args.timezone }).toFormat('HH:mm');
  const name = addressAs(summary, args.language);
  const text = fitEscaped(en ? `Callback due now (${at}): ${summary.reference}, ${name}, ${args.phone}` : `Nu terugbellen (${at}): ${summary.reference}, ${name}, ${args.phone}`, 300);
  const card = handoffSlackCard(summary, { language: args.language, withActions: false });
  return {
    text,
    blocks: [
      section(en ? `*Callback due now:* ${at}, call *${escapeMrkdwn(args.phone)}*` : `*Nu terugbellen:* ${at}, bel *${escapeMrkdwn(args.phone)}*`),
      ...card.blocks,
      { type: 'actions', elements: [button(CALLBACK_START_ACTION, en ? 'I am calling now' : 'Ik bel nu', String(args.callbackId), 'primary')] },
    ],
  };
}
