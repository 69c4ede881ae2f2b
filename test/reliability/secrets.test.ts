// 6. Secrets: full product keys (anything but Microsoft's public GVLKs) never appear in stdout,
// stderr, JSON, events, the store or any other file; the store is created 0600 in directories that
// are not world-writable (whatever the umask); nothing is written outside the store's location and
// the paths given. The end-to-end suite is rerun with its output captured, and every byte of it is
// scanned for every key it used.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVector, startReplayHost } from '../helpers/kms-replay.js';
import { BIN, cleanEnv, HELPERS, LAB_HOST_KEYS, NOW, PUBLIC_GVLKS, recordFigures, ROOT, SERVER_2019, slmgrSpawn, spawnCollect, tempDir, WIN_ENTERPRISE, type TempDir } from './helpers/common.js';
import { runCli } from './helpers/inproc.js';

const KEY_PATTERN = /\b[0-9A-Za-z]{5}(?:-[0-9A-Za-z]{5}){4}\b/g;
const E2E_TIMEOUT_MS = 400_000;

let tmp: TempDir;
beforeAll(() => {
  tmp = tempDir('slmgr-secrets-');
});
afterAll(() => tmp.cleanup());

/** A key that must never be shown in full: not a public GVLK, and not a mask like XXXXX-…-782QF. */
const isSecret = (key: string) => !PUBLIC_GVLKS.has(key.toUpperCase()) && !key.toUpperCase().startsWith('XXXXX-');

/** Where `text` shows `key` in full: with or without dashes, in any case. */
function leaks(text: string, keys: Iterable<string>): string[] {
  const upper = text.toUpperCase();
  const squashed = upper.replace(/[^0-9A-Z]/g, '');
  const found: string[] = [];
  for (const key of keys) {
    const k = key.toUpperCase();
    if (upper.includes(k) || squashed.includes(k.replace(/-/g, ''))) found.push(key);
  }
  return found;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).map((f) => join(dir, f)).filter((f) => statSync(f).isFile());
}

/** A test file's source with the local modules it imports (test/e2e and test/helpers), recursively. */
function sourceWithImports(file: string, seen = new Set<string>()): string {
  if (seen.has(file) || !existsSync(file)) return '';
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  let all = text;
  for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) all += sourceWithImports(join(file, '..', `${m[1]}.ts`), seen);
  return all;
}

const E2E_DIR = join(ROOT, 'test', 'e2e');
const e2eFiles = readdirSync(E2E_DIR).filter((f) => f.endsWith('.test.ts')).sort();
const sourceKeys = (text: string) => [...text.matchAll(KEY_PATTERN)].map((m) => m[0].toUpperCase());

