// Our own consistency check of a store, beyond SQLite's integrity check: what every committed
// command leaves true (counts match client records, counters match events, no product
// half-installed), and a logical digest of the state, to tell "before" from "after" a command.

import Database from 'better-sqlite3';
import { APPLICATION_ID, MIGRATIONS } from '../../../src/store/schema.js';

/** The schema version this checkout writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Every table of a store (the schema grows; the check follows it). */
export function storeTables(db: Database.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
}

const STATUS_COUNTERS = [
  'kms_unlicensed_requests', 'kms_licensed_requests', 'kms_oob_grace_requests', 'kms_oot_grace_requests',
  'kms_non_genuine_grace_requests', 'kms_notification_requests',
] as const;

/** The licence state names events carry (LICENSE_STATUS_NAMES) → the host counter each one adds to. */
const COUNTER_OF_STATE: Record<string, (typeof STATUS_COUNTERS)[number]> = {
  Unlicensed: 'kms_unlicensed_requests',
  Licensed: 'kms_licensed_requests',
  'Initial grace period': 'kms_oob_grace_requests',
  'Additional grace period (KMS license expired or hardware out of tolerance)': 'kms_oot_grace_requests',
  'Non-genuine grace period': 'kms_non_genuine_grace_requests',
  Notification: 'kms_notification_requests',
  'Extended grace period': 'kms_oot_grace_requests',
};

type Row = Record<string, unknown>;

const KEY_FIELDS = ['key_digest', 'channel', 'extended_pid', 'installation_id', 'installed_at'] as const;
const KEY_ONLY_FIELDS = ['key_digest', 'key_group', 'key_serial', 'channel', 'installation_id', 'installed_at', 'host_key_type', 'kms_counted_id', 'minimum_count', 'activated_at'] as const;

/** Opens a store file for checking (read-write, so a leftover WAL is recovered as slmgr would). */
export function openRaw(file: string): Database.Database {
  return new Database(file, { fileMustExist: true, timeout: 10_000 });
}

/**
 * Every violation found, as readable strings (an empty list: consistent). `structural` checks only
 * what any store must be (SQLite's integrity, references, our header); otherwise the lab's rules
 * too: the event log mirrors the counters, and a Licensed KMS client names its host.
 */
