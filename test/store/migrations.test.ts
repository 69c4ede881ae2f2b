import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { APPLICATION_ID, MIGRATIONS, type Migration } from '../../src/store/schema.js';
import { caught, makeTempDir, openStore, sha256, sideFiles } from './helpers/fixtures.js';

// A stand-in for the next real migration: how adding one looks, and what an upgrade must keep.
const V2: Migration = {
  name: 'machine notes (test only)',
  up: (db) => db.exec("ALTER TABLE machines ADD COLUMN note TEXT NOT NULL DEFAULT 'none'"),
};

const header = (file: string): { version: unknown; applicationId: unknown; columns: string[] } => {
  const db = new Database(file, { readonly: true });
  try {
    return {
      version: db.pragma('user_version', { simple: true }),
      applicationId: db.pragma('application_id', { simple: true }),
      columns: (db.pragma('table_info(machines)') as { name: string }[]).map((c) => c.name),
    };
  } finally {
    db.close();
  }
};

const CURRENT = MIGRATIONS.length;

describe('migrations', () => {
  it('the released history, in order', () => {
    expect(MIGRATIONS.map((m) => m.name)).toEqual([
      'machines, products and events',
      'licensing objects: license files, key ranges, token licences, activation objects',
    ]);
  });

  it('upgrades a store of the first release (schema 1) to the current schema, keeping its rows', () => {
    const storePath = path.join(makeTempDir(), 'store.db');
    const v1 = openStore(storePath, { migrations: MIGRATIONS.slice(0, 1) });
    const local = v1.transaction((tx) => {
      tx.createMachine({ name: 'lab' });
      return tx.localMachine();
    });
    v1.close();
    expect(header(storePath).version).toBe(1);

    const current = openStore(storePath);
    expect(current.schemaVersion).toBe(CURRENT);
    expect(current.transaction((tx) => {
      tx.putObject('license-file', tx.localMachine().id, 'lic-1', { sku: 'x' });
      return [tx.localMachine(), tx.listMachines().length, tx.listObjects('license-file', local.id).map((o) => o.name)];
    })).toEqual([local, 2, ['lic-1']]);
    current.close();
  });

  it('upgrades a version-0 file stamped with our application id', () => {
    const storePath = path.join(makeTempDir(), 'store.db');
    const old = new Database(storePath);
    old.pragma(`application_id = ${APPLICATION_ID}`);
    old.close();

    const store = openStore(storePath);
    expect(store.schemaVersion).toBe(CURRENT);
    expect(store.transaction((tx) => tx.localMachine().name)).toBe('build-01');
    store.close();
    expect(header(storePath)).toMatchObject({ version: CURRENT, applicationId: APPLICATION_ID });
  });

  it('upgrades the current store to a next version in place, keeping its rows and CMID', () => {
    const storePath = path.join(makeTempDir(), 'store.db');
    const v1 = openStore(storePath);
    const local = v1.transaction((tx) => {
      tx.createMachine({ name: 'lab' });
      return tx.localMachine();
    });
    v1.close();

    const v2 = openStore(storePath, { migrations: [...MIGRATIONS, V2], hostname: 'other' });
    expect(v2.schemaVersion).toBe(CURRENT + 1);
    expect(v2.transaction((tx) => [tx.localMachine(), tx.listMachines().length])).toEqual([local, 2]);
    v2.close();
    expect(header(storePath)).toMatchObject({ version: CURRENT + 1, applicationId: APPLICATION_ID });
    expect(header(storePath).columns).toContain('note');

    // Opening it again with the v2 code is a no-op; with the v1 code it is a newer schema.
    openStore(storePath, { migrations: [...MIGRATIONS, V2] }).close();
    const before = sha256(storePath);
    expect(caught(() => openStore(storePath))).toMatchObject({ reason: 'newer-schema' });
    expect(sha256(storePath)).toBe(before);
    expect(sideFiles(storePath)).toEqual([]);
  });

  it('creates a fresh store through every migration in one go', () => {
    const storePath = path.join(makeTempDir(), 'store.db');
    openStore(storePath, { migrations: [...MIGRATIONS, V2] }).close();
    expect(header(storePath)).toMatchObject({ version: CURRENT + 1 });
    expect(header(storePath).columns).toContain('note');
  });

  it('rolls a failing migration back completely and leaves the store at its old version', () => {
    const storePath = path.join(makeTempDir(), 'store.db');
    openStore(storePath).close();
    const broken: Migration = {
      name: 'half-done (test only)',
      up: (db) => {
        db.exec('CREATE TABLE partial (x INTEGER)');
        db.exec('ALTER TABLE no_such_table ADD COLUMN y TEXT');
      },
    };

    const error = caught(() => openStore(storePath, { migrations: [...MIGRATIONS, V2, broken] }));
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ reason: 'corrupt' });
    expect((error as Error).message).toContain(`could not be upgraded to schema version ${CURRENT + 2} (half-done (test only))`);
    expect((error as Error).cause).toBeInstanceOf(Database.SqliteError);

    const after = header(storePath);
    expect(after.version).toBe(CURRENT);
    expect(after.columns).not.toContain('note');
    const store = openStore(storePath);
    expect(store.transaction((tx) => tx.listMachines().length)).toBe(1);
    store.close();
  });

  it('refuses an upgrade that leaves broken references', () => {
    const storePath = path.join(makeTempDir(), 'store.db');
    openStore(storePath).close();
    const dangling: Migration = {
      name: 'dangling event (test only)',
      up: (db) => db.exec(`INSERT INTO events (machine_id, at, event_id, data) VALUES (99, 0, 12288, '{}')`),
    };
    const error = caught(() => openStore(storePath, { migrations: [...MIGRATIONS, dangling] }));
    expect(error).toMatchObject({ reason: 'corrupt' });
    expect((error as Error).message).toMatch(/1 broken references/);
    expect(header(storePath).version).toBe(CURRENT);
  });
});
