// 5. Bad files: stores that are corrupt, truncated, another program's, written by a newer slmgr,
// a directory, a FIFO, a dangling link, unreadable or unwritable, on a read-only or full file
// system. Every command — reads, writes, lab tooling, the kms backend — must end in a clear store
// error (exit 4, one line on stderr naming the file and what to do, no stack trace), and the file
// must stay byte for byte as it was, with no side files left next to it.

import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync, openSync, writeSync, fstatSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, CRASH_TEXT, NOW, recordFigures, ROOT, SERVER_2019, slmgrSpawn, STACK_FRAME, tempDir, WIN_ENTERPRISE, type TempDir } from './helpers/common.js';
import { runCli, script } from './helpers/inproc.js';
import { openRaw, SCHEMA_VERSION, storeViolations, stateDigest } from './helpers/store-check.js';

const COMMANDS: string[][] = [
  ['/dli'],
  ['/dlv', 'All'],
  ['/ipk', WIN_ENTERPRISE],
  ['kms01', '/ato'],
  ['/skms', 'kms01.lab.test'],
  ['lab', 'machines'],
  ['lab', 'clients', '--count', '2', '--key', SERVER_2019],
  ['/ato', '--backend', 'kms', '--timeout', '200ms'],
];

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

let tmp: TempDir;
let goodStore: string;
const figures = { kinds: 0, commandsRefused: 0, spawnedRefused: 0, untouched: 0, readOnlyFs: 'not run', fullFs: 'not run', unprivileged: 'not run' };

beforeAll(async () => {
  tmp = tempDir('slmgr-badfiles-');
  chmodSync(tmp.dir, 0o755);
  goodStore = tmp.path('good.db');
  await script(goodStore, NOW, [
    ['kms01', '/ipk', 'B7NVT-H6TFH-89TYG-7DV6B-782QF'],
    ['kms01', '/ato'],
    ['lab', 'clients', '--count', '40', '--key', SERVER_2019, '--prefix', 'srv'],
  ]);
});
afterAll(() => {
  recordFigures('bad-files', figures);
  spawnSync('chmod', ['-R', 'u+rwx', tmp.dir]);
  tmp.cleanup();
});

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
let fileCount = 0;
const freshDir = () => {
  const dir = tmp.path(`case-${fileCount++}`);
  mkdirSync(dir);
  chmodSync(dir, 0o755);
  return dir;
};

function copyOfGood(dir: string): string {
  const file = join(dir, 'store.db');
  writeFileSync(file, readFileSync(goodStore), { mode: 0o600 });
  return file;
}

/** Another SQLite program's database. */
function foreign(dir: string, setup: string): string {
  const file = join(dir, 'app.db');
  const db = new Database(file);
  db.exec(setup);
  db.close();
  return file;
}

const KINDS: Array<[string, (dir: string) => string, string]> = [
  ['random bytes', (dir) => { const f = join(dir, 'store.db'); writeFileSync(f, randomBytes(8192)); return f; }, 'corrupt'],
  ['a text file', (dir) => { const f = join(dir, 'store.db'); writeFileSync(f, 'my shopping list\n'.repeat(100)); return f; }, 'corrupt'],
  ['an SQLite header followed by garbage', (dir) => { const f = join(dir, 'store.db'); const b = randomBytes(8192); b.write('SQLite format 3\0', 0, 'latin1'); b.writeUInt16BE(4096, 16); writeFileSync(f, b); return f; }, 'corrupt'],
  ['another application\'s SQLite database', (dir) => foreign(dir, 'CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES (1)'), 'corrupt'],
  ['another application\'s WAL database with its own application id', (dir) => foreign(dir, 'PRAGMA journal_mode = WAL; PRAGMA application_id = 1234; CREATE TABLE t (x)'), 'corrupt'],
  ['a store cut in half', (dir) => { const f = copyOfGood(dir); truncateSync(f, Math.floor(statSync(f).size / 2) + 100); return f; }, 'corrupt'],
  ['a store cut at a page boundary', (dir) => { const f = copyOfGood(dir); truncateSync(f, 4096 * 3); return f; }, 'corrupt'],
  ['a store with its pages overwritten', (dir) => { const f = copyOfGood(dir); const fd = openSync(f, 'r+'); writeSync(fd, randomBytes(fstatSync(fd).size - 4096), 0, undefined, 4096); closeSync(fd); return f; }, 'corrupt'],
  ['a store written by a newer slmgr', (dir) => { const f = copyOfGood(dir); const db = new Database(f); db.pragma(`user_version = ${SCHEMA_VERSION + 5}`); db.pragma('journal_mode = DELETE'); db.close(); return f; }, 'newer-schema'],
  ['a directory at the store path', (dir) => { const f = join(dir, 'store.db'); mkdirSync(f); return f; }, 'not-a-file'],
  ['a FIFO at the store path', (dir) => { const f = join(dir, 'store.db'); spawnSync('mkfifo', [f]); return f; }, 'not-a-file'],
  ['a path through a regular file', (dir) => { writeFileSync(join(dir, 'file'), 'x'); return join(dir, 'file', 'store.db'); }, 'invalid-path'],
  ['a symbolic link to a missing file', (dir) => { const f = join(dir, 'store.db'); symlinkSync(join(dir, 'elsewhere', 'target.db'), f); return f; }, 'invalid-path'],
];