describe('secrets in output', () => {
  it('the product itself holds no key but the public GVLKs (so only a key a command is given can ever be shown)', () => {
    const secrets = [...new Set([...LAB_HOST_KEYS.map((k) => k.key), ...e2eFiles.flatMap((f) => sourceKeys(sourceWithImports(join(E2E_DIR, f))))])].filter(isSecret);
    const shipped = [...filesUnder(join(ROOT, 'src')), ...filesUnder(join(ROOT, 'dist')), BIN];
    const found = shipped.flatMap((f) => leaks(readFileSync(f, 'latin1'), secrets).map((k) => `${relative(ROOT, f)}: ${k}`));
    expect(found).toEqual([]);
  });

  it('the end-to-end suite, rerun with its output captured, never shows a key that is not a public GVLK', async () => {
    // The files that give slmgr a key other than a public GVLK (the lab keys, typos, invented keys);
    // the others cannot make it show one, since the product holds none (see the test above).
    const rerun = e2eFiles.filter((f) => {
      const text = sourceWithImports(join(E2E_DIR, f));
      return /host-keys|labKey|LAB_KEY/.test(text) || sourceKeys(text).some(isSecret);
    });
    const capture = tmp.path('capture');
    mkdirSync(capture);
    const started = performance.now();
    // Three files at a time: their time goes into the processes they spawn, not into vitest's workers.
    const e2e = await spawnCollect(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...rerun.map((f) => `test/e2e/${f}`), '--config', 'vitest.config.ts', '--reporter', 'dot', '--maxWorkers', '3'], {
      cwd: ROOT,
      env: cleanEnv({
        NODE_OPTIONS: `--import=${pathToFileURL(join(HELPERS, 'capture.mjs')).href}`,
        RELIABILITY_CAPTURE_DIR: capture,
        CI: '1',
      }),
      timeoutMs: E2E_TIMEOUT_MS,
    });
    const e2eSeconds = (performance.now() - started) / 1000;
    expect(e2e.status, `the end-to-end files failed:\n${(e2e.stdout + e2e.stderr).slice(-4000)}`).toBe(0);

    const files = filesUnder(capture);
    const argvFiles = files.filter((f) => f.endsWith('.argv.json'));
    const outputs = files.filter((f) => f.endsWith('.stdout') || f.endsWith('.stderr'));
    // Every key the suite used: on its command lines, in its sources, and the lab keys it reads from the fixture.
    const used = new Set<string>();
    for (const f of argvFiles) for (const k of sourceKeys(readFileSync(f, 'utf8'))) used.add(k);
    for (const f of e2eFiles) for (const k of sourceKeys(sourceWithImports(join(E2E_DIR, f)))) used.add(k);
    for (const k of LAB_HOST_KEYS) used.add(k.key.toUpperCase());
    const secrets = [...used].filter(isSecret);
    const gvlks = [...used].filter((k) => PUBLIC_GVLKS.has(k));

    const found: string[] = [];
    let bytes = 0;
    for (const f of outputs) {
      const text = readFileSync(f, 'utf8');
      bytes += text.length;
      for (const key of leaks(text, secrets)) found.push(`${relative(capture, f)}: ${key} (command: ${readFileSync(f.replace(/\.(stdout|stderr)$/, '.argv.json'), 'utf8').slice(0, 300)})`);
    }
    const secretOnCommandLine = argvFiles.filter((f) => leaks(readFileSync(f, 'utf8'), secrets).length > 0).length;
    recordFigures('secrets-e2e', {
      e2eFilesRerun: rerun.length,
      e2eFilesWithPublicGvlksOnly: e2eFiles.length - rerun.length,
      processesCaptured: argvFiles.length,
      processesGivenASecretKey: secretOnCommandLine,
      outputFiles: outputs.length,
      bytesScanned: bytes,
      keysUsed: used.size,
      secretKeysChecked: secrets.length,
      publicGvlksUsed: gvlks.length,
      leaks: found.length,
      e2eSeconds: Number(e2eSeconds.toFixed(1)),
    });
    expect(found).toEqual([]);
    // The capture really saw the suite: hundreds of processes, many of them given a secret key.
    expect(argvFiles.length).toBeGreaterThan(200);
    expect(secretOnCommandLine).toBeGreaterThan(20);
    expect(secrets.length).toBeGreaterThanOrEqual(LAB_HOST_KEYS.length);
  }, E2E_TIMEOUT_MS + 30_000);

  it('every lab host key, through every command that shows, stores or logs a key, is shown by its last five characters only', async () => {
    const store = tmp.path('keys', 'store.db');
    const env = { SLMGR_STORE: store, SLMGR_NOW: NOW };
    const outputs: string[] = [];
    const run = async (argv: string[]) => {
      const r = await runCli(argv, { env });
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    const secrets = LAB_HOST_KEYS.map((k) => k.key);
    for (const [i, { key }] of LAB_HOST_KEYS.entries()) {
      const host = `kms${String(i + 1).padStart(2, '0')}`;
      for (const [typed, json] of [[key, false], [key, true], [key.toLowerCase(), false], [` ${key.replace(/-/g, '')} `, true]] as const) {
        expect((await run(json ? [host, '/ipk', typed, '--json'] : [host, '/ipk', typed])).status).toBe(0);
      }
      // A key with a typo is refused without being echoed either.
      const typo = `${key.slice(0, -1)}${key.endsWith('B') ? 'C' : 'B'}`;
      secrets.push(typo);
      await run([host, '/ipk', typo]);
      await run([host, '/ipk', typo, '--json']);
      await run(['--json', host, '/ato']);
      for (const argv of [[host, '/dli'], [host, '/dlv'], [host, '/dlv', 'All', '--json'], [host, '/xpr'], ['lab', 'events', host, '--json'], ['lab', 'events', host]]) await run(argv);
      // And through the real process once per key.
      const r = await slmgrSpawn([host, '/dlv', '--json'], { store });
      outputs.push(r.stdout, r.stderr);
    }
    await run(['lab', 'clients', '--count', '30', '--key', SERVER_2019]);
    for (const argv of [['lab', 'machines'], ['lab', 'machines', '--json'], ['client001', '/dlv'], ['lab', 'events', 'client001', '--json'], ['lab', 'dns', 'list', 'lab.test']]) await run(argv);

    expect(leaks(outputs.join('\n'), secrets)).toEqual([]);
    // The store and its event log: digests and partial keys, never a key.
    const raw = readFileSync(store);
    expect(leaks(raw.toString('latin1'), secrets)).toEqual([]);
    expect(leaks(raw.toString('utf16le'), secrets)).toEqual([]);
    const db = new Database(store, { readonly: true });
    try {
      const everything = db.prepare("SELECT group_concat(data, ' ') AS t FROM events").get() as { t: string };
      expect(leaks(everything.t, secrets)).toEqual([]);
      const partials = (db.prepare('SELECT partial_key FROM products WHERE host_key_type IS NOT NULL').all() as { partial_key: string }[]).map((p) => p.partial_key).sort();
      expect(partials).toEqual(LAB_HOST_KEYS.map((k) => k.key.slice(-5)).sort());
    } finally {
      db.close();
    }
    recordFigures('secrets-lab-keys', { keys: LAB_HOST_KEYS.length, typoKeys: LAB_HOST_KEYS.length, commands: outputs.length / 2, bytesScanned: outputs.join('').length + raw.length });
  });
});

