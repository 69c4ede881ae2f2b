// Global options: a flag on the command line wins over its SLMGR_* environment variable.

import { parseDnsServer } from '../discovery/endpoint.js';
import { OptionError } from '../errors.js';
import { KMS_CONNECT_TIMEOUT_MS, KMS_EXCHANGE_TIMEOUT_MS } from '../licensing/kms.js';
import type { GlobalFlags } from './argv.js';
import type { ExitCodeMode } from './exit-codes.js';

export type BackendName = 'sim' | 'kms';

export interface RunOptions {
  json: boolean;
  /** Explicit store path (--store or SLMGR_STORE); undefined means the platform default. */
  store: string | undefined;
  backend: BackendName;
  /** The licensing clock in ms; undefined means the real clock. */
  now: number | undefined;
  exitCodes: ExitCodeMode;
  /** undefined: decide from the terminal and NO_COLOR / FORCE_COLOR. */
  color: boolean | undefined;
  network: NetworkOptions;
}

/** How the kms backend talks to the network (docs/kms.md lists the defaults). */
export interface NetworkOptions {
  /** Per KMS host: connect plus bind, and then the request, each within this many ms. */
  timeoutMs: number;
  connectTimeoutMs: number;
  /** A DNS server to ask for SRV records instead of the system resolver. */
  dnsServer: { host: string; port: number } | undefined;
  /** Forces a KMS protocol version instead of each product's own. */
  protocol: 4 | 5 | 6 | undefined;
  /** The domain to look KMS hosts up in when neither /skms-domain nor the DNS suffix names one. */
  domain: string | undefined;
}

export const DEFAULT_NETWORK_OPTIONS: NetworkOptions = {
  timeoutMs: KMS_EXCHANGE_TIMEOUT_MS,
  connectTimeoutMs: KMS_CONNECT_TIMEOUT_MS,
  dnsServer: undefined,
  protocol: undefined,
  domain: undefined,
};

/** Longer than any sane wait, short enough that a typo like 5000000 is caught. */
const MAX_TIMEOUT_MS = 10 * 60_000;

const TRUE_WORDS = ['1', 'true', 'yes', 'on'];
const FALSE_WORDS = ['0', 'false', 'no', 'off', ''];

/** SLMGR_JSON as far as it can be read, for reporting a bad option in the mode the user asked for. */
export function wantsJson(flags: GlobalFlags, env: NodeJS.ProcessEnv): boolean {
  return flags.json ?? TRUE_WORDS.includes((env.SLMGR_JSON ?? '').trim().toLowerCase());
}

function envBoolean(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const lower = value.trim().toLowerCase();
  if (TRUE_WORDS.includes(lower)) return true;
  if (FALSE_WORDS.includes(lower)) return false;
  throw new OptionError(`${name} must be one of 1, true, yes, on, 0, false, no, off (got "${value}")`);
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  const lower = value.toLowerCase();
  const match = allowed.find((a) => a === lower);
  if (match === undefined) throw new OptionError(`${name} must be ${allowed.join(' or ')} (got "${value}")`);
  return match;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** A calendar date that exists: Date.parse would roll 2026-02-30 over to March 2. */
function realDate(text: string): boolean {
  const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

export function parseNow(name: string, value: string): number {
  const text = value.trim();
  const ms = ISO_8601.test(text) && realDate(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) throw new OptionError(`${name} must be an ISO-8601 date or date-time, e.g. 2026-11-25T12:00:00Z (got "${value}")`);
  return ms;
}

/** "5000", "5000ms", "5s" or "1.5s": a duration in whole milliseconds, 1 ms to 10 minutes. */
export function parseDuration(name: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s)?$/i.exec(value.trim());
  const ms = match ? Math.round(Number(match[1]) * (match[2]?.toLowerCase() === 's' ? 1000 : 1)) : Number.NaN;
  if (!(ms >= 1 && ms <= MAX_TIMEOUT_MS)) throw new OptionError(`${name} must be a duration from 1 ms to 10 minutes, e.g. 5000, 500ms or 5s (got "${value}")`);
  return ms;
}

const DOMAIN_NAME = /^(?=.{1,253}\.?$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.?$/i;

function resolveNetwork(flags: GlobalFlags, env: NodeJS.ProcessEnv): NetworkOptions {
  const source = (flag: string | undefined, variable: string, flagName: string) => (flag !== undefined ? { value: flag, name: flagName } : env[variable] ? { value: env[variable] as string, name: variable } : undefined);
  const timeout = source(flags.timeout, 'SLMGR_TIMEOUT', '--timeout');
  const connectTimeout = source(flags.connectTimeout, 'SLMGR_CONNECT_TIMEOUT', '--connect-timeout');
  const dnsServer = source(flags.dnsServer, 'SLMGR_DNS_SERVER', '--dns-server');
  const protocol = source(flags.protocol, 'SLMGR_KMS_PROTOCOL', '--protocol');
  const domain = source(flags.domain, 'SLMGR_DOMAIN', '--domain');
  if (domain && !DOMAIN_NAME.test(domain.value)) throw new OptionError(`${domain.name} must be a DNS domain name, e.g. corp.example.com (got "${domain.value}")`);
  let version: NetworkOptions['protocol'];
  if (protocol) {
    const major = /^([456])(?:\.0)?$/.exec(protocol.value.trim())?.[1];
    if (major === undefined) throw new OptionError(`${protocol.name} must be 4, 5 or 6 (got "${protocol.value}")`);
    version = Number(major) as 4 | 5 | 6;
  }
  return {
    timeoutMs: timeout ? parseDuration(timeout.name, timeout.value) : DEFAULT_NETWORK_OPTIONS.timeoutMs,
    connectTimeoutMs: connectTimeout ? parseDuration(connectTimeout.name, connectTimeout.value) : DEFAULT_NETWORK_OPTIONS.connectTimeoutMs,
    dnsServer: dnsServer ? parseDnsServer(dnsServer.value) : undefined,
    protocol: version,
    domain: domain?.value.replace(/\.$/, '').toLowerCase(),
  };
}

export function resolveOptions(flags: GlobalFlags, env: NodeJS.ProcessEnv): RunOptions {
  const backend = flags.backend ?? env.SLMGR_BACKEND;
  const now = flags.now ?? env.SLMGR_NOW;
  const exitCodes = flags.exitCodes ?? env.SLMGR_EXIT_CODES;
  const store = flags.store ?? env.SLMGR_STORE;
  return {
    json: flags.json ?? envBoolean('SLMGR_JSON', env.SLMGR_JSON) ?? false,
    store: store === '' ? undefined : store,
    backend: backend ? oneOf(flags.backend ? '--backend' : 'SLMGR_BACKEND', backend, ['sim', 'kms'] as const) : 'sim',
    now: now ? parseNow(flags.now ? '--now' : 'SLMGR_NOW', now) : undefined,
    exitCodes: exitCodes ? oneOf(flags.exitCodes ? '--exit-codes' : 'SLMGR_EXIT_CODES', exitCodes, ['posix', 'slmgr'] as const) : 'posix',
    color: flags.color,
    network: resolveNetwork(flags, env),
  };
}

/** Colour only on a terminal, never in JSON, and never when NO_COLOR is set (chalk ignores it). */
export function useColor(options: RunOptions, isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  if (options.json) return false;
  if (options.color !== undefined) return options.color;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return isTTY;
}
