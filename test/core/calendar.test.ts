import { expect } from 'chai';
import { DateTime } from 'luxon';
import type { WeeklyHours } from '../../src/config/hub-config';
import { BusinessCalendar, type OpenInterval } from '../../src/core/calendar';

const zone = 'Europe/Amsterdam';
const teamHours: WeeklyHours = {
  mon: ['09:00-17:00'],
  tue: ['09:00-12:30', '13:30-17:00'],
  wed: ['09:00-17:00'],
  thu: ['09:00-17:00'],
  fri: ['09:00-17:00'],
};
const team = new BusinessCalendar({ timezone: zone, holidays: 'NL', hours: teamHours });

const at = (iso: string): Date => new Date(iso);
/** Local wall time with offset, e.g. "2026-03-30T16:00:00+02:00". */
const local = (d: Date): string | null => DateTime.fromJSDate(d).setZone(zone).toISO({ suppressMilliseconds: true });
const localIntervals = (list: OpenInterval[]): string[] => list.map((i) => `${local(i.start)} - ${local(i.end)}`);
const everyDay = (range: string): WeeklyHours => ({
  mon: [range], tue: [range], wed: [range], thu: [range], fri: [range], sat: [range], sun: [range],
});

describe('BusinessCalendar', () => {
  describe('addOpeningHours', () => {
    it('stays on the same day when the hours fit before closing', () => {
      expect(local(team.addOpeningHours(at('2026-06-10T10:00:00+02:00'), 2))).to.equal('2026-06-10T12:00:00+02:00');
    });

    it('rolls over to the next morning: Wed 16:00 + 2h -> Thu 10:00', () => {
      expect(local(team.addOpeningHours(at('2026-06-10T16:00:00+02:00'), 2))).to.equal('2026-06-11T10:00:00+02:00');
    });

    it('returns the closing instant when the hours end exactly at closing, not the next opening', () => {
      expect(local(team.addOpeningHours(at('2026-06-10T16:00:00+02:00'), 1))).to.equal('2026-06-10T17:00:00+02:00');
    });

    it('skips the weekend: Friday 16:00 + 8h -> Monday 16:00 (1h Friday, 7h Monday)', () => {
      expect(local(team.addOpeningHours(at('2026-06-12T16:00:00+02:00'), 8))).to.equal('2026-06-15T16:00:00+02:00');
    });

    it('skips the Tuesday lunch break', () => {
      // 12:00-12:30 is half an hour, the other half starts at 13:30.
      expect(local(team.addOpeningHours(at('2026-06-09T12:00:00+02:00'), 1))).to.equal('2026-06-09T14:00:00+02:00');
      // Arriving during lunch counts from 13:30.
      expect(local(team.addOpeningHours(at('2026-06-09T13:00:00+02:00'), 1))).to.equal('2026-06-09T14:30:00+02:00');
    });

    it('starts counting at opening when the message arrives before opening', () => {
      expect(local(team.addOpeningHours(at('2026-06-10T07:00:00+02:00'), 1))).to.equal('2026-06-10T10:00:00+02:00');
    });

    it('starts counting the next morning when the message arrives after closing', () => {
      expect(local(team.addOpeningHours(at('2026-06-10T18:00:00+02:00'), 1))).to.equal('2026-06-11T10:00:00+02:00');
    });

    it('starts counting on Monday when the message arrives on a weekend', () => {
      expect(local(team.addOpeningHours(at('2026-06-13T11:00:00+02:00'), 1))).to.equal('2026-06-15T10:00:00+02:00');
    });

    it('counts a full week: Monday 09:00 + 39h (8+7+8+8+8) -> Friday 17:00', () => {
      expect(local(team.addOpeningHours(at('2026-06-08T09:00:00+02:00'), 39))).to.equal('2026-06-12T17:00:00+02:00');
    });

    it('accepts fractional hours', () => {
      expect(local(team.addOpeningHours(at('2026-06-10T16:50:00+02:00'), 0.25))).to.equal('2026-06-11T09:05:00+02:00');
    });

    it('returns now for 0 hours, even when closed', () => {
      const saturday = at('2026-06-13T11:00:00+02:00');
      expect(team.addOpeningHours(saturday, 0).toISOString()).to.equal(saturday.toISOString());
    });

    it('rejects negative or non-finite hours', () => {
      expect(() => team.addOpeningHours(at('2026-06-10T10:00:00+02:00'), -1)).to.throw(RangeError);
      expect(() => team.addOpeningHours(at('2026-06-10T10:00:00+02:00'), Number.NaN)).to.throw(RangeError);
    });

    it('is fast enough to run per new thread (well under 1 ms for 8 or 24 hours)', () => {
      const start = at('2026-06-12T16:00:00+02:00');
      team.addOpeningHours(start, 24); // warm up caches and JIT
      const runs = 500;
      const t0 = performance.now();
      for (let i = 0; i < runs; i++) {
        team.addOpeningHours(start, 8);
        team.addOpeningHours(start, 24);
      }
      const perCall = (performance.now() - t0) / (2 * runs);
      expect(perCall).to.be.below(1);
    });
  });

  describe('daylight saving time', () => {
    it('gives the summer-time offset after the last Sunday of March: Fri 16:00+01:00 + 8h -> Mon 16:00+02:00', () => {
      const due = team.addOpeningHours(at('2026-03-27T16:00:00+01:00'), 8);
      expect(local(due)).to.equal('2026-03-30T16:00:00+02:00');
      expect(due.toISOString()).to.equal('2026-03-30T14:00:00.000Z');
    });

    it('gives the winter-time offset after the last Sunday of October: Fri 16:00+02:00 + 8h -> Mon 16:00+01:00', () => {
      const due = team.addOpeningHours(at('2026-10-23T16:00:00+02:00'), 8);
      expect(local(due)).to.equal('2026-10-26T16:00:00+01:00');
      expect(due.toISOString()).to.equal('2026-10-26T15:00:00.000Z');
    });

    const sundayNight = new BusinessCalendar({ timezone: zone, holidays: false, hours: { sun: ['00:00-04:00'] } });

    it('counts "00:00-04:00" as 3 real hours on 2026-03-29 (clocks skip 02:00-03:00)', () => {
      const [interval, ...rest] = sundayNight.openIntervals(at('2026-03-29T00:00:00+01:00'), at('2026-03-30T00:00:00+02:00'));
      expect(rest).to.deep.equal([]);
      expect(interval!.end.getTime() - interval!.start.getTime()).to.equal(3 * 3_600_000);
      expect(local(sundayNight.addOpeningHours(at('2026-03-28T12:00:00+01:00'), 3))).to.equal('2026-03-29T04:00:00+02:00');
      // Half an hour more spills into the next Sunday.
      expect(local(sundayNight.addOpeningHours(at('2026-03-28T12:00:00+01:00'), 3.5))).to.equal('2026-04-05T00:30:00+02:00');
    });

    it('counts "00:00-04:00" as 5 real hours on 2026-10-25 (clocks repeat 02:00-03:00)', () => {
      const intervals = sundayNight.openIntervals(at('2026-10-25T00:00:00+02:00'), at('2026-10-26T00:00:00+01:00'));
      expect(localIntervals(intervals)).to.deep.equal(['2026-10-25T00:00:00+02:00 - 2026-10-25T04:00:00+01:00']);
      expect(local(sundayNight.addOpeningHours(at('2026-10-24T12:00:00+02:00'), 5))).to.equal('2026-10-25T04:00:00+01:00');
    });

    it('keeps "09:00-17:00" at 8 real hours on a DST Sunday', () => {
      const sundayDay = new BusinessCalendar({ timezone: zone, holidays: false, hours: { sun: ['09:00-17:00'] } });
      expect(localIntervals(sundayDay.openIntervals(at('2026-03-29T00:00:00+01:00'), at('2026-03-30T00:00:00+02:00')))).to.deep.equal([
        '2026-03-29T09:00:00+02:00 - 2026-03-29T17:00:00+02:00',
      ]);
      expect(local(sundayDay.addOpeningHours(at('2026-10-25T09:00:00+01:00'), 8))).to.equal('2026-10-25T17:00:00+01:00');
    });
  });

  describe('holidays (NL)', () => {
    it('closes on Koningsdag, Monday 2026-04-27: Fri 24 April 16:00 + 8h -> Tue 28 April 17:00', () => {
      expect(team.isOpen(at('2026-04-27T10:00:00+02:00'))).to.equal(false);
      // 1h Friday; Tuesday 09:00-12:30 gives 3.5h, 13:30-17:00 the last 3.5h.
      expect(local(team.addOpeningHours(at('2026-04-24T16:00:00+02:00'), 8))).to.equal('2026-04-28T17:00:00+02:00');
      expect(local(team.nextOpening(at('2026-04-24T17:00:00+02:00')))).to.equal('2026-04-28T09:00:00+02:00');
    });

    it('moves Koningsdag 2025 to Saturday 26 April because 27 April is a Sunday', () => {
      const dates = team.holidaysIn(2025).map((h) => h.date);
      expect(team.holidaysIn(2025)).to.deep.include({ date: '2025-04-26', name: 'Koningsdag' });
      expect(dates).not.to.include('2025-04-27');
    });

    it('lists the public holidays of 2026 only', () => {
      expect(team.holidaysIn(2026).map((h) => h.date)).to.deep.equal([
        '2026-01-01', // Nieuwjaar
        '2026-04-05', // Pasen
        '2026-04-06', // Tweede paasdag
        '2026-04-27', // Koningsdag
        '2026-05-14', // Hemelvaartsdag
        '2026-05-24', // Pinksteren
        '2026-05-25', // Tweede pinksterdag
        '2026-12-25', // Kerstmis
        '2026-12-26', // Tweede kerstdag
      ]);
    });

    it('stays open on Goede Vrijdag 2026-04-03 and Bevrijdingsdag 2026-05-05 (not public holidays in date-holidays)', () => {
      expect(team.isOpen(at('2026-04-03T10:00:00+02:00'))).to.equal(true);
      expect(team.isOpen(at('2026-05-05T10:00:00+02:00'))).to.equal(true);
    });

    it('closes on Easter Monday 2026-04-06 and Ascension Day 2026-05-14', () => {
      expect(team.isOpen(at('2026-04-06T10:00:00+02:00'))).to.equal(false);
      expect(team.isOpen(at('2026-05-14T10:00:00+02:00'))).to.equal(false);
      expect(local(team.nextOpening(at('2026-04-06T10:00:00+02:00')))).to.equal('2026-04-07T09:00:00+02:00');
    });

    it('closes on both Christmas days, 2026-12-25 and 2026-12-26', () => {
      const allWeek = new BusinessCalendar({ timezone: zone, holidays: 'NL', hours: everyDay('09:00-17:00') });
      expect(allWeek.isOpen(at('2026-12-24T10:00:00+01:00'))).to.equal(true);
      expect(allWeek.isOpen(at('2026-12-25T10:00:00+01:00'))).to.equal(false);
      expect(allWeek.isOpen(at('2026-12-26T10:00:00+01:00'))).to.equal(false);
      expect(local(allWeek.addOpeningHours(at('2026-12-24T16:00:00+01:00'), 2))).to.equal('2026-12-27T10:00:00+01:00');
    });

    it('closes the whole local day, also outside the usual hours', () => {
      const allDay = new BusinessCalendar({ timezone: zone, holidays: 'NL', hours: everyDay('00:00-24:00') });
      expect(allDay.isOpen(at('2026-04-26T23:59:00+02:00'))).to.equal(true);
      expect(allDay.isOpen(at('2026-04-27T00:00:00+02:00'))).to.equal(false);
      expect(local(allDay.nextOpening(at('2026-04-27T00:00:00+02:00')))).to.equal('2026-04-28T00:00:00+02:00');
    });

    it('keeps Koningsdag open with holidays: false', () => {
      const noHolidays = new BusinessCalendar({ timezone: zone, holidays: false, hours: teamHours });
      expect(noHolidays.isOpen(at('2026-04-27T10:00:00+02:00'))).to.equal(true);
      expect(noHolidays.holidaysIn(2026)).to.deep.equal([]);
      expect(local(noHolidays.addOpeningHours(at('2026-04-24T16:00:00+02:00'), 8))).to.equal('2026-04-27T16:00:00+02:00');
    });
  });

  describe('openIntervals', () => {
    it('clips the first and last interval to [from, to)', () => {
      expect(localIntervals(team.openIntervals(at('2026-06-08T10:00:00+02:00'), at('2026-06-09T11:00:00+02:00')))).to.deep.equal([
        '2026-06-08T10:00:00+02:00 - 2026-06-08T17:00:00+02:00',
        '2026-06-09T09:00:00+02:00 - 2026-06-09T11:00:00+02:00',
      ]);
    });

    it('keeps the lunch break as a gap', () => {
      expect(localIntervals(team.openIntervals(at('2026-06-09T00:00:00+02:00'), at('2026-06-10T00:00:00+02:00')))).to.deep.equal([
        '2026-06-09T09:00:00+02:00 - 2026-06-09T12:30:00+02:00',
        '2026-06-09T13:30:00+02:00 - 2026-06-09T17:00:00+02:00',
      ]);
    });

    it('merges adjacent ranges into one interval', () => {
      const split = new BusinessCalendar({ timezone: zone, holidays: false, hours: { mon: ['09:00-12:00', '12:00-17:00'] } });
      expect(localIntervals(split.openIntervals(at('2026-06-08T00:00:00+02:00'), at('2026-06-09T00:00:00+02:00')))).to.deep.equal([
        '2026-06-08T09:00:00+02:00 - 2026-06-08T17:00:00+02:00',
      ]);
    });

    it('merges across midnight ("20:00-24:00" then "00:00-02:00")', () => {
      const nights = new BusinessCalendar({ timezone: zone, holidays: false, hours: { fri: ['20:00-24:00'], sat: ['00:00-02:00'] } });
      expect(localIntervals(nights.openIntervals(at('2026-06-12T00:00:00+02:00'), at('2026-06-14T00:00:00+02:00')))).to.deep.equal([
        '2026-06-12T20:00:00+02:00 - 2026-06-13T02:00:00+02:00',
      ]);
      expect(nights.isOpen(at('2026-06-13T00:00:00+02:00'))).to.equal(true);
    });

    it('leaves out holidays and returns nothing for an empty range', () => {
      expect(team.openIntervals(at('2026-04-27T00:00:00+02:00'), at('2026-04-28T00:00:00+02:00'))).to.deep.equal([]);
      expect(team.openIntervals(at('2026-06-08T12:00:00+02:00'), at('2026-06-08T12:00:00+02:00'))).to.deep.equal([]);
    });
  });

  describe('isOpen and nextOpening', () => {
    it('treats opening as open and closing as closed', () => {
      expect(team.isOpen(at('2026-06-10T09:00:00+02:00'))).to.equal(true);
      expect(team.isOpen(at('2026-06-10T16:59:59+02:00'))).to.equal(true);
      expect(team.isOpen(at('2026-06-10T17:00:00+02:00'))).to.equal(false);
      expect(team.isOpen(at('2026-06-09T13:00:00+02:00'))).to.equal(false);
    });

    it('returns the instant itself when open', () => {
      expect(local(team.nextOpening(at('2026-06-10T11:15:00+02:00')))).to.equal('2026-06-10T11:15:00+02:00');
    });

    it('returns the next opening when closed', () => {
      expect(local(team.nextOpening(at('2026-06-10T17:00:00+02:00')))).to.equal('2026-06-11T09:00:00+02:00');
      expect(local(team.nextOpening(at('2026-06-09T12:30:00+02:00')))).to.equal('2026-06-09T13:30:00+02:00');
      expect(local(team.nextOpening(at('2026-06-13T11:00:00+02:00')))).to.equal('2026-06-15T09:00:00+02:00');
    });
  });

  describe('configuration errors', () => {
    const neverOpen = new BusinessCalendar({ timezone: zone, holidays: 'NL', hours: {} });

    it('throws a clear error instead of hanging when the week has no opening hours', () => {
      expect(() => neverOpen.addOpeningHours(at('2026-06-10T10:00:00+02:00'), 8)).to.throw(/no opening hours/);
      expect(() => neverOpen.nextOpening(at('2026-06-10T10:00:00+02:00'))).to.throw(/no opening hours/);
      expect(neverOpen.isOpen(at('2026-06-10T10:00:00+02:00'))).to.equal(false);
    });

    it('rejects an unknown timezone, holiday country or malformed range', () => {
      expect(() => new BusinessCalendar({ timezone: 'Europe/Nowhere', holidays: false, hours: {} })).to.throw(/timezone/);
      expect(() => new BusinessCalendar({ timezone: zone, holidays: 'XX', hours: {} })).to.throw(/holiday country/);
      expect(() => new BusinessCalendar({ timezone: zone, holidays: false, hours: { mon: ['17:00-09:00'] } })).to.throw(/17:00-09:00/);
    });
  });
});
