import fs from 'node:fs';
import path from 'node:path';
import { Database, type SqliteDatabase } from './sqlite.js';
import { probeStoreFile } from './probe.js';
import { Repository, StatementCache, type StoreTx } from './repository.js';
import { APPLICATION_ID, MIGRATIONS, type Migration } from './schema.js';
import { errnoCode, foreignDatabase, fromFs, fromSqlite, newerSchema, storeError } from './store-errors.js';

/**
 * How long a command waits for another process's transaction before failing with 'busy'.
 * Commands hold the lock for milliseconds, so 5 s absorbs dozens of parallel CI jobs while
 * still failing promptly when a process hangs with the store locked.
 */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export type { StoreTx } from './repository.js';

const WAL_RETRY_MS = 5;
// Atomics.wait on a cell nobody notifies: a synchronous sleep, as opening the store is synchronous.
const SLEEP_CELL = new Int32Array(new SharedArrayBuffer(4));

export interface StoreOptions {
  path: string;
  /** Milliseconds since the Unix epoch. */
  now: () => number;
  randomUUID: () => string;
  /** Name of the local machine row when this open creates it. */
  hostname: string;
  busyTimeoutMs?: number;
  /** The schema history; tests pass a longer list to exercise an upgrade. Defaults to MIGRATIONS. */
  migrations?: readonly Migration[];
}

export class Store {
  /** Absolute path of the database file. */
  readonly path: string;
  /** The schema version the store has after open (always the latest this code knows). */
  readonly schemaVersion: number;
  readonly #db: SqliteDatabase;
  readonly #statements: StatementCache;
  readonly #busyTimeoutMs: number;
  readonly #now: () => number;
  readonly #randomUUID: () => string;

  private constructor(db: SqliteDatabase, storePath: string, options: StoreOptions, schemaVersion: number, busyTimeoutMs: number) {
    this.#db = db;
    this.#statements = new StatementCache(db);
    this.path = storePath;
    this.schemaVersion = schemaVersion;
    this.#busyTimeoutMs = busyTimeoutMs;
    this.#now = options.now;
    this.#randomUUID = options.randomUUID;
  }

  /**
   * Opens the store at `options.path`, creating it (mode 0600, directories 0700) when missing
   * and migrating it when older. A file that is not a usable slmgr store throws a StoreError
   * and is left byte-for-byte as it was.
   */
  static open(options: StoreOptions): Store {
    const storePath = path.resolve(options.path);
    const migrations = options.migrations ?? MIGRATIONS;
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
      throw new RangeError(`busyTimeoutMs must be a non-negative integer, got ${busyTimeoutMs}`);
    }

    if (probeStoreFile(storePath, migrations.length) === 'missing') {
      createEmptyFile(storePath);
      // Another process may have created the file first and written to it since.
      if (probeStoreFile(storePath, migrations.length) === 'missing') {
        // A symbolic link to a file that does not exist: never created through (O_EXCL refuses it).
        const target = danglingLinkTarget(storePath);
        if (target !== null) throw storeError('invalid-path', storePath, `is a symbolic link to ${target}, which does not exist`);
        throw storeError('unreadable', storePath, 'was removed while it was being created');
      }
    }

