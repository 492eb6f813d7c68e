import { expect } from 'chai';
import type { AgentConfig } from '../../src/config/hub-config';
import type { Dossier } from '../../src/core/dossier';
import { handoffPlainText } from '../../src/handoff/render-text';
import { callbackDueCard, escapeMrkdwn, handoffSlackCard, HANDOFF_ACTIONS, SLACK_MAX_BLOCKS, SLACK_MAX_SECTION_TEXT, type SlackBlock } from '../../src/handoff/render-slack';
import { whisperText } from '../../src/handoff/render-whisper';
import { buildHandoffSummary } from '../../src/handoff/summary';

const AGENTS: AgentConfig[] = [
  { id: 'anna', name: 'Anna de Vries', team: 'service', role: 'lead', language: 'nl', slackUserId: 'U0ANNA', absent: [] },
  { id: 'bram', name: 'Bram Jansen', team: 'service', role: 'agent', language: 'en', absent: [] },
];
const PUBLIC_URL = 'https://hub.example.nl';

function dossier(overrides: Partial<Dossier> = {}): Dossier {
  return {
    reference: 'KL-12345674',
    status: 'open',
    language: 'nl',
    team: 'service',
    agent: null,
    linkedReference: null,
    customer: {
      id: 1,
      name: 'Els Jansen',
      phones: ['+31612345678'],
      emails: ['els@example.nl'],
      identities: [
        { kind: 'phone', value: '+31612345678', proof: 'channel', by: null, at: '2026-11-24T10:00:00+01:00' },
        { kind: 'email', value: 'els@example.nl', proof: 'channel', by: null, at: '2026-11-24T12:00:00+01:00' },
      ],
      claims: [],
    },
    issue: { category: 'mobiel', summary: 'Mijn mobiele telefoon doet het niet' },
    contacts: [
      { channel: 'sms', direction: 'inbound', at: '2026-11-24T10:00:00+01:00', body: 'Mijn mobiele telefoon doet het niet', verified: true, from: '+31612345678' },
      { channel: 'sms', direction: 'outbound', at: '2026-11-24T10:00:30+01:00', body: 'Bedankt, uw referentie is KL-12345674', verified: true, from: null },
      { channel: 'voice', direction: 'inbound', at: '2026-11-24T11:15:00+01:00', body: 'Belt over zijn telefoon', verified: true, from: '+31612345678' },
      { channel: 'email', direction: 'inbound', at: '2026-11-24T12:00:00+01:00', body: 'Nog steeds kapot', verified: true, from: 'els@example.nl' },
      { channel: 'sms', direction: 'inbound', at: '2026-11-24T13:30:00+01:00', body: 'Hallo?', verified: true, from: '+31612345678' },
    ],
    advice: [
      { at: '2026-11-24T11:20:00+01:00', agent: 'anna', text: 'Toestel herstarten' },
      { at: '2026-11-24T12:10:00+01:00', agent: 'bram', text: 'SIM-kaart opnieuw plaatsen' },
    ],
    callbacks: [],
    timeline: [
      { kind: 'thread-opened', at: '2026-11-24T10:00:00+01:00', data: null },
      { kind: 'transferred', at: '2026-11-24T13:40:00+01:00', data: { fromAgent: 'anna', toTeam: 'service', toAgent: 'bram', note: 'Klant is boos, graag snel bellen' } },
    ],
    sla: { firstResponseDue: '2026-11-24T17:00:00+01:00', resolutionDue: '2026-11-26T13:30:00+01:00', breached: false },
    promises: [
      { id: 1, kind: 'acknowledgement', due: '2026-11-24T10:01:00+01:00', owner: { team: 'service' }, state: 'kept', keptAt: '2026-11-24T10:00:30+01:00' },
      { id: 2, kind: 'first-response', due: '2026-11-24T17:00:00+01:00', owner: { team: 'service' }, state: 'open' },
      { id: 3, kind: 'resolution', due: '2026-11-26T13:30:00+01:00', owner: { team: 'service' }, state: 'open' },
    ],
    ...overrides,
  };
}

