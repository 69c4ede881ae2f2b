import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/store/schema.js';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { nobodyCanReach, openAsNobody, type OpenOutcome } from './helpers/child.js';
import { caught, isRoot, isWindows, makeTempDir, openStore, sha256, sideFiles } from './helpers/fixtures.js';
import { fullProduct } from './helpers/rows.js';

/** A real store with enough rows to span several pages, closed (so its WAL is checkpointed away). */
function makeStore(dir: string, name = 'store.db'): string {
  const storePath = path.join(dir, name);
  const store = openStore(storePath);
  store.transaction((tx) => {
    for (let i = 0; i < 40; i++) {
      const machine = tx.createMachine({ name: `lab-${i}`, fqdn: `lab-${i}.example.test` });
      tx.putProduct(fullProduct(machine.id, `sku-${i}`));
      tx.addEvent(machine.id, 12288, { i, padding: 'x'.repeat(200) }, i);
    }
  });
  store.close();
  expect(sideFiles(storePath)).toEqual([]);
  return storePath;
}

function foreignDatabase(file: string, setup: string): string {
  const db = new Database(file);
  db.exec(setup);
  db.close();
  return file;
}

function expectRefused(storePath: string, reason: StoreError['reason'], message: RegExp): void {
  const before = sha256(storePath);
  const error = caught(() => openStore(storePath));
  expect(error).toBeInstanceOf(StoreError);
  expect(error).toMatchObject({ reason, path: storePath });
  expect((error as Error).message).toContain(storePath);
  expect((error as Error).message).toMatch(message);
  expect(sha256(storePath)).toBe(before);
  expect(sideFiles(storePath)).toEqual([]);
}

describe('Store.open refuses files that are not a usable store and leaves them byte-identical', () => {
  it.each<[string, (dir: string) => string, StoreError['reason'], RegExp]>([
    [
      'random bytes',
      (dir) => {
        fs.writeFileSync(path.join(dir, 'random.db'), randomBytes(8192));
        return path.join(dir, 'random.db');
      },
      'corrupt',
      /not an SQLite database.*left untouched/,
    ],
    [
      'a short text file',
      (dir) => {
        fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello\n');
        return path.join(dir, 'notes.txt');
      },
      'corrupt',
      /not an SQLite database/,
    ],
    [
      'an SQLite header followed by garbage',
      (dir) => {
        const bytes = randomBytes(4096);
        bytes.write('SQLite format 3\0', 0, 'latin1');
        bytes.writeUInt16BE(3000, 16);
        fs.writeFileSync(path.join(dir, 'fake.db'), bytes);
        return path.join(dir, 'fake.db');
      },
      'corrupt',
      /damaged SQLite header/,
    ],
    [
      "another application's SQLite database (no application id)",
      (dir) => foreignDatabase(path.join(dir, 'app.db'), 'CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES (1)'),
      'corrupt',
      /another application, not an slmgr store/,
    ],
    [
      "another application's SQLite database (its own application id, WAL)",
      (dir) =>
        foreignDatabase(path.join(dir, 'fossil.db'), 'PRAGMA journal_mode = WAL; PRAGMA application_id = 252006674; CREATE TABLE blob (x)'),
      'corrupt',
      /another application/,
    ],
    [
      'an empty SQLite database in WAL mode (we never make one)',
      (dir) => foreignDatabase(path.join(dir, 'wal.db'), 'PRAGMA journal_mode = WAL; PRAGMA user_version = 0'),
      'corrupt',
      /another application/,
    ],
    [
      'an SQLite database with a user_version but no application id',
      (dir) => foreignDatabase(path.join(dir, 'versioned.db'), 'PRAGMA user_version = 3'),
      'corrupt',
      /another application/,
    ],
    [
      'a store cut in half',
      (dir) => {
        const storePath = makeStore(dir);
        fs.truncateSync(storePath, Math.floor(fs.statSync(storePath).size / 2) + 100);
        return storePath;
      },
      'corrupt',
      /truncated/,
    ],
    [
      'a store cut at a page boundary',
      (dir) => {
        const storePath = makeStore(dir);
        fs.truncateSync(storePath, 4096 * 2);
        return storePath;
      },
      'corrupt',
      /truncated/,
    ],
    [
      'a store whose pages after the header are overwritten',
      (dir) => {
        const storePath = makeStore(dir);
        const fd = fs.openSync(storePath, 'r+');
        fs.writeSync(fd, randomBytes(fs.fstatSync(fd).size - 4096), 0, undefined, 4096);
        fs.closeSync(fd);
        return storePath;
      },
      'corrupt',
      /is damaged/,
    ],
    [
      'a store with a newer schema version',
      (dir) => foreignDatabase(makeStore(dir), 'PRAGMA user_version = 999'),
      'newer-schema',
      new RegExp(`schema version 999, but this slmgr only knows versions up to ${MIGRATIONS.length}.*Upgrade slmgr`),
    ],
  ])('%s', (_name, make, reason, message) => {
    expectRefused(make(makeTempDir()), reason, message);
  });

  it('a copy of a store taken with its live WAL, cut in half', () => {
    // Not judged from the header (a WAL is present), so SQLite itself must report it.
    const dir = makeTempDir();
    const storePath = makeStore(dir);
    fs.truncateSync(storePath, 4096 * 2);
    fs.writeFileSync(`${storePath}-wal`, '');
    const error = caught(() => openStore(storePath));
    expect(error).toMatchObject({ reason: 'corrupt' });
  });

  it('a directory at the store path', () => {
    const dir = makeTempDir();
    const storePath = path.join(dir, 'store.db');
    fs.mkdirSync(storePath);
    const error = caught(() => openStore(storePath));
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ reason: 'not-a-file', path: storePath });
    expect((error as Error).message).toContain(path.join(storePath, 'store.db'));
    expect(fs.readdirSync(storePath)).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual(['store.db']);
  });

  it('a path below a regular file', () => {
    const dir = makeTempDir();
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    const error = caught(() => openStore(path.join(dir, 'file', 'store.db')));
    expect(error).toMatchObject({ reason: 'invalid-path' });
  });

  it('a newer schema that is still in the WAL of another open connection', () => {
    const storePath = makeStore(makeTempDir());
    const other = new Database(storePath);
    other.pragma('wal_autocheckpoint = 0');
    other.pragma('user_version = 7');
    const before = sha256(storePath);
    expect(caught(() => openStore(storePath))).toMatchObject({ reason: 'newer-schema' });
    expect(sha256(storePath)).toBe(before);
    other.close();
  });
});

