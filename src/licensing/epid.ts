// Extended product IDs ("Extended PID" in slmgr /dlv), laid out as in shared/reference/epid.md:
//   PPPPP-GGGGG-KKK-KKKKKK-CC-LLLL-BBBBB.0000-DDDYYYY
//   platform-group-serial/10^6-serial%10^6-channel-LCID-build.0000-dayOfYear+year

export interface ClientExtendedPidInput {
  /** Key group of the installed key; null for pkey2005 keys, whose group cannot be decoded offline. */
  groupId: number | null;
  serial: number | null;
  osBuild: number;
  lcid: number;
  installedAt: Date;
}

export interface ParsedExtendedPid {
  platformId: number;
  groupId: number;
  serial: number;
  channel: number;
  lcid: number;
  build: number;
  /** 1-based as Windows and vlmcsd write it; 0 is accepted because py-kms writes 0-based days. */
  dayOfYear: number;
  year: number;
}

/** Every GVLK client and KMS host writes the volume channel. */
const VOLUME_CHANNEL = '03';

const MAX_GROUP = 99_999;
const MAX_SERIAL = 999_999_999;
const MS_PER_DAY = 86_400_000;

/**
 * Platform ID of the OS build that installed the key (epid.md §2). The table names only release
 * builds; a build between two releases (a preview) takes the ID of the release it follows.
 */
export function platformIdForBuild(build: number): number {
  if (build >= 10240) return 3612;
  if (build >= 9600) return 6401;
  if (build >= 9200) return 5426;
  return 55041;
}

function requireInt(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} ${value} does not fit an extended PID`);
  }
  return value;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * The ePID a KMS client derives when its GVLK is installed. Date parts are taken in UTC so the
 * same store gives the same ePID on every machine. Groups and serials that would not fit the
 * fixed-width fields (possible in the 20/30-bit key fields, never seen on a GVLK) are refused
 * rather than printed misaligned.
 */
export function clientExtendedPid(input: ClientExtendedPidInput): string {
  const group = requireInt('group ID', input.groupId ?? 0, MAX_GROUP);
  const serial = requireInt('serial', input.serial ?? 0, MAX_SERIAL);
  const build = requireInt('OS build', input.osBuild, 99_999);
  const lcid = requireInt('LCID', input.lcid, 99_999);
  const time = input.installedAt.getTime();
  if (Number.isNaN(time)) throw new RangeError('installedAt is not a valid date');
  const year = requireInt('year', input.installedAt.getUTCFullYear(), 9999);
  const dayOfYear = Math.floor((time - Date.UTC(year, 0, 1)) / MS_PER_DAY) + 1;

  return [
    pad(platformIdForBuild(build), 5),
    pad(group, 5),
    pad(Math.floor(serial / 1_000_000), 3),
    pad(serial % 1_000_000, 6),
    VOLUME_CHANNEL,
    String(lcid),
    `${build}.0000`,
    `${pad(dayOfYear, 3)}${pad(year, 4)}`,
  ].join('-');
}

const EPID_PATTERN = /^(\d{5})-(\d{5})-(\d{3})-(\d{6})-(\d{2})-(\d{4,5})-(\d{4,5})\.0000-(\d{3})(\d{4})$/;

/** Splits an ePID into its fields; null when it is not shaped like one or its day exceeds 366. */
export function parseExtendedPid(s: string): ParsedExtendedPid | null {
  const m = EPID_PATTERN.exec(s.trim());
  if (!m) return null;
  const [platformId, groupId, serialHigh, serialLow, channel, lcid, build, dayOfYear, year] = m
    .slice(1)
    .map(Number) as [number, number, number, number, number, number, number, number, number];
  if (dayOfYear > 366) return null;
  return {
    platformId,
    groupId,
    serial: serialHigh * 1_000_000 + serialLow,
    channel,
    lcid,
    build,
    dayOfYear,
    year,
  };
}