const summaryOf = (d: Dossier) => buildHandoffSummary(d, { publicUrl: PUBLIC_URL, agents: AGENTS });

const STRANGER = '+31687654321';

/**
 * Someone called from a number she never proved and keyed her reference; earlier she wrote a
 * number in a mail, and her chat session is a proven identity too.
 */
function strangerCalled(): Dossier {
  const base = dossier();
  return dossier({
    customer: {
      ...base.customer,
      identities: [...base.customer.identities, { kind: 'chat', value: 'cs_7f3a', proof: 'channel', by: null, at: '2026-11-24T12:30:00+01:00' }],
      claims: [
        { kind: 'phone', value: '+31611112222', via: 'email-text', at: '2026-11-24T12:00:00+01:00' },
        { kind: 'phone', value: STRANGER, via: 'reference', at: '2026-11-24T14:05:00+01:00' },
      ],
    },
    contacts: [...base.contacts, { channel: 'voice', direction: 'inbound', at: '2026-11-24T14:05:00+01:00', body: 'Telefoongesprek', verified: false, from: STRANGER }],
  });
}

/** Every mrkdwn / plain text in a card, with the block it sits in. */
function textsOf(blocks: SlackBlock[]): string[] {
  const texts: string[] = [];
  for (const block of blocks) {
    if (block.type === 'section' && block.text) texts.push(block.text.text);
    if (block.type === 'header') texts.push(block.text.text);
    if (block.type === 'context') for (const element of block.elements) if ('text' in element) texts.push(element.text);
  }
  return texts;
}

