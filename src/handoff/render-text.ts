import type { Language } from '../core/contact';
import { render } from '../views/templates';
import { addressAs, addressList, channelLines, issueText, LABELS, promiseLines, shortTime, unverifiedWarning } from './render-common';
import type { HandoffSummary } from './summary';

/** The handoff as plain text (views/handoff/plain.*.txt.hbs): for email, the console and the outbox when Slack is not configured. */
export function handoffPlainText(summary: HandoffSummary, language: Language = 'nl'): string {
  const labels = LABELS[language];
  return render(
    'handoff/plain',
    { language, format: 'txt' },
    {
      reference: summary.reference,
      warning: unverifiedWarning(summary, language),
      name: addressAs(summary, language),
      addresses: addressList(summary, language),
      channels: channelLines(summary, language).join('; ') || labels.unknown,
      issue: issueText(summary, language),
      advice: summary.priorAdvice.map((entry) => ({ at: shortTime(entry.at, language), agent: entry.agentName, text: entry.text })),
      promises: promiseLines(summary, language).join('; ') || labels.noPromises,
      note: summary.note,
      dossierUrl: summary.dossierUrl,
    },
  );
}
