import type { ClaimVia } from '../core/contact';
import type { Dossier } from '../core/dossier';
import type { IdentityKind } from '../core/identity';

/**
 * How the console words a customer's addresses: what proves a proven one, where a claim came
 * from. The customer panel and the timeline say it alike, so an agent reads one vocabulary.
 */
export interface AddressWords {
  /** A moment as the console shows it ("di 24 nov 10:00"). */
  when: (at: number) => string;
  /** An agent's name for their id (ids are what the store keeps). */
  agentName: (id: string) => string;
}

const KIND_WORD: Record<IdentityKind, string> = { phone: 'telefoonnummer', email: 'e-mailadres', chat: 'chatgesprek' };
const KIND_ICON: Record<IdentityKind, string> = { phone: '☎', email: '✉', chat: '💬' };

const VIA_WORD: Record<ClaimVia, string> = {
  reference: 'noemde het klachtnummer',
  'email-text': 'stond in de tekst van een e-mail',
  'chat-form': 'ingevuld in de chat, niet bevestigd met de code',
  'dmarc-fail': 'afzender van een e-mail die de echtheidscontrole (DMARC) niet doorstond',
  'reply-to': 'antwoordadres (Reply-To) van een e-mail van een ander adres',
  'before-proof': 'al bekend voordat de hub om bewijs vroeg',
};

export function kindWord(kind: string): string {
  return KIND_WORD[kind as IdentityKind] ?? kind;
}

/** "Telefoonnummer": a kind as the name of a field. */
export function kindTitle(kind: string): string {
  const word = kindWord(kind);
  return word.charAt(0).toUpperCase() + word.slice(1);
}

export function viaWord(via: string): string {
  return VIA_WORD[via as ClaimVia] ?? via;
}

/** "via het kanaal", "met code", "bevestigd door Anna de Vries" (+ " op <moment>" when `at` is given). */
export function proofWords(proof: { proof: string; by: string | null; at?: number }, words: AddressWords): string {
  if (proof.proof === 'channel') return 'via het kanaal';
  if (proof.proof === 'code') return 'met code';
  const by = proof.by ? ` door ${words.agentName(proof.by)}` : '';
  return `bevestigd${by}${proof.at === undefined ? '' : ` op ${words.when(proof.at)}`}`;
}

export interface AddressPanel {
  proven: { icon: string; value: string; proof: string }[];
  claims: { icon: string; kind: string; value: string; what: string; via: string; when: string }[];
}

/**
 * The customer panel's addresses. Chat sessions are left out: a session id tells an agent
 * nothing, and the chat is already on the timeline as a channel.
 */
export function addressPanel(customer: Pick<Dossier['customer'], 'identities' | 'claims'>, words: AddressWords): AddressPanel {
  const shown = (kind: string) => kind === 'phone' || kind === 'email';
  return {
    proven: customer.identities
      .filter((address) => shown(address.kind))
      .map((address) => ({ icon: KIND_ICON[address.kind as IdentityKind], value: address.value, proof: proofWords({ proof: address.proof, by: address.by, at: Date.parse(address.at) }, words) })),
    claims: customer.claims
      .filter((claim) => shown(claim.kind))
      .map((claim) => ({ icon: KIND_ICON[claim.kind as IdentityKind], kind: claim.kind, value: claim.value, what: `mogelijk ${kindWord(claim.kind)}`, via: viaWord(claim.via), when: words.when(Date.parse(claim.at)) })),
  };
}
