import { join } from 'node:path';
import { expect } from 'chai';
import { CALLBACK_RULES, CallbackRoster } from '../../src/callbacks/roster';
import { alignedSlotStarts, offerSlots, offerTeamSlots, offerWindow, type Range } from '../../src/core/availability';
import { loadHubConfig, parseHubConfig, type HubConfig } from '../../src/config/hub-config';
import { toIso } from '../../src/core/format-time';

const ZONE = 'Europe/Amsterdam';
const demo = loadHubConfig(join(__dirname, '..', '..', 'config', 'klachtenhub.json'));

/** A team that works Sunday nights 00:00-04:00: the hours the clocks change in. */
const nightShift = parseHubConfig(
  {
    timezone: ZONE,
    holidays: 'NL',
    slotMinutes: 15,
    teams: [{ id: 'night', name: 'Nachtdienst', hours: { sun: ['00:00-04:00'] } }],
    agents: [{ id: 'nina', name: 'Nina', team: 'night' }],
  },
  'night-shift test config',
);

/** The team's slots as ISO strings in the business zone, as the API shows them. */
function slots(config: HubConfig, options: { now: string; from?: string; busy?: Record<string, [string, string][]>; limit?: number; team?: string }): string[] {
  return offer(config, options).map((slot) => toIso(slot.start, config.timezone));
}

function offer(config: HubConfig, options: { now: string; from?: string; busy?: Record<string, [string, string][]>; limit?: number; team?: string }) {
  const roster = new CallbackRoster(config);
  const busy = new Map<string, Range[]>(
    Object.entries(options.busy ?? {}).map(([agent, ranges]) => [agent, ranges.map(([start, end]) => ({ start: Date.parse(start), end: Date.parse(end) }))]),
  );
  return offerTeamSlots({
    agents: roster.agents(options.team ?? roster.defaultTeam),
    busy,
    within: offerWindow({ now: Date.parse(options.now), from: options.from ? Date.parse(options.from) : undefined, ...CALLBACK_RULES }),
    slotMinutes: config.slotMinutes,
    timezone: config.timezone,
    limit: options.limit,
  });
}

function quarterHours(from: string, to: string, offset: string): string[] {
  const result: string[] = [];
  for (let at = Date.parse(`${from}${offset}`); at < Date.parse(`${to}${offset}`); at += 15 * 60_000) result.push(toIso(at, ZONE));
  return result;
}