    let db: SqliteDatabase;
    try {
      db = new Database(storePath, { fileMustExist: true, timeout: busyTimeoutMs });
    } catch (error) {
      throw fromSqlite(error, storePath, busyTimeoutMs) ?? error;
    }
    const store = new Store(db, storePath, options, migrations.length, busyTimeoutMs);
    try {
      store.#initialize(migrations, options.hostname);
    } catch (error) {
      db.close();
      throw fromSqlite(error, storePath, busyTimeoutMs) ?? error;
    }
    return store;
  }

  /**
   * Runs `fn` in one write transaction (BEGIN IMMEDIATE, so concurrent writers queue on the
   * busy timeout instead of failing when a read would upgrade to a write). Commits when `fn`
   * returns, rolls back and rethrows when it throws. `fn` must be synchronous.
   */
  transaction<T>(fn: (tx: StoreTx) => T): T {
    const tx = this.#repository();
    try {
      return this.#db.transaction(() => fn(tx)).immediate();
    } catch (error) {
      throw fromSqlite(error, this.path, this.#busyTimeoutMs) ?? error;
    } finally {
      tx.close();
    }
  }

  close(): void {
    this.#db.close();
  }

  #repository(): Repository {
    return new Repository({
      statements: this.#statements,
      storePath: this.path,
      now: this.#now,
      randomUUID: this.#randomUUID,
    });
  }

  #initialize(migrations: readonly Migration[], hostname: string): void {
    const db = this.#db;
    const latest = migrations.length;
    // The common case, a current store, is settled by one read transaction without taking the
    // write lock. One transaction, so a concurrent creator's commit cannot fall between the reads.
    const current = db.transaction(() => this.#checkedVersion(latest) === latest && this.#hasLocalMachine()).deferred();
    if (!current) {
      // A migration that rebuilds a table must not cascade deletes or fail half-way on
      // references; integrity is checked once at the end instead. Not changeable inside BEGIN.
      db.pragma('foreign_keys = OFF');
      db.transaction(() => {
        // Re-read under the write lock: another process may have done the work meanwhile.
        const from = this.#checkedVersion(latest);
        if (from < latest) this.#migrate(migrations, from);
        if (!this.#hasLocalMachine()) {
          const tx = this.#repository();
          try {
            tx.createMachine({ name: hostname, isLocal: true });
          } finally {
            tx.close();
          }
        }
      }).immediate();
    }
    db.pragma('foreign_keys = ON');
    // Only now that the file is known to be ours: switching to WAL rewrites its header.
    this.#switchToWal();
    db.pragma('synchronous = NORMAL');
  }

  /**
   * The switch to WAL (once, right after creation) upgrades a read lock to a write lock, and
   * SQLite answers that with an immediate SQLITE_BUSY instead of waiting on busy_timeout while
   * another process is initialising the same new store; so the waiting is done here.
   */
  #switchToWal(): void {
    const deadline = Date.now() + this.#busyTimeoutMs;
    for (;;) {
      try {
        this.#db.pragma('journal_mode = WAL');
        return;
      } catch (error) {
        const busy = error instanceof Database.SqliteError && error.code.startsWith('SQLITE_BUSY');
        if (!busy || Date.now() >= deadline) throw error;
        Atomics.wait(SLEEP_CELL, 0, 0, WAL_RETRY_MS);
      }
    }
  }

  /** The store's schema version, after checking with SQLite what the probe saw in the raw header. */
  #checkedVersion(latest: number): number {
    const applicationId = this.#db.pragma('application_id', { simple: true }) as number;
    const version = this.#db.pragma('user_version', { simple: true }) as number;
    if (applicationId === 0) {
      const objects = this.#statements.get('SELECT count(*) AS n FROM sqlite_schema').get() as { n: number };
      if (version === 0 && objects.n === 0) return 0;
    }
    if (applicationId !== APPLICATION_ID) throw foreignDatabase(this.path);
    if (version > latest) throw newerSchema(this.path, version, latest);
    return version;
  }

  #hasLocalMachine(): boolean {
    if ((this.#db.pragma('user_version', { simple: true }) as number) === 0) return false;
    return this.#statements.get('SELECT 1 FROM machines WHERE is_local = 1').get() !== undefined;
  }

  #migrate(migrations: readonly Migration[], from: number): void {
    const db = this.#db;
    for (const [offset, migration] of migrations.slice(from).entries()) {
      try {
        migration.up(db);
      } catch (error) {
        const version = from + offset + 1;
        throw (
          fromSqlite(error, this.path, this.#busyTimeoutMs) ??
          storeError('corrupt', this.path, `could not be upgraded to schema version ${version} (${migration.name})`, error)
        );
      }
    }
    const broken = db.pragma('foreign_key_check') as unknown[];
    if (broken.length > 0) {
      throw storeError('corrupt', this.path, `has ${broken.length} broken references after the upgrade to schema version ${migrations.length}`);
    }
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma(`user_version = ${migrations.length}`);
  }
}

/** Where `file` points when it is a symbolic link whose target is missing; otherwise null. */
function danglingLinkTarget(file: string): string | null {
  try {
    if (!fs.lstatSync(file).isSymbolicLink()) return null;
    return fs.existsSync(file) ? null : path.resolve(path.dirname(file), fs.readlinkSync(file));
  } catch {
    return null;
  }
}

function createEmptyFile(storePath: string): void {
  try {
    fs.mkdirSync(path.dirname(storePath), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw fromFs(storePath, error, 'unwritable');
  }
  try {
    // Created by us with 0600 before SQLite sees it, so it is never world-readable, not even
    // for a moment under a permissive umask.
    fs.closeSync(fs.openSync(storePath, 'wx', 0o600));
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw fromFs(storePath, error, 'unwritable');
  }
}