// Root reads and writes any file, so as root the check runs in a child process as `nobody`.
const nobodyOk = isRoot && nobodyCanReach(os.tmpdir());

describe.skipIf(isWindows || (isRoot && !nobodyOk))('Store.open without permission', () => {
  function openUnprivileged(storePath: string): OpenOutcome {
    if (isRoot) return openAsNobody(storePath);
    const error = caught(() => openStore(storePath)) as StoreError;
    return { name: error.name, reason: error.reason, message: error.message };
  }

  function privateDir(): string {
    const dir = makeTempDir();
    if (isRoot) fs.chmodSync(dir, 0o755);
    return dir;
  }

  it("an unreadable file is 'unreadable', untouched", () => {
    const storePath = makeStore(privateDir());
    fs.chmodSync(storePath, 0o000);
    const before = sha256(storePath);
    const outcome = openUnprivileged(storePath);
    expect(outcome).toMatchObject({ name: 'StoreError', reason: 'unreadable' });
    expect(outcome.message).toMatch(/permission denied/);
    expect(sha256(storePath)).toBe(before);
    expect(sideFiles(storePath)).toEqual([]);
  });

  it("a store that can be read but not written is 'unwritable', untouched", () => {
    const dir = privateDir();
    const storePath = makeStore(dir);
    fs.chmodSync(storePath, 0o444);
    fs.chmodSync(dir, 0o555);
    const before = sha256(storePath);
    const outcome = openUnprivileged(storePath);
    expect(outcome).toMatchObject({ name: 'StoreError', reason: 'unwritable' });
    expect(sha256(storePath)).toBe(before);
    expect(sideFiles(storePath)).toEqual([]);
  });

  it("a missing store in a directory that cannot be written is 'unwritable'", () => {
    const dir = privateDir();
    fs.chmodSync(dir, 0o555);
    const outcome = openUnprivileged(path.join(dir, 'sub', 'store.db'));
    expect(outcome).toMatchObject({ name: 'StoreError', reason: 'unwritable' });
    expect(outcome.message).toMatch(/cannot be created: permission denied/);
  });
});
