import { CALLBACK_RULES, CallbackRoster } from '../src/callbacks/roster';
import { parseHubConfig } from '../src/config/hub-config';
import { offerTeamSlots, offerWindow, type Range } from '../src/core/availability';
import { envInt, fixed, msSince, percentile, prng, type BenchContext, type Benchmark, type BenchmarkOutcome } from './harness';

/**
 * Time to work out the callback slots a team can offer: every agent's working hours from their
 * calendar (14 days, holidays removed), minus their bookings, stepped in 15-minute slots, merged
 * into "slot + free agents". The database read of the bookings is not included: this is the
 * slot algebra that runs on every GET /api/callbacks/slots and every booking.
 *
 * 50 agents on the demo team's hours (a fifth with their own, shorter hours), about a third of
 * their slots booked. Goal: median under 5 ms.
 *
 * Knobs: BENCH_CALLBACK_AGENTS (50), BENCH_CALLBACK_RUNS (500).
 */

/** Bench "now": Tuesday 1 December 2026, 09:00 in Amsterdam. */
const NOW = Date.parse('2026-12-01T09:00:00+01:00');
const SLOT_MS = 15 * 60_000;

export const callbacksBenchmark: Benchmark = {
  name: 'callbacks',
  description: 'callback slot offer (50 agents x 14 days, a third booked): median and p99 ms',
  run: runCallbacksBenchmark,
};

async function runCallbacksBenchmark({ config, log }: BenchContext): Promise<BenchmarkOutcome> {
  const agentCount = envInt('BENCH_CALLBACK_AGENTS', 50);
  const runs = envInt('BENCH_CALLBACK_RUNS', 500);
  const team = config.teams[0];
  if (!team) throw new Error('callbacks bench: the configuration has no team');
  const benchConfig = parseHubConfig(
    {
      ...config,
      defaultTeam: team.id,
      agents: Array.from({ length: agentCount }, (_, i) => ({
        id: `agent${String(i).padStart(2, '0')}`,
        name: `Agent ${i}`,
        team: team.id,
        ...(i % 5 === 4 ? { hours: { mon: ['09:00-13:00'], wed: ['12:00-17:00'], thu: ['09:00-17:00'], fri: ['09:00-12:00'] } } : {}),
      })),
    },
    'callbacks bench config',
  );
  const roster = new CallbackRoster(benchConfig);
  const agents = roster.agents(team.id);
  const within = offerWindow({ now: NOW, ...CALLBACK_RULES });

  // A third of each agent's slots booked, at random.
  const random = prng(0x63616c6c);
  const busy = new Map<string, Range[]>();
  let bookings = 0;
  for (const agent of agents) {
    const ranges: Range[] = [];
    for (const open of agent.calendar.openIntervals(new Date(within.start), new Date(within.end))) {
      for (let at = open.start.getTime(); at + SLOT_MS <= open.end.getTime(); at += SLOT_MS) {
        if (random() < 1 / 3) ranges.push({ start: at, end: at + SLOT_MS });
      }
    }
    bookings += ranges.length;
    busy.set(agent.agentId, ranges);
  }
  const offer = () => offerTeamSlots({ agents, busy, within, slotMinutes: benchConfig.slotMinutes, timezone: benchConfig.timezone });

  const coldStart = process.hrtime.bigint();
  const slots = offer();
  const coldMs = msSince(coldStart);
  const pairs = slots.reduce((sum, slot) => sum + slot.agents.length, 0);
  log(`callbacks: ${agents.length} agents, ${bookings} bookings, ${slots.length} slots offered (${pairs} slot-agent pairs); first run ${fixed(coldMs, 2)} ms`);

  for (let i = 0; i < 50; i++) offer(); // warm-up
  const full: number[] = [];
  const firstThree: number[] = [];
  for (let i = 0; i < runs; i++) {
    let start = process.hrtime.bigint();
    offer();
    full.push(msSince(start));
    start = process.hrtime.bigint();
    offerTeamSlots({ agents, busy, within, slotMinutes: benchConfig.slotMinutes, timezone: benchConfig.timezone, limit: 3 });
    firstThree.push(msSince(start));
  }
  const result = {
    agents: agents.length,
    days: CALLBACK_RULES.horizonDays,
    bookings,
    slots: slots.length,
    runs,
    firstRunMs: coldMs,
    full: { p50Ms: percentile(full, 0.5), p99Ms: percentile(full, 0.99), maxMs: percentile(full, 1) },
    limit3: { p50Ms: percentile(firstThree, 0.5), p99Ms: percentile(firstThree, 0.99), maxMs: percentile(firstThree, 1) },
  };
  log(`callbacks: all slots p50 ${fixed(result.full.p50Ms, 3)} ms, p99 ${fixed(result.full.p99Ms, 3)} ms; limit 3 p50 ${fixed(result.limit3.p50Ms, 3)} ms (goal: p50 under 5 ms)`);
  return {
    table: {
      header: ['callbacks', 'p50 (ms)', 'p99 (ms)', 'max (ms)'],
      rows: [
        [`slot offer, ${agents.length} agents x ${CALLBACK_RULES.horizonDays} days`, fixed(result.full.p50Ms, 3), fixed(result.full.p99Ms, 3), fixed(result.full.maxMs, 3)],
        ['same, limit 3', fixed(result.limit3.p50Ms, 3), fixed(result.limit3.p99Ms, 3), fixed(result.limit3.maxMs, 3)],
      ],
    },
    tracked: { 'callbacks slot offer p50 ms': result.full.p50Ms, 'callbacks slot offer p99 ms': result.full.p99Ms },
    data: result,
  };
}
