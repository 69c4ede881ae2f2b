import type Database from 'better-sqlite3';
import { storeError } from './store-errors.js';
import type { EventRow, LicensingObjectRow, MachineRow, ProductRow, SrvRecordRow } from './types.js';

/** The repository over one open transaction; valid only inside the `transaction` callback. */
export interface StoreTx {
  localMachine(): MachineRow;
  /** Case-insensitive (ASCII) lookup by name. */
  findMachine(name: string): MachineRow | undefined;
  getMachine(id: number): MachineRow | undefined;
  createMachine(init: { name: string; isLocal?: boolean; fqdn?: string | null; dnsDomain?: string | null; ipAddress?: string | null }): MachineRow;
  /** A lab machine by name, FQDN or IP address, as a client resolving a KMS host name would find it. */
  findMachineByAddress(address: string): MachineRow | undefined;
  /** In creation order, so the local machine comes first. */
  listMachines(): MachineRow[];
  /** Changes the given fields; throws when there is no such machine. */
  updateMachine(id: number, patch: Partial<Omit<MachineRow, 'id'>>): void;
  /** Ordered by installedAt (never-installed last), then skuId. */
  listProducts(machineId: number): ProductRow[];
  getProduct(machineId: number, skuId: string): ProductRow | undefined;
  /** Inserts the row, or replaces every column of the row with the same (machineId, skuId). */
  putProduct(row: ProductRow): void;
  /** Changes the given fields; throws when there is no such product. */
  updateProduct(machineId: number, skuId: string, patch: Partial<ProductRow>): void;
  /** Adds to a KMS host's request counters in place; throws when there is no such product. */
  incrementProduct(machineId: number, skuId: string, by: Partial<Record<ProductCounter, number>>): void;
  /** No-op when there is no such product. */
  deleteProduct(machineId: number, skuId: string): void;
  addEvent(machineId: number, eventId: number, data: Record<string, unknown>, at: number): EventRow;
  /** Oldest first; all machines when machineId is omitted. */
  listEvents(machineId?: number): EventRow[];
  /** Products that run a KMS host key, on every machine. */
  listKmsHostProducts(): ProductRow[];
  /** Records that a KMS host saw this CMID for this application now; a repeat only refreshes it. */
  recordKmsClient(hostMachineId: number, applicationId: string, cmid: string, at: number): void;
  /** Distinct CMIDs seen since `since`, counting no further than `cap` so the cost never grows with the lab. */
  countKmsClients(hostMachineId: number, applicationId: string, since: number, cap: number): number;
  /** Every CMID a KMS host has seen, by application (for lab export-cilx). */
  listKmsClients(hostMachineId: number): { applicationId: string; cmid: string; lastSeen: number }[];
  hostKeyActivations(keyDigest: string): { machineId: number; activations: number }[];
  addHostKeyActivation(keyDigest: string, machineId: number): void;
  listSrvRecords(domain?: string): SrvRecordRow[];
  addSrvRecord(record: Omit<SrvRecordRow, 'id'>): SrvRecordRow;
  /** Returns how many records were removed. */
  removeSrvRecords(domain: string, target?: string): number;
  /** The KMS client product whose automatic attempt is due first, at or before `until`. */
  nextDueAttempt(until: number): { machineId: number; skuId: string; at: number } | undefined;
  getSetting(name: string): string | undefined;
  setSetting(name: string, value: string): void;
  /** Licensing objects of a kind, of one machine or (null) of the lab; oldest first. */
  listObjects(kind: string, machineId: number | null): LicensingObjectRow[];
  /** Names compare case-insensitively (ASCII). */
  getObject(kind: string, machineId: number | null, name: string): LicensingObjectRow | undefined;
  /** Inserts, or replaces the data of the object with the same kind, owner and name. */
  putObject(kind: string, machineId: number | null, name: string, data: Record<string, unknown>): void;
  /** Returns whether an object was removed. */
  deleteObject(kind: string, machineId: number | null, name: string): boolean;
}