describe('callbacks: availability (slot algebra)', () => {
  describe('daylight saving time', () => {
    it('offers no 02:xx slot on 2026-03-29, when 02:00-03:00 does not exist: 00:00-04:00 is 3 hours, 12 slots', () => {
      const night = slots(nightShift, { now: '2026-03-28T12:00:00+01:00' }).filter((iso) => iso.startsWith('2026-03-29'));
      expect(night).to.deep.equal([
        ...quarterHours('2026-03-29T00:00:00', '2026-03-29T02:00:00', '+01:00'),
        ...quarterHours('2026-03-29T03:00:00', '2026-03-29T04:00:00', '+02:00'),
      ]);
      expect(night).to.have.length(12);
      expect(night.some((iso) => iso.includes('T02:'))).to.equal(false);
      expect(night).to.include('2026-03-29T01:45:00+01:00').and.include('2026-03-29T03:00:00+02:00');
    });

    it('offers the repeated hour of 2026-10-25 once at +02:00 and once at +01:00, no instant twice: 00:00-04:00 is 5 hours, 20 slots', () => {
      const found = offer(nightShift, { now: '2026-10-24T12:00:00+02:00' }).filter((slot) => toIso(slot.start, ZONE).startsWith('2026-10-25'));
      const night = found.map((slot) => toIso(slot.start, ZONE));
      expect(night).to.deep.equal([
        ...quarterHours('2026-10-25T00:00:00', '2026-10-25T03:00:00', '+02:00'),
        ...quarterHours('2026-10-25T02:00:00', '2026-10-25T04:00:00', '+01:00'),
      ]);
      expect(night).to.have.length(20);
      expect(new Set(found.map((slot) => slot.start)).size).to.equal(20);
      // Back to back, 15 real minutes apart: the repeated hour is neither dropped nor stacked.
      found.slice(1).forEach((slot, i) => expect(slot.start - (found[i] as { end: number }).end).to.equal(0));
      expect(found.every((slot) => slot.end - slot.start === 15 * 60_000)).to.equal(true);
    });

    it('keeps slots on the local quarter hours across the change, also for a team working around the clock', () => {
      const starts = alignedSlotStarts(
        { start: Date.parse('2026-03-28T23:10:00+01:00'), end: Date.parse('2026-03-29T04:00:00+02:00') },
        { slotMinutes: 30, timezone: ZONE },
      ).map((at) => toIso(at, ZONE));
      expect(starts).to.deep.equal([
        '2026-03-28T23:30:00+01:00',
        '2026-03-29T00:00:00+01:00',
        '2026-03-29T00:30:00+01:00',
        '2026-03-29T01:00:00+01:00',
        '2026-03-29T01:30:00+01:00',
        '2026-03-29T03:00:00+02:00',
        '2026-03-29T03:30:00+02:00',
      ]);
    });
  });

  it('offers nothing on Koningsdag (Monday 2026-04-27): the next slot is Tuesday 09:00', () => {
    const offered = slots(demo, { now: '2026-04-26T12:00:00+02:00', limit: 40 });
    expect(offered[0]).to.equal('2026-04-28T09:00:00+02:00');
    expect(offered.some((iso) => iso.startsWith('2026-04-27'))).to.equal(false);
  });

  it('offers nothing in the Tuesday lunch break 12:30-13:30', () => {
    expect(slots(demo, { now: '2026-11-24T10:00:00+01:00', from: '2026-11-24T12:00:00+01:00', limit: 3 })).to.deep.equal([
      '2026-11-24T12:00:00+01:00',
      '2026-11-24T12:15:00+01:00',
      '2026-11-24T13:30:00+01:00',
    ]);
  });

  it('offers a slot with the agents free for it, and none once every agent is booked', () => {
    const busy = {
      anna: [['2026-11-25T13:00:00+01:00', '2026-11-25T17:00:00+01:00']] as [string, string][],
      bram: [
        ['2026-11-25T09:00:00+01:00', '2026-11-25T09:15:00+01:00'],
        ['2026-11-25T13:00:00+01:00', '2026-11-25T17:00:00+01:00'],
      ] as [string, string][],
    };
    const morning = offer(demo, { now: '2026-11-24T18:00:00+01:00', busy, limit: 2 });
    expect(morning.map((slot) => [toIso(slot.start, ZONE), slot.agents])).to.deep.equal([
      ['2026-11-25T09:00:00+01:00', ['anna']],
      ['2026-11-25T09:15:00+01:00', ['anna', 'bram']],
    ]);
    // The whole Wednesday afternoon booked for both: the next offer after 12:45 is Thursday 09:00.
    expect(slots(demo, { now: '2026-11-24T18:00:00+01:00', from: '2026-11-25T12:30:00+01:00', busy, limit: 3 })).to.deep.equal([
      '2026-11-25T12:30:00+01:00',
      '2026-11-25T12:45:00+01:00',
      '2026-11-26T09:00:00+01:00',
    ]);
  });

  it('keeps 30 minutes notice, rounded up to the next slot boundary', () => {
    expect(slots(demo, { now: '2026-11-24T10:00:00+01:00', limit: 1 })).to.deep.equal(['2026-11-24T10:30:00+01:00']);
    expect(slots(demo, { now: '2026-11-24T10:07:00+01:00', limit: 1 })).to.deep.equal(['2026-11-24T10:45:00+01:00']);
    // A `from` earlier than the notice allows does not bring it forward.
    expect(slots(demo, { now: '2026-11-24T10:07:00+01:00', from: '2026-11-24T09:00:00+01:00', limit: 1 })).to.deep.equal(['2026-11-24T10:45:00+01:00']);
    // Friday 16:45: the notice runs past closing, so Monday 09:00.
    expect(slots(demo, { now: '2026-11-27T16:45:00+01:00', limit: 1 })).to.deep.equal(['2026-11-30T09:00:00+01:00']);
  });

  it('offers nothing beyond the 14-day horizon', () => {
    const all = offer(demo, { now: '2026-11-24T10:00:00+01:00' });
    const last = all[all.length - 1] as { end: number };
    expect(last.end).to.be.at.most(Date.parse('2026-12-08T10:00:00+01:00'));
    expect(toIso(last.end, ZONE)).to.equal('2026-12-08T10:00:00+01:00'); // Tuesday 8 December, up to the horizon exactly
  });

  it("uses an agent's own hours instead of the team's", () => {
    const config = parseHubConfig(
      {
        ...demo,
        agents: [
          { id: 'anna', name: 'Anna', team: 'service', hours: { wed: ['09:00-10:00'] } },
          { id: 'bram', name: 'Bram', team: 'service', hours: { wed: ['09:30-11:00'] } },
        ],
      },
      'agent hours test config',
    );
    const wednesday = offer(config, { now: '2026-11-24T18:00:00+01:00', limit: 8 });
    expect(wednesday.map((slot) => `${toIso(slot.start, ZONE).slice(11, 16)} ${slot.agents.join('+')}`)).to.deep.equal([
      '09:00 anna',
      '09:15 anna',
      '09:30 anna+bram',
      '09:45 anna+bram',
      '10:00 bram',
      '10:15 bram',
      '10:30 bram',
      '10:45 bram',
    ]);
  });

  it('aligns slots to the local wall clock, counted from midnight, and only offers whole slots', () => {
    const open = { start: Date.parse('2026-11-24T09:10:00+01:00'), end: Date.parse('2026-11-24T10:30:00+01:00') };
    expect(alignedSlotStarts(open, { slotMinutes: 20, timezone: ZONE }).map((at) => toIso(at, ZONE).slice(11, 16))).to.deep.equal(['09:20', '09:40', '10:00']);
    // Kathmandu is UTC+05:45: its quarter hours are not UTC's.
    expect(alignedSlotStarts(open, { slotMinutes: 15, timezone: 'Asia/Kathmandu' }).map((at) => toIso(at, 'Asia/Kathmandu').slice(11, 16))).to.deep.equal([
      '14:00',
      '14:15',
      '14:30',
      '14:45',
      '15:00',
    ]);
  });

  it('treats a busy range as blocking every slot it touches, and only those', () => {
    const open: Range[] = [{ start: Date.parse('2026-11-24T09:00:00+01:00'), end: Date.parse('2026-11-24T10:00:00+01:00') }];
    const busy: Range[] = [{ start: Date.parse('2026-11-24T09:10:00+01:00'), end: Date.parse('2026-11-24T09:20:00+01:00') }];
    const offered = offerSlots({ agents: [{ agentId: 'anna', open, busy }], within: open[0] as Range, slotMinutes: 15, timezone: ZONE });
    expect(offered.map((slot) => toIso(slot.start, ZONE).slice(11, 16))).to.deep.equal(['09:30', '09:45']);
  });
});