export function storeViolations(db: Database.Database, options: { expectVersion?: number; structural?: boolean } = {}): string[] {
  const problems: string[] = [];
  const integrity = db.pragma('integrity_check', { simple: true });
  if (integrity !== 'ok') problems.push(`integrity_check: ${String(integrity)}`);
  const fk = db.pragma('foreign_key_check') as unknown[];
  if (fk.length > 0) problems.push(`foreign_key_check: ${fk.length} broken references`);
  const appId = db.pragma('application_id', { simple: true });
  if (appId !== APPLICATION_ID) problems.push(`application_id ${String(appId)}`);
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version !== (options.expectVersion ?? SCHEMA_VERSION)) problems.push(`user_version ${version}`);
  if (problems.length > 0 || options.structural) return problems;

  const all = (sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as Row[];
  const locals = all('SELECT id FROM machines WHERE is_local = 1');
  if (locals.length !== 1) problems.push(`${locals.length} local machines`);

  const products = all('SELECT * FROM products');
  for (const p of products) {
    const id = `product ${String(p.sku_id)} of machine ${String(p.machine_id)}`;
    if (p.partial_key === null) {
      for (const f of KEY_ONLY_FIELDS) if (p[f] !== null) problems.push(`${id}: unkeyed but ${f} is set`);
      if (p.license_status !== 0) problems.push(`${id}: unkeyed but license status ${String(p.license_status)}`);
    } else {
      if (typeof p.partial_key !== 'string' || !/^[0-9A-Z]{5}$/.test(p.partial_key)) problems.push(`${id}: partial key ${String(p.partial_key)}`);
      for (const f of KEY_FIELDS) if (p[f] === null) problems.push(`${id}: keyed but ${f} is missing (half-installed)`);
      const host = p.host_key_type !== null;
      if (host !== (p.channel === 'Volume:CSVLK')) problems.push(`${id}: host key type ${String(p.host_key_type)} with channel ${String(p.channel)}`);
      if (!host && (p.kms_counted_id === null || p.minimum_count === null)) problems.push(`${id}: KMS client product without counted ID or threshold`);
      if (host && typeof p.key_digest === 'string' && !p.key_digest.startsWith('scrypt:')) problems.push(`${id}: host key stored with a fast digest`);
      if (p.license_status === 1) {
        if (p.activated_at === null) problems.push(`${id}: Licensed without an activation time`);
        if (!host && (p.kms_host_name === null || p.grace_ends_at === null || p.kms_host_epid === null)) problems.push(`${id}: Licensed KMS client without its host`);
      }
    }
    const statuses = STATUS_COUNTERS.reduce((sum, c) => sum + (p[c] as number), 0);
    if (statuses !== p.kms_total_requests) problems.push(`${id}: total requests ${String(p.kms_total_requests)} but ${statuses} by status`);
    if ((p.kms_failed_requests as number) > (p.kms_total_requests as number) || (p.kms_failed_requests as number) < 0) problems.push(`${id}: failed requests ${String(p.kms_failed_requests)}`);
  }

  for (const use of all('SELECT key_digest, COUNT(*) AS hosts, MIN(activations) AS lo, MAX(activations) AS hi FROM host_key_activations GROUP BY key_digest')) {
    if ((use.hosts as number) > 6 || (use.lo as number) < 1 || (use.hi as number) > 10) problems.push(`host key activations out of bounds: ${JSON.stringify(use)}`);
  }
  for (const p of all("SELECT machine_id, key_digest FROM products WHERE host_key_type IS NOT NULL AND license_status = 1")) {
    const row = db.prepare('SELECT activations FROM host_key_activations WHERE key_digest = ? AND machine_id = ?').get(p.key_digest, p.machine_id);
    if (!row) problems.push(`activated host product on machine ${String(p.machine_id)} without an activation in the ledger`);
  }

  problems.push(...eventViolations(db, products));
  return problems;
}