/** The KMS host request counters of a product row: what incrementProduct may add to. */
const PRODUCT_COUNTERS = [
  'kmsTotalRequests', 'kmsFailedRequests', 'kmsUnlicensedRequests', 'kmsLicensedRequests',
  'kmsOobGraceRequests', 'kmsOotGraceRequests', 'kmsNonGenuineGraceRequests', 'kmsNotificationRequests',
] as const satisfies readonly (keyof ProductRow)[];
export type ProductCounter = (typeof PRODUCT_COUNTERS)[number];

type MachineDefaults = Omit<MachineRow, 'id' | 'name' | 'isLocal' | 'fqdn' | 'dnsDomain' | 'ipAddress' | 'cmid' | 'createdAt'>;

/** A new machine's licensing state: a fresh Windows 11 24H2 / Server 2025 install, not a KMS host. */
export const MACHINE_DEFAULTS: Readonly<MachineDefaults> = {
  serviceVersion: '10.0.26100.1',
  osBuild: 26100,
  lcid: 1033,
  remainingWindowsRearmCount: 1001,
  keyInRegistry: false,
  kmsMachine: null,
  kmsPort: null,
  kmsLookupDomain: null,
  kmsHostCaching: true,
  kmsListeningPort: 1688,
  kmsDnsPublishing: true,
  kmsLowPriority: false,
  vlActivationInterval: 120,
  vlRenewalInterval: 10080,
  activationTypeEnabled: 0,
  kmsPublishDomains: [],
  kmsPortBlocked: false,
};

type ProductDefaults = Omit<ProductRow, 'machineId' | 'skuId' | 'applicationId' | 'name' | 'description'>;

/** A licence installed without a key: what every product row starts from. */
export const PRODUCT_DEFAULTS: Readonly<ProductDefaults> = {
  partialKey: null,
  keyDigest: null,
  keyGroup: null,
  keySerial: null,
  channel: null,
  extendedPid: null,
  installationId: null,
  installedAt: null,
  licenseStatus: 0,
  graceEndsAt: null,
  statusReason: null,
  remainingSkuRearmCount: 1001,
  remainingAppRearmCount: 1001,
  activationTypeEnabled: 0,
  kmsMachine: null,
  kmsPort: null,
  kmsLookupDomain: null,
  activatedAt: null,
  kmsHostName: null,
  kmsHostPort: null,
  kmsHostIp: null,
  kmsHostEpid: null,
  vlActivationInterval: null,
  vlRenewalInterval: null,
  kmsCountedId: null,
  minimumCount: null,
  hostKeyType: null,
  kmsTotalRequests: 0,
  kmsFailedRequests: 0,
  kmsUnlicensedRequests: 0,
  kmsLicensedRequests: 0,
  kmsOobGraceRequests: 0,
  kmsOotGraceRequests: 0,
  kmsNonGenuineGraceRequests: 0,
  kmsNotificationRequests: 0,
  kmsNextAttemptAt: null,
};

// Every field of a row and how it is stored. A Record over the row's keys makes the compiler
// reject a field added to types.ts without a column here. These tables are also the whitelist
// that patch updates build their SET clause from.
type Storage = 'value' | 'boolean' | 'json';

const MACHINE_FIELDS: Record<keyof MachineRow, Storage> = {
  id: 'value',
  name: 'value',
  isLocal: 'boolean',
  fqdn: 'value',
  dnsDomain: 'value',
  ipAddress: 'value',
  cmid: 'value',
  createdAt: 'value',
  serviceVersion: 'value',
  osBuild: 'value',
  lcid: 'value',
  remainingWindowsRearmCount: 'value',
  keyInRegistry: 'boolean',
  kmsMachine: 'value',
  kmsPort: 'value',
  kmsLookupDomain: 'value',
  kmsHostCaching: 'boolean',
  kmsListeningPort: 'value',
  kmsDnsPublishing: 'boolean',
  kmsLowPriority: 'boolean',
  vlActivationInterval: 'value',
  vlRenewalInterval: 'value',
  activationTypeEnabled: 'value',
  kmsPublishDomains: 'json',
  kmsPortBlocked: 'boolean',
};

