import type { PromiseRecord } from './records';

export interface PromiseOwner {
  team: string | null;
  /** Absent while the thread is unassigned: then the team owns it. */
  agent?: string;
}

/**
 * Who must keep a promise: an agent's own promise is theirs, a callback is its agent's, the
 * others follow the thread (whoever it is assigned to now, after transfers and absences). The
 * team is always the thread's.
 */
export function promiseOwner(promise: Pick<PromiseRecord, 'kind' | 'agentId'>, thread: { team: string | null; agent: string | null }, callbackAgent: string | null): PromiseOwner {
  const agent = promise.kind === 'agent' ? promise.agentId : promise.kind === 'callback' ? callbackAgent : thread.agent;
  return agent ? { team: thread.team, agent } : { team: thread.team };
}