/** What the directory holds (names, sizes, modes), to show nothing was added, removed or replaced. */
function listing(dir: string): string {
  return JSON.stringify(readdirSync(dir, { recursive: true }).map(String).sort().map((name) => {
    const st = statSync(join(dir, name), { throwIfNoEntry: false });
    return [name, st?.isFile() ? st.size : st?.isDirectory() ? 'dir' : 'other', st?.mode];
  }));
}

function fingerprint(file: string): string {
  try {
    const st = statSync(file);
    return st.isFile() ? sha(file) : String(st.mode);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'error';
  }
}

function expectClearStoreError(status: number, stdout: string, stderr: string, file: string, reason: string, json: boolean): void {
  expect(status).toBe(4);
  expect(STACK_FRAME.test(stdout + stderr) || CRASH_TEXT.test(stdout + stderr)).toBe(false);
  if (json) {
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, exitCode: 4, error: { kind: 'store', reason, path: file } });
  } else {
    expect(stdout).toBe('');
  }
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^slmgr: The slmgr store ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} .+\\. .+`));
}

describe('stores that are not usable: every command refuses them and leaves them as they were', () => {
  it.each(KINDS)('%s', async (_name, make, reason) => {
    const dir = freshDir();
    const file = make(dir);
    const before = fingerprint(file);
    const tree = listing(dir);
    for (const argv of COMMANDS) {
      for (const json of [false, true]) {
        const r = await runCli(json ? [...argv, '--json'] : argv, { env: { SLMGR_STORE: file, SLMGR_NOW: NOW }, homedir: dir });
        expectClearStoreError(r.status, r.stdout, r.stderr, file, reason, json);
        figures.commandsRefused += 1;
      }
    }
    // The real process too (stderr, exit status), for a write and a read.
    for (const argv of [['/ipk', WIN_ENTERPRISE], ['/dlv']]) {
      const r = await slmgrSpawn(argv, { store: file });
      expectClearStoreError(r.status ?? -1, r.stdout, r.stderr, file, reason, false);
      figures.spawnedRefused += 1;
    }
    expect(fingerprint(file)).toBe(before);
    expect(listing(dir)).toBe(tree);
    figures.kinds += 1;
    figures.untouched += 1;
  });

  it('a WAL side file that cannot be opened (a directory): a clear error, the store intact', async () => {
    const dir = freshDir();
    const file = copyOfGood(dir);
    mkdirSync(`${file}-wal`);
    const before = sha(file);
    const r = await runCli(['/ipk', WIN_ENTERPRISE, '--json'], { env: { SLMGR_STORE: file, SLMGR_NOW: NOW } });
    expectClearStoreError(r.status, r.stdout, r.stderr, file, 'unwritable', true);
    expect(sha(file)).toBe(before);
    figures.kinds += 1;
  });
});

/** Whether `nobody` can run the bin from this checkout (root only: root itself reads everything). */
function nobodyCanRun(): boolean {
  if (!isRoot) return false;
  return spawnSync(process.execPath, [BIN, '--version'], { uid: NOBODY, gid: NOBODY, cwd: tmp.dir }).status === 0;
}

describe.skipIf(process.platform === 'win32')('stores without permission', () => {
  /** As root these run as `nobody`; as any other user, as that user. */
  const spawnAs = (argv: string[], file: string) =>
    slmgrSpawn(argv, { env: cleanEnv({ SLMGR_STORE: file, SLMGR_NOW: NOW, HOME: tmp.dir }), cwd: tmp.dir, ...(isRoot ? { uid: NOBODY, gid: NOBODY } : {}) });

  it('an unreadable store, a read-only store in a read-only directory, and a directory that cannot be written', async (ctx) => {
    if (isRoot && !nobodyCanRun()) ctx.skip();
    const cases: Array<[string, () => string, string]> = [
      ['unreadable', () => { const f = copyOfGood(freshDir()); chmodSync(f, 0o000); return f; }, 'unreadable'],
      ['read-only', () => { const d = freshDir(); const f = copyOfGood(d); chmodSync(f, 0o444); chmodSync(d, 0o555); return f; }, 'unwritable'],
      ['directory not writable', () => { const d = freshDir(); chmodSync(d, 0o555); return join(d, 'sub', 'store.db'); }, 'unwritable'],
    ];
    for (const [, make, reason] of cases) {
      const file = make();
      const before = existsSync(file) ? sha(file) : null;
      for (const argv of [['/ipk', WIN_ENTERPRISE], ['/dli'], ['lab', 'clients', '--count', '1', '--key', SERVER_2019]]) {
        const r = await spawnAs([...argv, '--json'], file);
        expectClearStoreError(r.status ?? -1, r.stdout, r.stderr, file, reason, true);
      }
      if (before !== null) expect(sha(file)).toBe(before);
      else expect(existsSync(file)).toBe(false);
    }
    figures.unprivileged = isRoot ? 'ran as nobody' : 'ran as the current user';
  });
});

/** Runs a script in a private mount namespace (root: unshare -m; others: a user namespace), if this system allows it. */
function inMountNamespace(script: string, env: NodeJS.ProcessEnv): { ok: boolean; stdout: string; stderr: string } {
  for (const flags of isRoot ? [['-m'], ['-rm']] : [['-rm']]) {
    const r = spawnSync('unshare', [...flags, '--propagation', 'private', process.execPath, '-e', script], { env, encoding: 'utf8', timeout: 120_000 });
    if (r.status === 0) return { ok: true, stdout: r.stdout, stderr: r.stderr };
    if (!/unshare|Operation not permitted|Permission denied|mount/i.test(r.stderr ?? '') && r.status !== null) return { ok: false, stdout: r.stdout, stderr: r.stderr };
  }
  return { ok: false, stdout: '', stderr: 'no mount namespace' };
}

const canUnshare = process.platform === 'linux' && (() => {
  const probeDir = tempDir('slmgr-unshare-');
  try {
    return inMountNamespace(`require('node:child_process').execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', ${JSON.stringify(probeDir.dir)}], { stdio: 'ignore' })`, process.env).ok;
  } finally {
    probeDir.cleanup();
  }
})();