const PRODUCT_FIELDS: Record<keyof ProductRow, Storage> = {
  machineId: 'value',
  skuId: 'value',
  applicationId: 'value',
  name: 'value',
  description: 'value',
  partialKey: 'value',
  keyDigest: 'value',
  keyGroup: 'value',
  keySerial: 'value',
  channel: 'value',
  extendedPid: 'value',
  installationId: 'value',
  installedAt: 'value',
  licenseStatus: 'value',
  graceEndsAt: 'value',
  statusReason: 'value',
  remainingSkuRearmCount: 'value',
  remainingAppRearmCount: 'value',
  activationTypeEnabled: 'value',
  kmsMachine: 'value',
  kmsPort: 'value',
  kmsLookupDomain: 'value',
  activatedAt: 'value',
  kmsHostName: 'value',
  kmsHostPort: 'value',
  kmsHostIp: 'value',
  kmsHostEpid: 'value',
  vlActivationInterval: 'value',
  vlRenewalInterval: 'value',
  kmsCountedId: 'value',
  minimumCount: 'value',
  hostKeyType: 'value',
  kmsTotalRequests: 'value',
  kmsFailedRequests: 'value',
  kmsUnlicensedRequests: 'value',
  kmsLicensedRequests: 'value',
  kmsOobGraceRequests: 'value',
  kmsOotGraceRequests: 'value',
  kmsNonGenuineGraceRequests: 'value',
  kmsNotificationRequests: 'value',
  kmsNextAttemptAt: 'value',
};

const column = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const columns = (fields: object): Record<string, string> => Object.fromEntries(Object.keys(fields).map((f) => [f, column(f)]));
const MACHINE_COLUMNS = columns(MACHINE_FIELDS);
const PRODUCT_COLUMNS = columns(PRODUCT_FIELDS);
const selectList = (fields: object): string =>
  Object.keys(fields)
    .map((f) => (column(f) === f ? f : `${column(f)} AS ${f}`))
    .join(', ');

const MACHINE_SELECT = `SELECT ${selectList(MACHINE_FIELDS)} FROM machines`;
const PRODUCT_SELECT = `SELECT ${selectList(PRODUCT_FIELDS)} FROM products`;
const EVENT_SELECT = 'SELECT id, machine_id AS machineId, at, event_id AS eventId, data FROM events';

const MACHINE_INSERT_FIELDS = Object.keys(MACHINE_FIELDS).filter((f) => f !== 'id');
const MACHINE_INSERT = `INSERT INTO machines (${MACHINE_INSERT_FIELDS.map(column).join(', ')})
  VALUES (${MACHINE_INSERT_FIELDS.map(() => '?').join(', ')})`;

const PRODUCT_INSERT_FIELDS = Object.keys(PRODUCT_FIELDS);
const PRODUCT_KEY_FIELDS = new Set(['machineId', 'skuId']);
const PRODUCT_UPSERT = `INSERT INTO products (${PRODUCT_INSERT_FIELDS.map(column).join(', ')})
  VALUES (${PRODUCT_INSERT_FIELDS.map(() => '?').join(', ')})
  ON CONFLICT (machine_id, sku_id) DO UPDATE SET ${PRODUCT_INSERT_FIELDS
    .filter((f) => !PRODUCT_KEY_FIELDS.has(f))
    .map((f) => `${column(f)} = excluded.${column(f)}`)
    .join(', ')}`;