describe('handoff summary', () => {
  it('carries the reference, the customer name, the issue and every piece of prior advice with who and when', () => {
    const summary = summaryOf(dossier());
    expect(summary.reference).to.equal('KL-12345674');
    expect(summary.name).to.equal('Els Jansen');
    expect(summary.issue).to.deep.equal({ category: 'mobiel', summary: 'Mijn mobiele telefoon doet het niet' });
    expect(summary.priorAdvice).to.deep.equal([
      { at: '2026-11-24T11:20:00+01:00', agent: 'anna', agentName: 'Anna de Vries', text: 'Toestel herstarten' },
      { at: '2026-11-24T12:10:00+01:00', agent: 'bram', agentName: 'Bram Jansen', text: 'SIM-kaart opnieuw plaatsen' },
    ]);
  });

  it('lists each channel the customer used with the first and last contact, outbound messages not counted', () => {
    expect(summaryOf(dossier()).channels).to.deep.equal([
      { channel: 'sms', first: '2026-11-24T10:00:00+01:00', last: '2026-11-24T13:30:00+01:00', contacts: 2 },
      { channel: 'voice', first: '2026-11-24T11:15:00+01:00', last: '2026-11-24T11:15:00+01:00', contacts: 1 },
      { channel: 'email', first: '2026-11-24T12:00:00+01:00', last: '2026-11-24T12:00:00+01:00', contacts: 1 },
    ]);
  });

  it('states the open promises by due time (not the acknowledgement), how many were broken, and the booked callback', () => {
    const open = dossier().promises;
    const summary = summaryOf(
      dossier({
        callbacks: [
          { start: '2026-11-24T14:00:00+01:00', end: '2026-11-24T14:15:00+01:00', status: 'cancelled', agent: 'anna', actualStart: null, outcome: null },
          { start: '2026-11-25T10:00:00+01:00', end: '2026-11-25T10:15:00+01:00', status: 'booked', agent: 'anna', actualStart: null, outcome: null },
        ],
        promises: [
          ...open,
          { id: 4, kind: 'callback', due: '2026-11-24T14:00:00+01:00', owner: { team: 'service', agent: 'anna' }, state: 'cancelled' },
          { id: 5, kind: 'callback', due: '2026-11-25T10:00:00+01:00', owner: { team: 'service', agent: 'anna' }, state: 'open' },
          { id: 6, kind: 'agent', text: 'nieuw pakket <!channel>', due: '2026-11-23T17:00:00+01:00', owner: { team: 'service', agent: 'bram' }, state: 'broken' },
          { id: 7, kind: 'agent', text: 'nieuw pakket <!channel>', due: '2026-11-27T17:00:00+01:00', owner: { team: 'service', agent: 'bram' }, state: 'open' },
        ],
      }),
    );
    expect(summary.promises).to.deep.equal({
      open: [
        { kind: 'first-response', text: null, due: '2026-11-24T17:00:00+01:00', agent: null },
        { kind: 'resolution', text: null, due: '2026-11-26T13:30:00+01:00', agent: null },
        { kind: 'callback', text: null, due: '2026-11-25T10:00:00+01:00', agent: 'anna' },
        { kind: 'agent', text: 'nieuw pakket <!channel>', due: '2026-11-27T17:00:00+01:00', agent: 'bram' },
      ],
      broken: 1,
      callback: { start: '2026-11-25T10:00:00+01:00', end: '2026-11-25T10:15:00+01:00' },
    });
    const card = JSON.stringify(handoffSlackCard(summary, { language: 'nl' }).blocks);
    expect(card).to.contain('terugbelafspraak wo 25 nov 10:00–10:15').and.contain('toezegging \\"nieuw pakket &lt;!channel&gt;\\" uiterlijk vr 27 nov 17:00').and.contain('1 belofte niet gehouden');
    expect(card).not.to.contain('<!channel>');
    expect(handoffPlainText(summary, 'en')).to.contain('promise "nieuw pakket <!channel>" by Fri 27 Nov 17:00').and.contain('1 promise broken');
  });

  it("carries the previous agent's note from the latest transfer", () => {
    const summary = summaryOf(dossier());
    expect(summary.note).to.equal('Klant is boos, graag snel bellen');
    expect(summary.transfer).to.deep.equal({ at: '2026-11-24T13:40:00+01:00', fromAgent: 'anna', toTeam: 'service', toAgent: 'bram' });
    expect(summary.dossierUrl).to.equal('https://hub.example.nl/console/threads/KL-12345674');
  });

  it("keeps the customer's proven addresses apart from the claims, and leaves chat sessions out", () => {
    expect(summaryOf(strangerCalled()).addresses).to.deep.equal({
      proven: [
        { kind: 'phone', value: '+31612345678' },
        { kind: 'email', value: 'els@example.nl' },
      ],
      claims: [
        { kind: 'phone', value: '+31611112222', via: 'email-text' },
        { kind: 'phone', value: STRANGER, via: 'reference' },
      ],
    });
  });

  it('carries the latest inbound contact when it is not verified, and nothing once she writes from a proven address again', () => {
    const called = strangerCalled();
    expect(summaryOf(called).unverified).to.deep.equal({ channel: 'voice', from: STRANGER, at: '2026-11-24T14:05:00+01:00' });
    expect(summaryOf(dossier()).unverified).to.equal(null);
    const answered = dossier({
      ...called,
      contacts: [
        ...called.contacts,
        { channel: 'sms', direction: 'outbound', at: '2026-11-24T14:10:00+01:00', body: 'We bellen u terug', verified: true, from: null },
        { channel: 'sms', direction: 'inbound', at: '2026-11-24T14:20:00+01:00', body: 'Dat was ik niet', verified: true, from: '+31612345678' },
      ],
    });
    expect(summaryOf(answered).unverified).to.equal(null);
  });

  it('uses the first thing the customer said when the thread has no summary, and no name when none is known', () => {
    const summary = summaryOf(dossier({ issue: { category: null, summary: null }, customer: { id: 1, name: null, phones: [], emails: [], identities: [], claims: [] } }));
    expect(summary.issue.summary).to.equal('Mijn mobiele telefoon doet het niet');
    expect(summary.name).to.equal(null);
    expect(whisperText(summary, 'nl')).to.contain('van een onbekende klant');
  });
});