/**
 * In a private mount namespace: a small tmpfs at `dir`, `before` commands run on it, then
 * (optionally) remounted read-only, then `commands` run. Prints one JSON result per command.
 */
function driver(dir: string, options: { sizeKb: number; readOnly: boolean; before: string[][]; commands: string[][] }): string {
  return `
    const { execFileSync, spawnSync } = require('node:child_process');
    const { createHash } = require('node:crypto');
    const fs = require('node:fs');
    const dir = ${JSON.stringify(dir)};
    const store = dir + '/store.db';
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=${options.sizeKb}k,mode=0755', 'tmpfs', dir]);
    const run = (argv) => spawnSync(process.execPath, [${JSON.stringify(BIN)}, ...argv], { encoding: 'utf8', env: { ...process.env, SLMGR_STORE: store, SLMGR_NOW: ${JSON.stringify(NOW)}, TZ: 'UTC' } });
    for (const argv of ${JSON.stringify(options.before)}) { const r = run(argv); if (r.status !== 0) { console.error(argv.join(' '), r.stdout, r.stderr); process.exit(3); } }
    const hash = () => fs.existsSync(store) ? createHash('sha256').update(fs.readFileSync(store)).digest('hex') : null;
    const copy = dir + '.copy';
    if (fs.existsSync(store)) fs.copyFileSync(store, copy);
    if (${options.readOnly}) execFileSync('mount', ['-o', 'remount,ro', dir]);
    const results = [];
    for (const argv of ${JSON.stringify(options.commands)}) {
      const before = hash();
      const r = run(argv);
      results.push({ argv, status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, unchanged: hash() === before, files: fs.readdirSync(dir) });
    }
    process.stdout.write(JSON.stringify({ results, copy: fs.existsSync(copy) ? copy : null }));
  `;
}