/** The host's counters and count against the event log and the client records. */
function eventViolations(db: Database.Database, products: Row[]): string[] {
  const problems: string[] = [];
  const events = (db.prepare('SELECT machine_id, event_id, data FROM events').all() as { machine_id: number; event_id: number; data: string }[])
    .map((e) => ({ machine: e.machine_id, id: e.event_id, data: JSON.parse(e.data) as Record<string, unknown> }));
  const hostRequests = events.filter((e) => e.id === 12290);
  const answered = events.filter((e) => e.id === 12289 && e.data.kmsHost !== null);
  if (hostRequests.length !== answered.length) problems.push(`${hostRequests.length} host request events (12290) but ${answered.length} answered client results (12289)`);

  const byMachine = new Map<number, Row[]>();
  for (const p of products) byMachine.set(p.machine_id as number, [...(byMachine.get(p.machine_id as number) ?? []), p]);
  const hosts = new Set([...hostRequests.map((e) => e.machine), ...products.filter((p) => (p.kms_total_requests as number) > 0).map((p) => p.machine_id as number)]);
  for (const host of hosts) {
    const mine = hostRequests.filter((e) => e.machine === host);
    const rows = byMachine.get(host) ?? [];
    const sum = (column: string) => rows.reduce((total, p) => total + (p[column] as number), 0);
    if (sum('kms_total_requests') !== mine.length) problems.push(`host ${host}: total requests ${sum('kms_total_requests')} but ${mine.length} request events`);
    const refused = mine.filter((e) => e.data.resultCode === '0xC004F042').length;
    if (sum('kms_failed_requests') !== refused) problems.push(`host ${host}: failed requests ${sum('kms_failed_requests')} but ${refused} refused request events`);
    for (const counter of STATUS_COUNTERS) {
      const events = mine.filter((e) => COUNTER_OF_STATE[String(e.data.licenseState)] === counter).length;
      if (sum(counter) !== events) problems.push(`host ${host}: ${counter} ${sum(counter)} but ${events} request events`);
    }
    const counted = new Set(mine.filter((e) => e.data.resultCode !== '0xC004F042').map((e) => String(e.data.cmid)));
    const recorded = new Set((db.prepare('SELECT cmid FROM kms_clients WHERE host_machine_id = ?').all(host) as { cmid: string }[]).map((r) => r.cmid));
    for (const cmid of recorded) if (!counted.has(cmid)) problems.push(`host ${host}: client record ${cmid} without a counted request`);
    for (const cmid of counted) if (!recorded.has(cmid)) problems.push(`host ${host}: counted request from ${cmid} without a client record`);
    // The count the host reports: what each request event says it was can never exceed the CMIDs seen.
    const maxCount = Math.max(0, ...mine.map((e) => Number(e.data.currentCount)));
    if (maxCount > Math.min(50, recorded.size)) problems.push(`host ${host}: reported count ${maxCount} with ${recorded.size} client records`);
  }
  const orphanClients = db.prepare('SELECT COUNT(*) AS n FROM kms_clients WHERE host_machine_id NOT IN (SELECT machine_id FROM events WHERE event_id = 12290)').get() as { n: number };
  if (orphanClients.n > 0) problems.push(`${orphanClients.n} client records on machines that never answered a request`);

  for (const p of products) {
    if (p.license_status !== 1 || p.host_key_type !== null || p.partial_key === null) continue;
    const ok = events.some((e) => e.machine === p.machine_id && e.id === 12289 && e.data.activationFlag === 1);
    if (!ok) problems.push(`machine ${String(p.machine_id)}: Licensed KMS client with no successful activation event`);
  }
  return problems;
}

export interface DigestOptions {
  /** Per table, the columns left out (values that differ between two runs of the same command). */
  mask?: Readonly<Record<string, readonly string[]>>;
  /** Only these tables; default all. */
  tables?: readonly string[];
  /** Only these columns of a table (e.g. the columns an older schema had). */
  columns?: Readonly<Record<string, readonly string[]>>;
}

/** The rows of every table, as sorted JSON lines per table (row order and rowids do not matter). */
export function tableRows(db: Database.Database, options: DigestOptions = {}): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const table of options.tables ?? storeTables(db)) {
    const masked = new Set(options.mask?.[table] ?? []);
    const only = options.columns?.[table];
    const rows = db.prepare(`SELECT * FROM ${table}`).all() as Row[];
    result[table] = rows
      .map((row) => JSON.stringify(Object.entries(row).filter(([c]) => !masked.has(c) && (only === undefined || only.includes(c))).sort(([a], [b]) => a.localeCompare(b))))
      .sort();
  }
  return result;
}

export function stateDigest(db: Database.Database, options: DigestOptions = {}): string {
  return JSON.stringify(tableRows(db, options));
}

/** Columns whose values differ between two stores that ran the same commands (random UUIDs, salts). */
export function varyingColumns(a: Database.Database, b: Database.Database): Record<string, string[]> {
  const mask: Record<string, string[]> = {};
  for (const table of storeTables(a)) {
    const columns = (a.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
    const varying = columns.filter((c) => {
      const values = (db: Database.Database) => (db.prepare(`SELECT ${c} AS v FROM ${table}`).all() as { v: unknown }[]).map((r) => JSON.stringify(r.v)).sort();
      return JSON.stringify(values(a)) !== JSON.stringify(values(b));
    });
    if (varying.length > 0) mask[table] = varying;
  }
  return mask;
}
