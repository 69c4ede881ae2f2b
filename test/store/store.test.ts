import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/store/schema.js';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { MACHINE_DEFAULTS, type StoreTx } from '../../src/store/repository.js';
import { APPLICATION_ID } from '../../src/store/schema.js';
import type { MachineRow } from '../../src/store/types.js';
import { caught, isWindows, makeTempDir, openStore } from './helpers/fixtures.js';
import { fullProduct } from './helpers/rows.js';

const mode = (file: string): number => fs.statSync(file).mode & 0o777;
const SKU_A = '9bd77860-9b31-4b7b-96ad-2564017315bf';
const SKU_B = 'f3d81d89-9a2d-4d54-a53b-b5e6d7c5a0f0';

function withStore<T>(fn: (tx: StoreTx) => T): T {
  const store = openStore(path.join(makeTempDir(), 'store.db'));
  try {
    return store.transaction(fn);
  } finally {
    store.close();
  }
}

describe('Store.open on a missing file', () => {
  it('creates the directories 0700 and the file 0600, WAL, stamped with our application id', () => {
    const dir = makeTempDir();
    const storePath = path.join(dir, 'state', 'slmgr', 'store.db');
    const store = openStore(storePath);
    expect(store.path).toBe(storePath);
    expect(store.schemaVersion).toBe(MIGRATIONS.length);
    store.transaction((tx) => tx.createMachine({ name: 'lab' }));
    if (!isWindows) {
      expect(mode(path.join(dir, 'state'))).toBe(0o700);
      expect(mode(path.join(dir, 'state', 'slmgr'))).toBe(0o700);
      expect(mode(storePath)).toBe(0o600);
      // SQLite gives the WAL and shared-memory files the database's mode.
      expect(mode(`${storePath}-wal`)).toBe(0o600);
      expect(mode(`${storePath}-shm`)).toBe(0o600);
    }
    store.close();

    const raw = new Database(storePath, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(raw.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    raw.close();
  });

  it('creates the local machine with the defaults', () => {
    const local = withStore((tx) => tx.localMachine());
    expect(local).toEqual({
      id: 1,
      name: 'build-01',
      isLocal: true,
      fqdn: null,
      dnsDomain: null,
      cmid: '00000000-0000-4000-8000-000000000001',
      createdAt: 1_700_000_000_000,
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
      ipAddress: null,
      activationTypeEnabled: 0,
      kmsPublishDomains: [],
      kmsPortBlocked: false,
    } satisfies MachineRow);
  });

  it('resolves a relative path against the working directory', () => {
    const dir = makeTempDir();
    const relative = path.relative(process.cwd(), path.join(dir, 'rel.db'));
    const store = openStore(relative);
    expect(store.path).toBe(path.join(dir, 'rel.db'));
    store.close();
  });

  it('adopts an existing empty file, and an SQLite file with nothing in it', () => {
    const dir = makeTempDir();
    const empty = path.join(dir, 'empty.db');
    fs.writeFileSync(empty, '', { mode: 0o600 });
    const blankSqlite = path.join(dir, 'blank.db');
    new Database(blankSqlite).exec('VACUUM').close();
    expect(fs.statSync(blankSqlite).size).toBeGreaterThan(0);

    for (const file of [empty, blankSqlite]) {
      const store = openStore(file);
      expect(store.transaction((tx) => tx.localMachine().name)).toBe('build-01');
      store.close();
    }
  });
});

describe('Store.open on an existing store', () => {
  it('keeps the CMID and the local machine, whatever the host name and random source say now', () => {
    const storePath = path.join(makeTempDir(), 'store.db');
    const first = openStore(storePath);
    const before = first.transaction((tx) => tx.localMachine());
    first.close();

    const second = openStore(storePath, { hostname: 'renamed', randomUUID: () => 'ffffffff-ffff-4fff-8fff-ffffffffffff', now: () => 5 });
    expect(second.transaction((tx) => [tx.localMachine(), tx.listMachines().length])).toEqual([before, 1]);
    second.close();
  });

  it('restores a local machine row that went missing', () => {
    const storePath = path.join(makeTempDir(), 'store.db');
    openStore(storePath).close();
    const raw = new Database(storePath);
    raw.exec('DELETE FROM machines');
    raw.close();

    const store = openStore(storePath, { hostname: 'again' });
    expect(store.transaction((tx) => tx.localMachine().name)).toBe('again');
    store.close();
  });
});

describe('StoreTx machines', () => {
  it('round-trips every column through create, update and find', () => {
    withStore((tx) => {
      const created = tx.createMachine({ name: 'LAB-HOST', fqdn: 'lab-host.lab.example', dnsDomain: 'lab.example' });
      expect(created).toMatchObject({ ...MACHINE_DEFAULTS, name: 'LAB-HOST', isLocal: false, fqdn: 'lab-host.lab.example', dnsDomain: 'lab.example' });
      expect(tx.findMachine('LAB-HOST')).toEqual(created);

      const changed: Omit<MachineRow, 'id'> = {
        name: 'lab-host-2',
        isLocal: false,
        fqdn: null,
        dnsDomain: null,
        ipAddress: '10.0.0.9',
        activationTypeEnabled: 2,
        kmsPublishDomains: ['corp.lab.example', 'dev.lab.example'],
        kmsPortBlocked: true,
        cmid: '11111111-2222-4333-8444-555555555555',
        createdAt: 42,
        serviceVersion: '10.0.20348.1',
        osBuild: 20348,
        lcid: 1031,
        remainingWindowsRearmCount: 3,
        keyInRegistry: true,
        kmsMachine: 'kms.lab.example',
        kmsPort: 1689,
        kmsLookupDomain: 'lab.example',
        kmsHostCaching: false,
        kmsListeningPort: 1700,
        kmsDnsPublishing: false,
        kmsLowPriority: true,
        vlActivationInterval: 15,
        vlRenewalInterval: 43200,
      };
      tx.updateMachine(created.id, changed);
      const updated = tx.getMachine(created.id);
      expect(updated).toEqual({ id: created.id, ...changed });
      expect(tx.findMachine('LAB-HOST-2')).toEqual(updated);
      expect(tx.findMachine('LAB-HOST')).toBeUndefined();
      expect(tx.listMachines().map((m) => m.name)).toEqual(['build-01', 'lab-host-2']);
    });
  });

  it('finds machines case-insensitively and keeps names unique that way', () => {
    withStore((tx) => {
      tx.createMachine({ name: 'Client-07' });
      expect(tx.findMachine('CLIENT-07')?.name).toBe('Client-07');
      expect(tx.findMachine('build-01')?.isLocal).toBe(true);
      expect(() => tx.createMachine({ name: 'client-07' })).toThrow(/UNIQUE/);
      expect(() => tx.createMachine({ name: 'second-local', isLocal: true })).toThrow(/UNIQUE/);
    });
  });

  it('gives each machine its own random CMID', () => {
    withStore((tx) => {
      const a = tx.createMachine({ name: 'a' });
      const b = tx.createMachine({ name: 'b' });
      expect(new Set([tx.localMachine().cmid, a.cmid, b.cmid]).size).toBe(3);
    });
  });

  it('updates only whitelisted columns and leaves the key alone', () => {
    withStore((tx) => {
      const local = tx.localMachine();
      tx.updateMachine(local.id, {});
      expect(tx.getMachine(local.id)).toEqual(local);
      tx.updateMachine(local.id, { kmsPort: undefined, lcid: 1036 });
      expect(tx.getMachine(local.id)).toEqual({ ...local, lcid: 1036 });
      expect(() => tx.updateMachine(local.id, { "name = 'x' --": 1 } as never)).toThrow(TypeError);
      expect(() => tx.updateMachine(local.id, { __proto__: 1 } as never)).not.toThrow();
      expect(() => tx.updateMachine(local.id, { id: local.id + 1 } as never)).toThrow(/identifies the row/);
      expect(() => tx.updateMachine(local.id, { isLocal: 1 } as never)).toThrow(/boolean/);
      expect(() => tx.updateMachine(999, { lcid: 1 })).toThrow(/No machine/);
      expect(tx.localMachine()).toEqual({ ...local, lcid: 1036 });
    });
  });
});

describe('StoreTx products', () => {
  it('round-trips every column, with values and with nulls', () => {
    withStore((tx) => {
      const machineId = tx.localMachine().id;
      const full = fullProduct(machineId, SKU_A);
      tx.putProduct(full);
      expect(tx.getProduct(machineId, SKU_A)).toEqual(full);

      const unkeyed = fullProduct(machineId, SKU_A, {
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
      });
      tx.putProduct(unkeyed);
      expect(tx.getProduct(machineId, SKU_A)).toEqual(unkeyed);
      expect(tx.listProducts(machineId)).toEqual([unkeyed]);
    });
  });

  it('lists by installedAt, never-installed last, then skuId', () => {
    withStore((tx) => {
      const id = tx.localMachine().id;
      const rows = [
        fullProduct(id, 'c', { installedAt: null }),
        fullProduct(id, 'b', { installedAt: 20 }),
        fullProduct(id, 'a', { installedAt: 20 }),
        fullProduct(id, 'd', { installedAt: 10 }),
        fullProduct(id, 'e', { installedAt: null }),
      ];
      rows.forEach((row) => tx.putProduct(row));
      expect(tx.listProducts(id).map((p) => p.skuId)).toEqual(['d', 'a', 'b', 'c', 'e']);
      const other = tx.createMachine({ name: 'other' });
      expect(tx.listProducts(other.id)).toEqual([]);
    });
  });

  it('updates, looks up case-insensitively and deletes by (machineId, skuId)', () => {
    withStore((tx) => {
      const id = tx.localMachine().id;
      const a = fullProduct(id, SKU_A);
      tx.putProduct(a);
      tx.putProduct(fullProduct(id, SKU_B));

      tx.updateProduct(id, SKU_A, { licenseStatus: 1, graceEndsAt: null });
      expect(tx.getProduct(id, SKU_A)).toEqual({ ...a, licenseStatus: 1, graceEndsAt: null });
      expect(tx.getProduct(id, SKU_A.toUpperCase())?.licenseStatus).toBe(1);
      // A patch spread from a whole row names the key fields; that is fine as long as they match.
      tx.updateProduct(id, SKU_A, { ...a, remainingSkuRearmCount: 7 });
      expect(tx.getProduct(id, SKU_A)?.remainingSkuRearmCount).toBe(7);
      expect(() => tx.updateProduct(id, SKU_A, { skuId: SKU_B })).toThrow(/identifies the row/);
      expect(() => tx.updateProduct(id, SKU_A, { bogus: 1 } as never)).toThrow(TypeError);
      expect(() => tx.updateProduct(id, 'missing', { licenseStatus: 1 })).toThrow(/No product/);

      tx.deleteProduct(id, SKU_A);
      tx.deleteProduct(id, SKU_A);
      expect(tx.getProduct(id, SKU_A)).toBeUndefined();
      expect(tx.listProducts(id).map((p) => p.skuId)).toEqual([SKU_B]);
    });
  });

  it('adds to the request counters only, in place, by (machineId, skuId)', () => {
    withStore((tx) => {
      const id = tx.localMachine().id;
      const a = fullProduct(id, SKU_A);
      tx.putProduct(a);
      tx.incrementProduct(id, SKU_A, { kmsTotalRequests: 1, kmsFailedRequests: 0, kmsLicensedRequests: 2 });
      tx.incrementProduct(id, SKU_A.toUpperCase(), { kmsTotalRequests: 1 });
      expect(tx.getProduct(id, SKU_A)).toEqual({ ...a, kmsTotalRequests: a.kmsTotalRequests + 2, kmsLicensedRequests: a.kmsLicensedRequests + 2 });
      expect(() => tx.incrementProduct(id, SKU_A, { licenseStatus: 1 } as never)).toThrow(/not a counter/);
      expect(() => tx.incrementProduct(id, SKU_A, { kmsTotalRequests: 0.5 })).toThrow(/integer/);
      expect(() => tx.incrementProduct(id, 'missing', { kmsTotalRequests: 1 })).toThrow(/No product/);
      expect(() => tx.incrementProduct(id, 'missing', {})).toThrow(/No product/);
    });
  });

  it('rejects rows the schema does not allow', () => {
    withStore((tx) => {
      const id = tx.localMachine().id;
      expect(() => tx.putProduct(fullProduct(id, SKU_A, { licenseStatus: 9 as never }))).toThrow(/CHECK/);
      expect(() => tx.putProduct(fullProduct(999, SKU_A))).toThrow(/FOREIGN KEY/);
      expect(() => tx.putProduct({ ...fullProduct(id, SKU_A), keyGroup: undefined } as never)).toThrow(/Missing field "keyGroup"/);
    });
  });
});

describe('StoreTx events', () => {
  it('round-trips events with their JSON data, oldest first, per machine or all', () => {
    withStore((tx) => {
      const local = tx.localMachine();
      const lab = tx.createMachine({ name: 'lab' });
      const data = { clientCmid: 'x', count: 25, nested: { ok: true, list: [1, 'two', null] } };
      const late = tx.addEvent(local.id, 12290, data, 300);
      const early = tx.addEvent(lab.id, 12288, {}, 100);
      const sameTime = tx.addEvent(local.id, 12289, { dropped: undefined }, 300);

      expect(late).toEqual({ id: late.id, machineId: local.id, at: 300, eventId: 12290, data });
      expect(sameTime.data).toEqual({});
      expect(tx.listEvents()).toEqual([early, late, sameTime]);
      expect(tx.listEvents(local.id)).toEqual([late, sameTime]);
      expect(tx.listEvents(lab.id)).toEqual([early]);
    });
  });
});

describe('Store.transaction', () => {
  it('commits what the callback wrote and returns its value', () => {
    const storePath = path.join(makeTempDir(), 'store.db');
    const store = openStore(storePath);
    expect(store.transaction((tx) => tx.createMachine({ name: 'kept' }).name)).toBe('kept');
    store.close();
    const reopened = openStore(storePath);
    expect(reopened.transaction((tx) => tx.findMachine('kept')?.name)).toBe('kept');
    reopened.close();
  });

  it('rolls everything back and rethrows the original error', () => {
    const storePath = path.join(makeTempDir(), 'store.db');
    const store = openStore(storePath);
    const boom = new Error('boom');
    const error = caught(() =>
      store.transaction((tx) => {
        const m = tx.createMachine({ name: 'ghost' });
        tx.putProduct(fullProduct(m.id, SKU_A));
        tx.addEvent(m.id, 12288, {}, 1);
        tx.updateMachine(tx.localMachine().id, { lcid: 1 });
        throw boom;
      }),
    );
    expect(error).toBe(boom);
    store.transaction((tx) => {
      expect(tx.listMachines().map((m) => m.name)).toEqual(['build-01']);
      expect(tx.localMachine().lcid).toBe(1033);
      expect(tx.listEvents()).toEqual([]);
    });
    store.close();
  });

  it('rejects an async callback instead of committing before it finishes', () => {
    const store = openStore(path.join(makeTempDir(), 'store.db'));
    expect(() => store.transaction(async (tx) => tx.createMachine({ name: 'async' }))).toThrow(/promise/);
    expect(store.transaction((tx) => tx.findMachine('async'))).toBeUndefined();
    store.close();
  });

  it('refuses a StoreTx used after its transaction ended', () => {
    const store = openStore(path.join(makeTempDir(), 'store.db'));
    let leaked: StoreTx | undefined;
    store.transaction((tx) => {
      leaked = tx;
    });
    expect(() => leaked?.createMachine({ name: 'outside' })).toThrow(/after its transaction ended/);
    store.close();
  });

  it("waits busyTimeoutMs for another connection's write lock, then fails with 'busy'", () => {
    const storePath = path.join(makeTempDir(), 'store.db');
    const store = openStore(storePath, { busyTimeoutMs: 100 });
    const other = new Database(storePath);
    other.exec('BEGIN IMMEDIATE');
    let called = false;
    const started = Date.now();
    const error = caught(() =>
      store.transaction(() => {
        called = true;
      }),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ reason: 'busy', path: storePath });
    expect((error as Error).message).toContain(storePath);
    expect(called).toBe(false);

    other.exec('ROLLBACK');
    other.close();
    expect(store.transaction((tx) => tx.localMachine().name)).toBe('build-01');
    store.close();
  });

  it('lets readers of other connections go on during a write transaction (WAL)', () => {
    const storePath = path.join(makeTempDir(), 'store.db');
    const store = openStore(storePath, { busyTimeoutMs: 0 });
    const reader = new Database(storePath, { readonly: true });
    store.transaction((tx) => {
      tx.createMachine({ name: 'pending' });
      expect(reader.prepare('SELECT count(*) AS n FROM machines').get()).toEqual({ n: 1 });
    });
    expect(reader.prepare('SELECT count(*) AS n FROM machines').get()).toEqual({ n: 2 });
    reader.close();
    store.close();
  });
});
