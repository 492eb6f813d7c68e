import type { HubConfig } from '../config/hub-config';
import type { Language } from '../core/contact';
import type { Dossier } from '../core/dossier';
import { promiseName, PROMISE_STATE_WORDS } from '../promises/words';

/** One line of the dossier's Beloftes panel. */
export interface PromiseLine {
  id: number;
  what: string;
  when: string;
  /** "nog 2 u 15 min" / "35 min te laat", for an open one. */
  left: string | null;
  late: boolean;
  state: string;
  /** The CSS class of its state: open, kept, broken, cancelled. */
  stateClass: string;
  owner: string;
  keptAt: string | null;
  /** An agent's own promise still open: the panel offers "Nagekomen". */
  keepable: boolean;
}

const TEAM_WORD: Record<Language, string> = { nl: 'team', en: 'team' };

/**
 * Every promise of the thread, in the console's words: what, by when, whose, and how it stands.
 * `when` and `timeLeft` are the console's own formatting of a moment and of the time left.
 */
export function promisePanel(
  dossier: Dossier,
  args: { config: HubConfig; language: Language; now: number; when: (at: number) => string; timeLeft: (due: number, now: number) => string },
): PromiseLine[] {
  const name = (agentId: string) => args.config.agents.find((agent) => agent.id === agentId)?.name ?? agentId;
  const teamName = (teamId: string | null) => `${TEAM_WORD[args.language]} ${args.config.teams.find((team) => team.id === teamId)?.name ?? teamId ?? ''}`.trim();
  return dossier.promises.map((promise) => {
    const due = Date.parse(promise.due);
    const open = promise.state === 'open';
    return {
      id: promise.id,
      what: promiseName(promise, args.language),
      when: args.when(due),
      left: open ? args.timeLeft(due, args.now) : null,
      late: open && due < args.now,
      state: PROMISE_STATE_WORDS[args.language][promise.state],
      stateClass: promise.state,
      owner: promise.owner.agent ? name(promise.owner.agent) : teamName(promise.owner.team),
      keptAt: promise.keptAt ? args.when(Date.parse(promise.keptAt)) : null,
      keepable: open && promise.kind === 'agent',
    };
  });
}