/** Every file and directory under `dir`, with its size and mode. */
function tree(dir: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const name of readdirSync(dir, { recursive: true }).map(String)) {
    const st = statSync(join(dir, name), { throwIfNoEntry: false });
    if (st) entries.set(name, `${st.isDirectory() ? 'dir' : st.size} ${(st.mode & 0o777).toString(8)}`);
  }
  return entries;
}

const hasStrace = spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;

/** The paths a process tree opened for writing, created, renamed or removed (from strace). */
function writtenPaths(traceFile: string): string[] {
  const paths = new Set<string>();
  for (const line of readFileSync(traceFile, 'utf8').split('\n')) {
    const m = /\b(open|openat|creat|mkdir|mkdirat|rename|renameat2?|unlink|unlinkat|rmdir|symlink|symlinkat|link|linkat|truncate|chmod|fchmodat)\((.*)/.exec(line);
    if (!m) continue;
    const [, call, rest] = m as unknown as [string, string, string];
    if ((call === 'open' || call === 'openat') && !/O_WRONLY|O_RDWR|O_CREAT|O_TRUNC/.test(rest)) continue;
    if (/= -1 /.test(rest)) continue;
    for (const p of rest.matchAll(/"((?:[^"\\]|\\.)*)"/g)) paths.add(p[1] as string);
  }
  return [...paths];
}