// Every statement's SQL is a constant (or, for patch updates, cached per set of fields), so the
// statement cache finds it by string identity instead of hashing a freshly built string each call.
const SQL = {
  localMachine: `${MACHINE_SELECT} WHERE is_local = 1`,
  machineByName: `${MACHINE_SELECT} WHERE name = ?`,
  machineById: `${MACHINE_SELECT} WHERE id = ?`,
  machineByFqdn: `${MACHINE_SELECT} WHERE fqdn = ? COLLATE NOCASE`,
  machineByIp: `${MACHINE_SELECT} WHERE ip_address = ?`,
  machines: `${MACHINE_SELECT} ORDER BY id`,
  products: `${PRODUCT_SELECT} WHERE machine_id = ? ORDER BY installed_at IS NULL, installed_at, sku_id`,
  product: `${PRODUCT_SELECT} WHERE machine_id = ? AND sku_id = ?`,
  // Without INDEXED BY, SQLite prefers scanning every product in key order to sorting the few hosts.
  kmsHostProducts: `${PRODUCT_SELECT} INDEXED BY products_kms_hosts WHERE host_key_type IS NOT NULL`,
  deleteProduct: 'DELETE FROM products WHERE machine_id = ? AND sku_id = ?',
  addEvent: 'INSERT INTO events (machine_id, at, event_id, data) VALUES (?, ?, ?, ?)',
  events: `${EVENT_SELECT} ORDER BY at, id`,
  machineEvents: `${EVENT_SELECT} WHERE machine_id = ? ORDER BY at, id`,
  recordKmsClient: `INSERT INTO kms_clients (host_machine_id, application_id, cmid, last_seen) VALUES (?, ?, ?, ?)
       ON CONFLICT (host_machine_id, application_id, cmid) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)`,
  countKmsClients: `SELECT COUNT(*) AS n FROM (SELECT 1 FROM kms_clients
         WHERE host_machine_id = ? AND application_id = ? AND last_seen >= ? LIMIT ?)`,
  hostKeyActivations: 'SELECT machine_id AS machineId, activations FROM host_key_activations WHERE key_digest = ? ORDER BY machine_id',
  listKmsClients: `SELECT application_id AS applicationId, cmid, last_seen AS lastSeen FROM kms_clients
       WHERE host_machine_id = ? ORDER BY application_id, cmid`,
  addHostKeyActivation: `INSERT INTO host_key_activations (key_digest, machine_id, activations) VALUES (?, ?, 1)
       ON CONFLICT (key_digest, machine_id) DO UPDATE SET activations = activations + 1`,
  srvRecords: 'SELECT id, domain, priority, weight, port, target FROM srv_records ORDER BY id',
  domainSrvRecords: 'SELECT id, domain, priority, weight, port, target FROM srv_records WHERE domain = ? ORDER BY id',
  addSrvRecord: 'INSERT INTO srv_records (domain, priority, weight, port, target) VALUES (?, ?, ?, ?, ?)',
  removeSrvRecords: 'DELETE FROM srv_records WHERE domain = ?',
  removeSrvRecordsTo: 'DELETE FROM srv_records WHERE domain = ? AND target = ? COLLATE NOCASE',
  nextDueAttempt: `SELECT machine_id AS machineId, sku_id AS skuId, kms_next_attempt_at AS at FROM products
       WHERE kms_next_attempt_at IS NOT NULL AND kms_next_attempt_at <= ? ORDER BY kms_next_attempt_at, machine_id, sku_id LIMIT 1`,
  setting: 'SELECT value FROM settings WHERE name = ?',
  setSetting: 'INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
  objects: `SELECT machine_id AS machineId, kind, name, data, created_at AS createdAt FROM licensing_objects
       WHERE kind = ? AND ifnull(machine_id, 0) = ? ORDER BY id`,
  object: `SELECT machine_id AS machineId, kind, name, data, created_at AS createdAt FROM licensing_objects
       WHERE kind = ? AND ifnull(machine_id, 0) = ? AND name = ?`,
  putObject: `INSERT INTO licensing_objects (machine_id, kind, name, data, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (ifnull(machine_id, 0), kind, name) DO UPDATE SET data = excluded.data`,
  deleteObject: 'DELETE FROM licensing_objects WHERE kind = ? AND ifnull(machine_id, 0) = ? AND name = ?',
} as const;

/** The UPDATE statements of patch updates and increments, built once per set of fields. */
const UPDATE_SQL = new Map<string, string>();

/** `UPDATE <table> SET col = ?, … WHERE <key>`; with `add`, `SET col = col + ?, …`. */
function updateSql(table: 'machines' | 'products', fields: readonly string[], add = false): string {
  const key = `${table}${add ? ' +' : ''}: ${fields.join(', ')}`;
  let sql = UPDATE_SQL.get(key);
  if (sql === undefined) {
    const columns = table === 'machines' ? MACHINE_COLUMNS : PRODUCT_COLUMNS;
    const set = fields.map((f) => {
      const c = columns[f] as string;
      return add ? `${c} = ${c} + ?` : `${c} = ?`;
    });
    sql = `UPDATE ${table} SET ${set.join(', ')} WHERE ${table === 'machines' ? 'id = ?' : 'machine_id = ? AND sku_id = ?'}`;
    UPDATE_SQL.set(key, sql);
  }
  return sql;
}

