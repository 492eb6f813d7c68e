import type { EscalationStep } from '../config/hub-config';
import type { BusinessCalendar } from '../core/calendar';
import type { PromiseKind } from './records';

export type Audience = EscalationStep['notify'];

/**
 * What the promise watch does for one promise, and when: each configured escalation step, and
 * the moment the promise breaks if it is still open then (`due`).
 */
export type WatchStep = { at: number; kind: 'due' } | { at: number; kind: 'escalation'; index: number; notify: Audience };

const HOUR = 3_600_000;

/**
 * The steps of a promise in time order, a `due` step first where an escalation step falls at the
 * same instant (so "100%" tells of a promise already broken and replaced).
 *
 * Shares count service time (the team's calendar) between the making and the due time: made
 * Monday 16:00, due Tuesday 16:00, hours 09:00-17:00: 8 service hours, so "75%" is Tuesday
 * 14:00 and "100%" Tuesday 16:00. "+4h" is 4 service hours after the due time: Wednesday 12:00.
 *
 * The automatic acknowledgement and a promise that replaces a broken or moved one have no
 * escalation steps of their own: the first promise's steps go on for its whole chain, so a
 * broken promise does not start the warnings over.
 */
export function watchSteps(args: {
  promise: { kind: PromiseKind; madeAt: number; due: number; replacesId: number | null };
  /** When it counts as broken: the due time, or a callback's slot end. */
  breakAt: number;
  escalation: readonly EscalationStep[];
  calendar: BusinessCalendar;
}): WatchStep[] {
  const { promise, calendar } = args;
  const steps: WatchStep[] = [{ at: args.breakAt, kind: 'due' }];
  if (promise.kind === 'acknowledgement' || promise.replacesId !== null) return steps;
  const span = promise.due > promise.madeAt ? calendar.openMillisBetween(new Date(promise.madeAt), new Date(promise.due)) : 0;
  args.escalation.forEach((step, index) => {
    steps.push({ at: escalationInstant(step.at, { madeAt: promise.madeAt, due: promise.due, span, calendar }), kind: 'escalation', index, notify: step.notify });
  });
  return steps.sort((a, b) => a.at - b.at || (a.kind === 'due' ? -1 : b.kind === 'due' ? 1 : 0));
}

/** "75%", "100%", "150%", "+4h", "+30m" (validated by the configuration schema). */
function escalationInstant(at: string, args: { madeAt: number; due: number; span: number; calendar: BusinessCalendar }): number {
  const { calendar } = args;
  const after = /^\+(\d+(?:\.\d+)?)([hm])$/.exec(at);
  if (after) return calendar.addOpeningHours(new Date(args.due), Number(after[1]) / (after[2] === 'm' ? 60 : 1)).getTime();
  const share = Number(at.replace('%', '')) / 100;
  // At 100% and beyond, counted from the due time itself: a due time outside opening hours (an
  // agent's "by Friday 23:59") is 100% at that time, not at Friday's closing.
  if (share >= 1) return calendar.addOpeningHours(new Date(args.due), ((share - 1) * args.span) / HOUR).getTime();
  return Math.min(args.due, calendar.addOpeningHours(new Date(args.madeAt), (share * args.span) / HOUR).getTime());
}