describe('files slmgr writes', () => {
  it('under umask 000: the store is 0600, the directories it creates 0700, an existing file keeps its mode', async () => {
    const home = tmp.path('umask', 'home');
    mkdirSync(home, { recursive: true });
    const withUmask = (argv: string[], env: Record<string, string | undefined>) =>
      spawnCollect('/bin/sh', ['-c', 'umask 000 && exec "$@"', 'sh', process.execPath, BIN, ...argv], { env: cleanEnv({ HOME: home, XDG_STATE_HOME: undefined, SLMGR_NOW: NOW, ...env }) });

    // The default location: ~/.local/state/slmgr/store.db.
    expect((await withUmask(['/ipk', WIN_ENTERPRISE], {})).status).toBe(0);
    const state = join(home, '.local', 'state', 'slmgr');
    expect(statSync(join(state, 'store.db')).mode & 0o777).toBe(0o600);
    for (const d of [join(home, '.local'), join(home, '.local', 'state'), state]) expect(statSync(d).mode & 0o777).toBe(0o700);

    // XDG_STATE_HOME, and a --store path in directories that do not exist yet.
    const xdg = tmp.path('umask', 'xdg');
    expect((await withUmask(['/ipk', WIN_ENTERPRISE], { XDG_STATE_HOME: xdg })).status).toBe(0);
    expect(statSync(join(xdg, 'slmgr', 'store.db')).mode & 0o777).toBe(0o600);
    const deep = tmp.path('umask', 'a', 'b', 'c', 'store.db');
    expect((await withUmask(['lab', 'clients', '--count', '3', '--key', SERVER_2019, '--store', deep], {})).status).toBe(0);
    expect(statSync(deep).mode & 0o777).toBe(0o600);
    for (const d of ['a', 'a/b', 'a/b/c']) expect(statSync(tmp.path('umask', d)).mode & 0o777).toBe(0o700);

    // Nothing world-writable anywhere slmgr created something.
    for (const root of [home, xdg, tmp.path('umask', 'a')]) {
      for (const [name, info] of tree(root)) expect(`${name} ${info}`).not.toMatch(/[2367]$/);
    }

    // SQLite's side files take the store's mode (checked while another connection holds them open).
    const db = new Database(deep);
    try {
      db.exec('BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS scratch (x); ROLLBACK');
      for (const side of ['-wal', '-shm']) if (existsSync(deep + side)) expect(statSync(deep + side).mode & 0o777).toBe(0o600);
    } finally {
      db.close();
    }

    // A store someone created with another mode keeps it (slmgr never chmods a file it did not create).
    const shared = tmp.path('umask', 'shared.db');
    writeFileSync(shared, '');
    chmodSync(shared, 0o640);
    expect((await withUmask(['/ipk', WIN_ENTERPRISE, '--store', shared], {})).status).toBe(0);
    expect(statSync(shared).mode & 0o777).toBe(0o640);
    recordFigures('file-modes', { umask: '000', storeMode: '0600', createdDirectoryMode: '0700', existingFileModeKept: true });
  });

  it('nothing is written outside the store location and the paths given', async () => {
    const root = tmp.path('outside');
    const home = join(root, 'home');
    const cwd = join(root, 'cwd');
    const tmpdir = join(root, 'tmp');
    const storeDir = join(root, 'stores');
    for (const d of [home, cwd, tmpdir, storeDir]) mkdirSync(d, { recursive: true });
    const store = join(storeDir, 'store.db');
    const replay = await startReplayHost(loadVector('v6-win-enterprise'), { strict: false });
    const commands: Array<[string[], Record<string, string | undefined>]> = [
      [['/ipk', WIN_ENTERPRISE, '--store', store], {}],
      [['kms01', '/ipk', LAB_HOST_KEYS[2]!.key, '--store', store], {}],
      [['kms01', '/ato', '--store', store], {}],
      [['lab', 'clients', '--count', '10', '--key', SERVER_2019, '--store', store], {}],
      [['/dlv', 'All', '--json', '--store', store], {}],
      [['lab', 'events', 'client001', '--store', store], {}],
      [['lab', 'advance', '7d', '--store', store], {}],
      [['/skms', `127.0.0.1:${replay.port}`, '--store', store], {}],
      [['/ato', '--backend', 'kms', '--timeout', '2s', '--store', store], {}],
      [['/dli', '--store', join(storeDir, 'missing-dir', 'other.db')], {}],
      [['--help'], {}],
      [['--version'], {}],
      [['/nonsense'], {}],
      [['/dli'], { SLMGR_STORE: store }],
    ];
    const before = tree(root);
    const traced: string[] = [];
    try {
      for (const [argv, extra] of commands) {
        const env = cleanEnv({ HOME: home, TMPDIR: tmpdir, XDG_STATE_HOME: undefined, XDG_CONFIG_HOME: undefined, XDG_CACHE_HOME: undefined, SLMGR_NOW: NOW, ...extra });
        if (hasStrace) {
          const log = join(tmp.dir, `trace-${traced.length}.log`);
          const r = await spawnCollect('strace', ['-f', '-qq', '-o', log, '-e', 'trace=open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,rmdir,symlink,symlinkat,link,linkat,truncate,chmod,fchmodat', process.execPath, BIN, ...argv], { env, cwd });
          expect(r.status, `${argv.join(' ')}: ${r.stdout}${r.stderr}`).not.toBeNull();
          traced.push(...writtenPaths(log));
        } else {
          await slmgrSpawn(argv, { env, cwd });
        }
      }
    } finally {
      await replay.close();
    }
    const after = tree(root);
    const added = [...after.keys()].filter((name) => !before.has(name));
    // The stores and the directory created for the second one; nothing in HOME, the cwd or TMPDIR.
    expect(added.sort()).toEqual(['stores/missing-dir', 'stores/missing-dir/other.db', 'stores/store.db']);

    const outside = traced.filter((p) => !p.startsWith(`${storeDir}/`) && !/^\/dev\//.test(p));
    expect(outside).toEqual([]);
    recordFigures('written-paths', { commands: commands.length, traced: hasStrace, writeSyscallPaths: traced.length, outside: outside.length });
  });
});
