import { DateTime } from 'luxon';
import type { OfferedSlot } from '../../core/availability';
import type { Language } from '../../core/contact';

/** The book-callback modal: its callback id, and the block/action of the slot select (`private_metadata` is the reference). */
export const CALLBACK_VIEW = 'handoff_book_callback_modal';
export const SLOT_INPUT = { block: 'slot', action: 'start' } as const;
/** Slots offered in the modal (a static_select takes at most 100 options; ten is what fits a glance). */
export const MODAL_SLOTS = 10;

/** "di 24 nov 14:30" / "Tue 24 Nov 14:30": short day, date and local time in the business zone. */
export function slotLabel(at: number, options: { timezone: string; language: Language }): string {
  return DateTime.fromMillis(at, { zone: options.timezone })
    .setLocale(options.language === 'en' ? 'en-GB' : 'nl-NL')
    .toFormat('ccc d LLL HH:mm');
}

const plain = (text: string) => ({ type: 'plain_text' as const, text });

/**
 * The modal: a select of free slots (value: the start in epoch ms), or, with none free or no
 * open thread, a message and no submit button.
 */
export function callbackModal(args: { reference: string; slots: OfferedSlot[]; timezone: string; language: Language; problem?: string }) {
  const en = args.language === 'en';
  const base = {
    type: 'modal' as const,
    callback_id: CALLBACK_VIEW,
    private_metadata: args.reference,
    title: plain(en ? 'Book callback' : 'Terugbellen plannen'),
  };
  if (args.problem || args.slots.length === 0) {
    const text = args.problem ?? (en ? `No free callback times for ${args.reference} in the next 14 days.` : `Geen vrije terugbeltijden voor ${args.reference} in de komende 14 dagen.`);
    return { ...base, close: plain(en ? 'Close' : 'Sluiten'), blocks: [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text } }] };
  }
  return {
    ...base,
    submit: plain(en ? 'Book' : 'Plannen'),
    close: plain(en ? 'Cancel' : 'Annuleren'),
    blocks: [
      { type: 'section' as const, text: { type: 'mrkdwn' as const, text: `*${args.reference}*` } },
      {
        type: 'input' as const,
        block_id: SLOT_INPUT.block,
        label: plain(en ? 'When should we call back?' : 'Wanneer bellen we terug?'),
        element: {
          type: 'static_select' as const,
          action_id: SLOT_INPUT.action,
          placeholder: plain(en ? 'Pick a time' : 'Kies een tijd'),
          options: args.slots.map((slot) => ({ text: plain(slotLabel(slot.start, args)), value: String(slot.start) })),
        },
      },
    ],
  };
}
