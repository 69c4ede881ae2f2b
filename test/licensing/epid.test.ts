import { describe, expect, it } from 'vitest';
import { clientExtendedPid, parseExtendedPid, platformIdForBuild } from '../../src/licensing/epid.js';

const CLIENT_EXAMPLE = '03612-03311-000-000001-03-1033-26200.0000-2232026';

/** Midday UTC of a 1-based day of the year. */
const dayOf = (year: number, day: number): Date => new Date(Date.UTC(year, 0, day, 12));

describe('parseExtendedPid — worked examples of epid.md §4', () => {
  const examples: [string, Record<string, number>][] = [
    [
      '03612-00206-566-260143-03-1033-17763.0000-2652019',
      { platformId: 3612, groupId: 206, serial: 566260143, channel: 3, lcid: 1033, build: 17763, dayOfYear: 265, year: 2019 },
    ],
    [
      '05426-00206-234-001162-03-1033-9200.0000-0992013',
      { platformId: 5426, groupId: 206, serial: 234001162, channel: 3, lcid: 1033, build: 9200, dayOfYear: 99, year: 2013 },
    ],
    [
      '06401-00206-491-411285-03-1031-9600.0000-0802017',
      { platformId: 6401, groupId: 206, serial: 491411285, channel: 3, lcid: 1031, build: 9600, dayOfYear: 80, year: 2017 },
    ],
    [
      CLIENT_EXAMPLE,
      { platformId: 3612, groupId: 3311, serial: 1, channel: 3, lcid: 1033, build: 26200, dayOfYear: 223, year: 2026 },
    ],
  ];

  it.each(examples)('parses %s', (epid, fields) => {
    expect(parseExtendedPid(epid)).toEqual(fields);
  });

  it.each(examples)('rebuilds %s from its fields', (epid, f) => {
    const rebuilt = clientExtendedPid({
      groupId: f.groupId!,
      serial: f.serial!,
      osBuild: f.build!,
      lcid: f.lcid!,
      installedAt: dayOf(f.year!, f.dayOfYear!),
    });
    expect(rebuilt).toBe(epid);
  });

  it('parses the ePIDs of the Windows 7 and Windows 10 LTSC samples', () => {
    expect(parseExtendedPid('55041-00140-015-871562-03-1033-7078.0000-0992009')).toMatchObject({ platformId: 55041, build: 7078 });
    expect(parseExtendedPid('06401-00206-555-634715-03-4105-9600.0000-2122014')).toMatchObject({ lcid: 4105, serial: 555634715 });
  });

  it('accepts day 000 (py-kms) and rejects malformed ePIDs', () => {
    expect(parseExtendedPid('03612-00206-566-260143-03-1033-17763.0000-0002019')?.dayOfYear).toBe(0);
    expect(parseExtendedPid('03612-00206-566-260143-03-1033-17763.0000-3662020')?.dayOfYear).toBe(366);
    for (const bad of [
      '03612-00206-566-260143-03-1033-17763.0000-3672019',
      '03612-00206-566-260143-03-1033-17763-2652019',
      '3612-00206-566-260143-03-1033-17763.0000-2652019',
      '03612-00206-566260143-03-1033-17763.0000-2652019',
      '03612-00206-566-260143-03-103-17763.0000-2652019',
      '03612-00206-566-26014X-03-1033-17763.0000-2652019',
      `${CLIENT_EXAMPLE}0`,
      '',
    ]) {
      expect(parseExtendedPid(bad), bad).toBeNull();
    }
  });
});

describe('clientExtendedPid', () => {
  it('reproduces the real client ePID of the Pro GVLK', () => {
    const epid = clientExtendedPid({
      groupId: 3311,
      serial: 1,
      osBuild: 26200,
      lcid: 1033,
      installedAt: new Date('2026-08-11T13:51:01Z'),
    });
    expect(epid).toBe(CLIENT_EXAMPLE);
  });

  it('maps builds to platform IDs', () => {
    const table: [number, number][] = [
      [6002, 55041],
      [7601, 55041],
      [9200, 5426],
      [9600, 6401],
      [10240, 3612],
      [14393, 3612],
      [17763, 3612],
      [20348, 3612],
      [26100, 3612],
    ];
    for (const [build, platform] of table) expect(platformIdForBuild(build)).toBe(platform);
    const epid = (osBuild: number): string =>
      clientExtendedPid({ groupId: 1, serial: 2, osBuild, lcid: 1031, installedAt: dayOf(2013, 1) });
    expect(epid(9200)).toBe('05426-00001-000-000002-03-1031-9200.0000-0012013');
    expect(epid(7601)).toBe('55041-00001-000-000002-03-1031-7601.0000-0012013');
  });

  it('uses group 0 and serial 0 for pkey2005 keys', () => {
    const epid = clientExtendedPid({ groupId: null, serial: null, osBuild: 7601, lcid: 1033, installedAt: dayOf(2009, 99) });
    expect(epid).toBe('55041-00000-000-000000-03-1033-7601.0000-0992009');
  });

  it('counts days 1-based in UTC, whatever the time of day', () => {
    const base = { groupId: 3311, serial: 1, osBuild: 26200, lcid: 1033 };
    expect(clientExtendedPid({ ...base, installedAt: new Date('2024-01-01T00:00:00Z') })).toMatch(/-0012024$/);
    expect(clientExtendedPid({ ...base, installedAt: new Date('2024-12-31T23:59:59Z') })).toMatch(/-3662024$/);
    expect(clientExtendedPid({ ...base, installedAt: new Date('2025-12-31T23:59:59Z') })).toMatch(/-3652025$/);
    expect(clientExtendedPid({ ...base, installedAt: new Date('2026-08-11T23:30:00-05:00') })).toMatch(/-2242026$/);
  });

  it('refuses values that do not fit the fixed-width fields', () => {
    const base = { groupId: 3311, serial: 1, osBuild: 26200, lcid: 1033, installedAt: dayOf(2026, 1) };
    expect(() => clientExtendedPid({ ...base, groupId: 100_000 })).toThrow(RangeError);
    expect(() => clientExtendedPid({ ...base, serial: 1_000_000_000 })).toThrow(RangeError);
    expect(() => clientExtendedPid({ ...base, serial: -1 })).toThrow(RangeError);
    expect(() => clientExtendedPid({ ...base, osBuild: 1.5 })).toThrow(RangeError);
    expect(() => clientExtendedPid({ ...base, installedAt: new Date(Number.NaN) })).toThrow(RangeError);
  });
});