/** Converts the row SQLite returned, in place: it is a fresh object nobody else holds. */
function fromSql<R>(row: Record<string, unknown>, converted: readonly (readonly [string, Storage])[]): R {
  for (const [field, storage] of converted) row[field] = storage === 'boolean' ? row[field] === 1 : JSON.parse(String(row[field]));
  return row as R;
}

const convertedFields = (fields: Record<string, Storage>): [string, Storage][] =>
  Object.entries(fields).filter(([, storage]) => storage !== 'value');
const MACHINE_CONVERTED = convertedFields(MACHINE_FIELDS);
const PRODUCT_CONVERTED = convertedFields(PRODUCT_FIELDS);

const toMachine = (row: Record<string, unknown>): MachineRow => fromSql(row, MACHINE_CONVERTED);
const toObject = (row: Record<string, unknown>): LicensingObjectRow => fromSql(row, [['data', 'json']]);
const toProduct = (row: Record<string, unknown>): ProductRow => fromSql(row, PRODUCT_CONVERTED);

type SqlValue = string | number | bigint | Buffer | null;

/** Prepared statements of one connection, keyed by their SQL text. */
export class StatementCache {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement<unknown[], unknown>>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  get(sql: string): Database.Statement<unknown[], unknown> {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

export interface RepositoryContext {
  statements: StatementCache;
  storePath: string;
  now: () => number;
  randomUUID: () => string;
}

export class Repository implements StoreTx {
  readonly #ctx: RepositoryContext;
  #active = true;

  constructor(ctx: RepositoryContext) {
    this.#ctx = ctx;
  }

  /** Called when the transaction ends: a tx kept past it would silently write in autocommit mode. */
  close(): void {
    this.#active = false;
  }

