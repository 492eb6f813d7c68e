import type { HubConfig } from '../config/hub-config';
import type { Language } from '../core/contact';
import type { Db } from '../core/db';
import { formatPromise } from '../core/format-time';
import type { SlackPoster } from '../channels/slack/slack-poster';
import type { JobLogger } from '../jobs/worker';
import { render } from '../views/templates';
import type { SendWarning } from './send-job';

/** What a send was, in words a lead reads: "de ontvangstbevestiging", "the acknowledgement". */
const WHAT: Record<Language, Record<string, string>> = {
  nl: { acknowledgement: 'de ontvangstbevestiging', reply: 'het antwoord van een medewerker', callback: 'het bericht over de terugbelafspraak', satisfaction: 'de tevredenheidsvraag', 'callback-call': 'het terugbelgesprek' },
  en: { acknowledgement: 'the acknowledgement', reply: "an agent's reply", callback: 'the callback notice', satisfaction: 'the satisfaction question', 'callback-call': 'the callback call' },
};
const CHANNEL: Record<Language, Record<string, string>> = {
  nl: { sms: 'SMS', email: 'e-mail', voice: 'telefoon' },
  en: { sms: 'SMS', email: 'email', voice: 'phone' },
};

/**
 * Tells the leads of the thread's team, each in their own language, that a send will miss its
 * promise or failed for good: a direct message in Slack (else the team's channel), or the outbox
 * without a bot token. Best effort: the thread's timeline and /metrics have it already.
 */
export function leadWarnings(deps: { db: Db; config: HubConfig; poster: SlackPoster; clock: () => number; logger: JobLogger }): (warning: SendWarning) => Promise<void> {
  return async ({ send, what, error, retryAt }) => {
    if (send.threadId === null) return;
    try {
      const thread: { reference: string; team_id: string | null } | undefined = await deps.db('threads').where({ id: send.threadId }).first('reference', 'team_id');
      if (!thread) return;
      const team = deps.config.teams.find((candidate) => candidate.id === thread.team_id);
      const leads = deps.config.agents.filter((agent) => agent.team === team?.id && agent.role === 'lead');
      const now = deps.clock();
      for (const lead of leads) {
        const language = lead.language;
        const at = (time: number | null | undefined) => (time === null || time === undefined ? '' : formatPromise(time, { timezone: deps.config.timezone, language }));
        const text = render(`send-problem/lead-${what}`, { language, format: 'txt' }, {
          what: WHAT[language][send.purpose] ?? send.purpose,
          reference: thread.reference,
          channel: CHANNEL[language][send.channel] ?? send.channel,
          due: at(send.dueAt),
          retryAt: at(retryAt),
          giveUp: at(send.giveUpAt),
          attempts: send.attempts,
          error,
        });
        const channel = lead.slackUserId ?? team?.slackChannel;
        if (!channel) continue;
        await deps.poster.post(deps.db, { channel, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }], plainText: text, threadId: send.threadId, purpose: 'escalation' }, now);
      }
    } catch (failure) {
      deps.logger.warn({ sendId: send.id, err: failure }, 'could not warn the team leads about a send');
    }
  };
}
