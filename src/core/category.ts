import type { HubConfig } from '../config/hub-config';
import type { InboundContact } from './contact';

/** Lower case, and every run of punctuation and spaces one space: "Het PAKKET, bezorgd!" -> " het pakket bezorgd ". */
function words(text: string): string {
  return ` ${text.toLocaleLowerCase('nl').replace(/[^\p{L}\p{N}]+/gu, ' ').trim()} `;
}

/**
 * The category a new thread's first message points to by the configured keywords, or null. A
 * keyword matches from the start of a word, case-insensitively: "bezorg" matches "Bezorging" and
 * "bezorgd", "pakket" matches "pakketje", "geen bereik" matches "Geen bereik!", and "rek" does not
 * match "vertrek". The first category (in configuration order) with a match wins.
 */
export function categoryOf(categories: HubConfig['categories'], contact: Pick<InboundContact, 'subject' | 'body'>): string | null {
  const text = words(`${contact.subject ?? ''} ${contact.body}`);
  const match = categories.find((category) => category.keywords.some((keyword) => text.includes(` ${words(keyword).trim()}`)));
  return match?.id ?? null;
}