describe('handoff renderings', () => {
  describe('spoken whisper', () => {
    it("says the reference, the customer's full name, the issue and the prior advice in Dutch", () => {
      const text = whisperText(summaryOf(dossier({ timeline: [] })), 'nl');
      expect(text).to.equal(
        'Klacht KL-12345674 van Els Jansen over: Mijn mobiele telefoon doet het niet. Eerder advies: Toestel herstarten; SIM-kaart opnieuw plaatsen.',
      );
    });

    it('speaks English to an English-speaking agent, with the transfer note', () => {
      const text = whisperText(summaryOf(dossier()), 'en');
      expect(text).to.match(/^Complaint KL-12345674 from Els Jansen about: Mijn mobiele telefoon doet het niet\. Prior advice: Toestel herstarten; SIM-kaart opnieuw plaatsen\./);
      expect(text).to.contain('Note: Klant is boos, graag snel bellen.');
    });

    it('says first, in the agent\'s language, that the latest call came from a number that is not verified', () => {
      const summary = summaryOf(strangerCalled());
      expect(whisperText(summary, 'nl')).to.match(/^Let op: het laatste gesprek kwam van een niet geverifieerd nummer\. Klacht KL-12345674 van Els Jansen/);
      expect(whisperText(summary, 'en')).to.match(/^Caution: the latest call came from a number that is not verified\. Complaint KL-12345674 from Els Jansen/);
      // No number is read out: the agent needs the warning, not the digits.
      expect(whisperText(summary, 'nl')).not.to.contain(STRANGER);
    });

    it('names the channel when the unverified latest contact was a message', () => {
      const base = dossier({ timeline: [] });
      const mailed = dossier({ ...base, contacts: [...base.contacts, { channel: 'email', direction: 'inbound', at: '2026-11-24T14:00:00+01:00', body: 'KL-12345674', verified: false, from: 'iemand@example.com' }] });
      expect(whisperText(summaryOf(mailed), 'nl')).to.match(/^Let op: het laatste bericht, per e-mail, kwam niet van een geverifieerd adres\. Klacht/);
      expect(whisperText(summaryOf(mailed), 'en')).to.match(/^Caution: the latest message, by email, did not come from a verified address\. Complaint/);
    });

    it('stays short with a long history: only the newest three pieces of advice, each cut', () => {
      const advice = Array.from({ length: 10 }, (_, index) => ({ at: '2026-11-24T11:20:00+01:00', agent: 'anna', text: `advies ${index} ${'lang '.repeat(60)}` }));
      const text = whisperText(summaryOf(dossier({ advice, timeline: [] })), 'nl');
      expect(text).not.to.contain('advies 6');
      expect(text).to.contain('advies 7').and.contain('advies 9');
      expect(text.length).to.be.below(600);
    });
  });

  describe('plain text', () => {
    it('has the name, issue, every advice with agent, the promises and the dossier link', () => {
      const text = handoffPlainText(summaryOf(dossier()));
      expect(text).to.contain('KL-12345674').and.contain('Els Jansen').and.contain('Mijn mobiele telefoon doet het niet');
      expect(text).to.contain('Anna de Vries: Toestel herstarten').and.contain('Bram Jansen: SIM-kaart opnieuw plaatsen');
      expect(text).to.contain('eerste reactie uiterlijk di 24 nov 17:00');
      expect(text).to.contain('Klant is boos, graag snel bellen');
      expect(text).to.contain('https://hub.example.nl/console/threads/KL-12345674');
    });

    it('lists the proven addresses and the claims for what they are, under the warning', () => {
      const nl = handoffPlainText(summaryOf(strangerCalled()));
      expect(nl).to.contain(`Adressen: +31612345678, els@example.nl, +31611112222 (mogelijk telefoonnummer), ${STRANGER} (niet bevestigd)`);
      expect(nl.split('\n')[1]).to.equal(`Let op: het laatste contact (telefoon van ${STRANGER}, di 24 nov 14:05) is niet geverifieerd. Het is niet bewezen dat het van de klant komt.`);
      const en = handoffPlainText(summaryOf(strangerCalled()), 'en');
      expect(en).to.contain(`Addresses: +31612345678, els@example.nl, +31611112222 (possible phone number), ${STRANGER} (not confirmed)`);
      expect(en).to.contain(`Caution: the latest contact (phone from ${STRANGER}, Tue 24 Nov 14:05) is not verified.`);
      expect(handoffPlainText(summaryOf(dossier()))).not.to.contain('Let op');
    });

    it('says a withheld number when the unverified caller had none', () => {
      const base = strangerCalled();
      const withheld = dossier({ ...base, contacts: base.contacts.map((contact) => (contact.verified ? contact : { ...contact, from: null })) });
      expect(handoffPlainText(summaryOf(withheld))).to.contain('Let op: het laatste contact (telefoon van een afgeschermd nummer, di 24 nov 14:05) is niet geverifieerd.');
    });
  });

  describe('Slack card', () => {
    it('shows name, issue, every advice text, the SLA promise and the four buttons carrying the reference', () => {
      const { text, blocks } = handoffSlackCard(summaryOf(dossier()));
      const all = textsOf(blocks).join('\n');
      expect(text).to.contain('KL-12345674');
      expect(all).to.contain('Els Jansen').and.contain('Mijn mobiele telefoon doet het niet');
      expect(all).to.contain('Toestel herstarten').and.contain('SIM-kaart opnieuw plaatsen');
      expect(all).to.contain('eerste reactie uiterlijk di 24 nov 17:00');
      const actions = blocks.find((block) => block.type === 'actions');
      expect(actions?.type).to.equal('actions');
      const buttons = actions?.type === 'actions' ? actions.elements : [];
      expect(buttons.map((button) => ('action_id' in button ? button.action_id : undefined))).to.deep.equal([
        HANDOFF_ACTIONS.accept,
        HANDOFF_ACTIONS.addAdvice,
        HANDOFF_ACTIONS.bookCallback,
        HANDOFF_ACTIONS.resolve,
      ]);
      for (const button of buttons) expect(button).to.have.property('value', 'KL-12345674');
    });

    it('escapes customer words for mrkdwn: a <script> or a <@U123> mention stays text', () => {
      const summary = summaryOf(
        dossier({
          issue: { category: null, summary: 'Hallo <script>alert(1)</script> & <@U123> <!channel>' },
          advice: [{ at: '2026-11-24T11:20:00+01:00', agent: 'anna', text: 'Zie <https://evil.example|hier>' }],
          timeline: [],
        }),
      );
      const card = handoffSlackCard(summary);
      expect(card.text, 'the notification fallback').not.to.contain('<@U123>').and.not.to.contain('<!channel>');
      const all = textsOf(card.blocks).join('\n');
      expect(all).to.contain('Hallo &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;@U123&gt; &lt;!channel&gt;');
      expect(all).to.contain('Zie &lt;https://evil.example|hier&gt;');
      expect(all).not.to.contain('<@U123>');
      expect(all).not.to.contain('<script>');
      expect(escapeMrkdwn('a & b < c > d')).to.equal('a &amp; b &lt; c &gt; d');
    });

    it('keeps a 40-contact thread with 30 long pieces of advice within 50 blocks and 3000 characters per text', () => {
      const contacts = Array.from({ length: 40 }, (_, index) => ({
        channel: ['sms', 'email', 'voice', 'chat'][index % 4] as string,
        direction: 'inbound',
        at: `2026-11-${String(10 + Math.floor(index / 4)).padStart(2, '0')}T10:00:00+01:00`,
        body: `contact ${index}`,
        verified: true,
        from: '+31612345678',
      }));
      const advice = Array.from({ length: 30 }, (_, index) => ({
        at: '2026-11-24T11:20:00+01:00',
        agent: index % 2 ? 'anna' : 'bram',
        text: `advies ${index}: ${'<&> '.repeat(400)}`,
      }));
      const { blocks } = handoffSlackCard(summaryOf(dossier({ contacts, advice, issue: { category: null, summary: 'x'.repeat(5000) } })));
      expect(blocks.length).to.be.at.most(SLACK_MAX_BLOCKS);
      for (const text of textsOf(blocks)) expect(text.length).to.be.at.most(SLACK_MAX_SECTION_TEXT);
      const all = textsOf(blocks).join('\n');
      expect(all).to.contain('advies 29');
    });

    it('shortens a history too long for one message with "…en nog N, zie dossier" linking to the console', () => {
      const advice = Array.from({ length: 200 }, (_, index) => ({ at: '2026-11-24T11:20:00+01:00', agent: 'anna', text: `advies ${index}: ${'x'.repeat(900)}` }));
      const { blocks } = handoffSlackCard(summaryOf(dossier({ advice })));
      expect(blocks.length).to.be.at.most(SLACK_MAX_BLOCKS);
      for (const text of textsOf(blocks)) expect(text.length).to.be.at.most(SLACK_MAX_SECTION_TEXT);
      const all = textsOf(blocks).join('\n');
      expect(all).to.contain('advies 199');
      expect(all).to.match(/<https:\/\/hub\.example\.nl\/console\/threads\/KL-12345674\|…en nog \d+, zie dossier>/);
      const hidden = Number(/…en nog (\d+)/.exec(all)?.[1]);
      const shown = advice.filter((entry) => all.includes(`${entry.text.slice(0, 12)}`)).length;
      expect(hidden + shown).to.equal(200);
    });

    it('warns above the customer that the latest contact is not verified, and labels the claims', () => {
      const { blocks } = handoffSlackCard(summaryOf(strangerCalled()));
      const texts = textsOf(blocks);
      expect(texts[1]).to.equal(`:warning: *Let op: het laatste contact (telefoon van ${STRANGER}, di 24 nov 14:05) is niet geverifieerd. Het is niet bewezen dat het van de klant komt.*`);
      expect(texts[2]).to.contain(`*Adressen:* +31612345678, els@example.nl, +31611112222 (mogelijk telefoonnummer), ${STRANGER} (niet bevestigd)`);
      const english = textsOf(handoffSlackCard(summaryOf(strangerCalled()), { language: 'en' }).blocks).join('\n');
      expect(english).to.contain('not verified').and.contain(`${STRANGER} (not confirmed)`).and.contain('+31611112222 (possible phone number)');
      expect(textsOf(handoffSlackCard(summaryOf(dossier())).blocks).join('\n')).not.to.contain(':warning:');
    });

    it('keeps a full card with the warning within 50 blocks, also as a "callback due now" card', () => {
      const advice = Array.from({ length: 200 }, (_, index) => ({ at: '2026-11-24T11:20:00+01:00', agent: 'anna', text: `advies ${index}: ${'x'.repeat(900)}` }));
      const summary = summaryOf(dossier({ ...strangerCalled(), advice }));
      const card = handoffSlackCard(summary, { acceptedBy: 'Anna de Vries' });
      expect(textsOf(card.blocks).join('\n')).to.contain('niet geverifieerd').and.contain('…en nog');
      expect(card.blocks.length).to.be.at.most(SLACK_MAX_BLOCKS);
      const due = callbackDueCard(summary, { callbackId: 1, phone: '+31612345678', start: Date.parse('2026-11-24T14:30:00+01:00'), timezone: 'Europe/Amsterdam', language: 'nl' });
      expect(due.blocks.length).to.be.at.most(SLACK_MAX_BLOCKS);
    });

    it('escapes a claimed address for mrkdwn like any customer words', () => {
      const base = dossier();
      const claimed = dossier({ customer: { ...base.customer, claims: [{ kind: 'email', value: '<!channel>@example.nl', via: 'chat-form', at: '2026-11-24T12:00:00+01:00' }] } });
      const all = textsOf(handoffSlackCard(summaryOf(claimed)).blocks).join('\n');
      expect(all).to.contain('&lt;!channel&gt;@example.nl (niet bevestigd)');
      expect(all).not.to.contain('<!channel>');
    });

    it('shows who accepted the card and drops the accept button', () => {
      const { blocks } = handoffSlackCard(summaryOf(dossier()), { acceptedBy: 'Anna de Vries' });
      expect(textsOf(blocks).join('\n')).to.contain('aangenomen door Anna de Vries');
      const actions = blocks.find((block) => block.type === 'actions');
      const ids = actions?.type === 'actions' ? actions.elements.map((button) => ('action_id' in button ? button.action_id : '')) : [];
      expect(ids).not.to.include(HANDOFF_ACTIONS.accept);
    });
  });
});