  localMachine(): MachineRow {
    const row = this.#get(SQL.localMachine);
    if (!row) throw storeError('corrupt', this.#ctx.storePath, 'has no local machine row');
    return toMachine(row);
  }

  findMachine(name: string): MachineRow | undefined {
    const row = this.#get(SQL.machineByName, name);
    return row && toMachine(row);
  }

  createMachine(init: { name: string; isLocal?: boolean; fqdn?: string | null; dnsDomain?: string | null; ipAddress?: string | null }): MachineRow {
    const row: Omit<MachineRow, 'id'> = {
      ...MACHINE_DEFAULTS,
      name: init.name,
      isLocal: init.isLocal ?? false,
      fqdn: init.fqdn ?? null,
      dnsDomain: init.dnsDomain ?? null,
      ipAddress: init.ipAddress ?? null,
      cmid: this.#ctx.randomUUID(),
      createdAt: this.#ctx.now(),
    };
    const { lastInsertRowid } = this.#statement(MACHINE_INSERT).run(bindings(row, MACHINE_INSERT_FIELDS, MACHINE_FIELDS));
    return { id: Number(lastInsertRowid), ...row };
  }

  listMachines(): MachineRow[] {
    return this.#all(SQL.machines).map(toMachine);
  }

  updateMachine(id: number, patch: Partial<Omit<MachineRow, 'id'>>): void {
    const set = setClause(patch, MACHINE_FIELDS, { id });
    const changed = set
      ? this.#statement(updateSql('machines', set.fields)).run(...set.values, id).changes
      : Number(this.getMachine(id) !== undefined);
    if (changed === 0) throw new Error(`No machine with id ${id}`);
  }

  listProducts(machineId: number): ProductRow[] {
    return this.#all(SQL.products, machineId).map(toProduct);
  }

  getProduct(machineId: number, skuId: string): ProductRow | undefined {
    const row = this.#get(SQL.product, machineId, skuId);
    return row && toProduct(row);
  }

  putProduct(row: ProductRow): void {
    this.#statement(PRODUCT_UPSERT).run(bindings(row, PRODUCT_INSERT_FIELDS, PRODUCT_FIELDS));
  }

  updateProduct(machineId: number, skuId: string, patch: Partial<ProductRow>): void {
    const set = setClause(patch, PRODUCT_FIELDS, { machineId, skuId });
    const changed = set
      ? this.#statement(updateSql('products', set.fields)).run(...set.values, machineId, skuId).changes
      : Number(this.getProduct(machineId, skuId) !== undefined);
    if (changed === 0) throw new Error(`No product ${skuId} on machine ${machineId}`);
  }

  incrementProduct(machineId: number, skuId: string, by: Partial<Record<ProductCounter, number>>): void {
    const fields: string[] = [];
    const amounts: number[] = [];
    for (const [field, amount] of Object.entries(by)) {
      if (!(PRODUCT_COUNTERS as readonly string[]).includes(field)) throw new TypeError(`"${field}" is not a counter`);
      if (!Number.isInteger(amount)) throw new TypeError(`Expected an integer to add to "${field}", got ${String(amount)}`);
      fields.push(field);
      amounts.push(amount);
    }
    const changed = fields.length > 0
      ? this.#statement(updateSql('products', fields, true)).run(...amounts, machineId, skuId).changes
      : Number(this.getProduct(machineId, skuId) !== undefined);
    if (changed === 0) throw new Error(`No product ${skuId} on machine ${machineId}`);
  }

  deleteProduct(machineId: number, skuId: string): void {
    this.#statement(SQL.deleteProduct).run(machineId, skuId);
  }

  addEvent(machineId: number, eventId: number, data: Record<string, unknown>, at: number): EventRow {
    const json = JSON.stringify(data);
    const { lastInsertRowid } = this.#statement(SQL.addEvent).run(machineId, at, eventId, json);
    return { id: Number(lastInsertRowid), machineId, at, eventId, data };
  }

  listEvents(machineId?: number): EventRow[] {
    const rows =
      machineId === undefined
        ? this.#all(SQL.events)
        : this.#all(SQL.machineEvents, machineId);
    return rows.map((row) => ({ ...(row as Omit<EventRow, 'data'>), data: JSON.parse(String(row['data'])) as Record<string, unknown> }));
  }

  getMachine(id: number): MachineRow | undefined {
    const row = this.#get(SQL.machineById, id);
    return row && toMachine(row);
  }

  findMachineByAddress(address: string): MachineRow | undefined {
    // Clients mostly look hosts up by the FQDN an SRV record names, so that comes first.
    const row =
      this.#get(SQL.machineByFqdn, address.replace(/\.$/, '')) ??
      this.#get(SQL.machineByName, address) ??
      this.#get(SQL.machineByIp, address);
    return row && toMachine(row);
  }

  listKmsHostProducts(): ProductRow[] {
    return this.#all(SQL.kmsHostProducts)
      .map(toProduct)
      .sort((a, b) => a.machineId - b.machineId || a.skuId.localeCompare(b.skuId));
  }

  recordKmsClient(hostMachineId: number, applicationId: string, cmid: string, at: number): void {
    this.#statement(SQL.recordKmsClient).run(hostMachineId, applicationId, cmid, at);
  }

  countKmsClients(hostMachineId: number, applicationId: string, since: number, cap: number): number {
    const row = this.#get(SQL.countKmsClients, hostMachineId, applicationId, since, cap);
    return Number(row?.['n'] ?? 0);
  }

  listKmsClients(hostMachineId: number): { applicationId: string; cmid: string; lastSeen: number }[] {
    return this.#all(SQL.listKmsClients, hostMachineId) as { applicationId: string; cmid: string; lastSeen: number }[];
  }

  hostKeyActivations(keyDigest: string): { machineId: number; activations: number }[] {
    return this.#all(SQL.hostKeyActivations, keyDigest) as { machineId: number; activations: number }[];
  }

  addHostKeyActivation(keyDigest: string, machineId: number): void {
    this.#statement(SQL.addHostKeyActivation).run(keyDigest, machineId);
  }

  listSrvRecords(domain?: string): SrvRecordRow[] {
    return (domain === undefined ? this.#all(SQL.srvRecords) : this.#all(SQL.domainSrvRecords, domain.replace(/\.$/, ''))) as unknown as SrvRecordRow[];
  }

  addSrvRecord(record: Omit<SrvRecordRow, 'id'>): SrvRecordRow {
    const { lastInsertRowid } = this.#statement(SQL.addSrvRecord).run(record.domain, record.priority, record.weight, record.port, record.target);
    return { id: Number(lastInsertRowid), ...record };
  }

  removeSrvRecords(domain: string, target?: string): number {
    const result = target === undefined
      ? this.#statement(SQL.removeSrvRecords).run(domain)
      : this.#statement(SQL.removeSrvRecordsTo).run(domain, target);
    return result.changes;
  }

  nextDueAttempt(until: number): { machineId: number; skuId: string; at: number } | undefined {
    const row = this.#get(SQL.nextDueAttempt, until);
    return row as { machineId: number; skuId: string; at: number } | undefined;
  }

  getSetting(name: string): string | undefined {
    const row = this.#get(SQL.setting, name);
    return row === undefined ? undefined : String(row['value']);
  }

  setSetting(name: string, value: string): void {
    this.#statement(SQL.setSetting).run(name, value);
  }

  listObjects(kind: string, machineId: number | null): LicensingObjectRow[] {
    return this.#all(SQL.objects, kind, machineId ?? 0).map(toObject);
  }

  getObject(kind: string, machineId: number | null, name: string): LicensingObjectRow | undefined {
    const row = this.#get(SQL.object, kind, machineId ?? 0, name);
    return row === undefined ? undefined : toObject(row);
  }

  putObject(kind: string, machineId: number | null, name: string, data: Record<string, unknown>): void {
    this.#statement(SQL.putObject).run(machineId, kind, name, JSON.stringify(data), this.#ctx.now());
  }

  deleteObject(kind: string, machineId: number | null, name: string): boolean {
    return this.#statement(SQL.deleteObject).run(kind, machineId ?? 0, name).changes > 0;
  }

  #statement(sql: string): Database.Statement<unknown[], unknown> {
    if (!this.#active) throw new Error('This StoreTx was used after its transaction ended');
    return this.#ctx.statements.get(sql);
  }

  #get(sql: string, ...params: SqlValue[]): Record<string, unknown> | undefined {
    return this.#statement(sql).get(...params) as Record<string, unknown> | undefined;
  }

  #all(sql: string, ...params: SqlValue[]): Record<string, unknown>[] {
    return this.#statement(sql).all(...params) as Record<string, unknown>[];
  }
}

/** Positional parameters, one per listed field in order; a missing field is a bug, not a NULL. */
function bindings(row: object, names: readonly string[], fields: Record<string, Storage>): SqlValue[] {
  const values = row as Record<string, unknown>;
  const out: SqlValue[] = [];
  for (const field of names) {
    if (values[field] === undefined) throw new TypeError(`Missing field "${field}"`);
    out.push(toSql(values[field], fields[field]));
  }
  return out;
}

/**
 * The patch's defined fields and their values, for `SET col = ?, …`. Key fields may be repeated
 * with their current value (a patch spread from a full row) but not changed; unknown fields throw,
 * so no caller-supplied string ever reaches the SQL text.
 */
function setClause(
  patch: object,
  fields: Record<string, Storage>,
  key: Record<string, SqlValue>,
): { fields: string[]; values: SqlValue[] } | undefined {
  const assignments: string[] = [];
  const values: SqlValue[] = [];
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(fields, field)) throw new TypeError(`Unknown field "${field}"`);
    if (Object.hasOwn(key, field)) {
      if (value !== key[field]) throw new TypeError(`Field "${field}" identifies the row and cannot be changed`);
      continue;
    }
    assignments.push(field);
    values.push(toSql(value, fields[field]));
  }
  return assignments.length === 0 ? undefined : { fields: assignments, values };
}

function toSql(value: unknown, storage: Storage | undefined): SqlValue {
  if (storage === 'boolean') {
    if (typeof value !== 'boolean') throw new TypeError(`Expected a boolean, got ${typeof value}`);
    return value ? 1 : 0;
  }
  if (storage === 'json') return JSON.stringify(value);
  return value as SqlValue;
}