describe.skipIf(!canUnshare)('file systems that refuse writes (private mount namespaces)', () => {
  it('a read-only file system: a store that exists is refused without a change, a missing one is not created', async () => {
    for (const existing of [true, false]) {
      const dir = freshDir();
      const out = inMountNamespace(driver(dir, {
        sizeKb: 4096,
        readOnly: true,
        before: existing ? [['kms01', '/ipk', 'B7NVT-H6TFH-89TYG-7DV6B-782QF'], ['kms01', '/ato']] : [],
        commands: [['/ipk', WIN_ENTERPRISE, '--json'], ['kms01', '/ato', '--json'], ['/dli', '--json'], ['lab', 'machines', '--json']],
      }), cleanEnv());
      expect(out.ok, out.stderr).toBe(true);
      const { results } = JSON.parse(out.stdout) as { results: { argv: string[]; status: number; stdout: string; stderr: string; unchanged: boolean; files: string[] }[] };
      for (const r of results) {
        expectClearStoreError(r.status, r.stdout, r.stderr, join(dir, 'store.db'), 'unwritable', true);
        expect(r.unchanged).toBe(true);
        expect(r.files).toEqual(existing ? ['store.db'] : []);
      }
    }
    figures.readOnlyFs = 'ran';
  });

  it('a full file system: the command fails with a clear error and the store keeps its last committed state', async () => {
    const dir = freshDir();
    const out = inMountNamespace(driver(dir, {
      sizeKb: 160,
      readOnly: false,
      before: [['kms01', '/ipk', 'B7NVT-H6TFH-89TYG-7DV6B-782QF'], ['kms01', '/ato']],
      commands: [['lab', 'clients', '--count', '3000', '--key', SERVER_2019, '--json'], ['kms01', '/dlv', '--json']],
    }) + `
      ;const db = new (require(${JSON.stringify(join(ROOT, 'node_modules', 'better-sqlite3'))}))(store);
      console.error(JSON.stringify({ integrity: db.pragma('integrity_check', { simple: true }), machines: db.prepare('SELECT COUNT(*) AS n FROM machines').get().n }));
      db.close();
    `, cleanEnv());
    expect(out.ok, out.stderr).toBe(true);
    const { results } = JSON.parse(out.stdout.slice(0, out.stdout.lastIndexOf('}') + 1)) as { results: { status: number; stdout: string; stderr: string; unchanged: boolean }[] };
    const [bulk, read] = results as [(typeof results)[0], (typeof results)[0]];
    expectClearStoreError(bulk.status, bulk.stdout, bulk.stderr, join(dir, 'store.db'), 'unwritable', true);
    expect(bulk.stderr).toMatch(/full|space/i);
    // Nothing of the failed command is in the store; what was there before still reads.
    expect(read.status).toBe(0);
    expect(JSON.parse(read.stdout).result.products[0].licenseStatusName).toBe('Licensed');
    const state = JSON.parse(out.stderr.trim().split('\n').pop() as string) as { integrity: string; machines: number };
    expect(state).toEqual({ integrity: 'ok', machines: 2 });
    figures.fullFs = 'ran';
  });
});

describe('an empty file and a fresh store', () => {
  it('an existing empty file is adopted as a new store and keeps its mode; nothing else appears', async () => {
    const dir = freshDir();
    const file = join(dir, 'store.db');
    writeFileSync(file, '', { mode: 0o640 });
    chmodSync(file, 0o640);
    const r = await runCli(['/ipk', WIN_ENTERPRISE], { env: { SLMGR_STORE: file, SLMGR_NOW: NOW } });
    expect(r.status).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['store.db']);
    const db = openRaw(file);
    try {
      expect(storeViolations(db)).toEqual([]);
      // The partial key only: no full key is ever stored.
      expect(stateDigest(db)).toContain('2YT43');
      expect(stateDigest(db)).not.toContain('FWDCX');
    } finally {
      db.close();
    }
  });
});
