// Shared by the reliability suite: paths, keys, spawning the built bin, temp dirs and the figures
// each test records for docs/reliability.md (scripts/reliability.mjs renders them).

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'slmgr.js');
/** The bundle the bin loads; worker processes call its `run()` to run commands without a node start each. */
export const BUNDLE = join(ROOT, 'dist', 'bundle', 'main.js');
export const HELPERS = fileURLToPath(new URL('./', import.meta.url));

export const NOW = '2026-11-25T12:00:00Z';
/** Windows Server 2019 Standard GVLK (threshold 5) and Windows Enterprise GVLK (threshold 25). */
export const SERVER_2019 = 'N69G4-B89J2-4G8F4-WWYCC-J464C';
export const WIN_ENTERPRISE = 'NPPR9-FWDCX-D2C8J-H872K-2YT43';

export interface LabHostKey {
  id: string;
  key: string;
}

export const LAB_HOST_KEYS: readonly LabHostKey[] = JSON.parse(readFileSync(join(ROOT, 'fixtures/lab/host-keys.json'), 'utf8')) as LabHostKey[];

export function labKey(id: string): string {
  const found = LAB_HOST_KEYS.find((k) => k.id === id);
  if (!found) throw new Error(`no lab host key ${id}`);
  return found.key;
}

/** Microsoft's public KMS client keys: the only keys slmgr may echo in full. */
export const PUBLIC_GVLKS: ReadonlySet<string> = new Set(
  (JSON.parse(readFileSync(join(ROOT, 'fixtures/reference/gvlk.json'), 'utf8')) as { rows: { gvlk: string }[] }).rows.map((r) => r.gvlk.toUpperCase()),
);

/** Exit codes of the default mode (docs/exit-codes.md), without 70: an internal error is a bug. */
export const DOCUMENTED_EXIT_CODES: ReadonlySet<number> = new Set([0, 1, 2, 3, 4, 5, 6, 74, 130]);

/** A line of a JavaScript stack trace ("    at fn (file.js:1:2)", "    at node:internal/x:1:2"). */
export const STACK_FRAME = /^\s+at (?:.+ \((?:file:|node:|\/|[A-Za-z]:\\|<anonymous>).*:\d+:\d+\)|(?:async )?(?:file:|node:|\/|[A-Za-z]:\\)\S*:\d+:\d+)$/m;

/** What Node or our CLI print when something escaped every handler. */
export const CRASH_TEXT = /internal error — this is a bug|UnhandledPromiseRejection|^(?:Type|Range|Reference|Syntax)Error\b|^Node\.js v\d+/m;

/** The environment a user's shell gives slmgr: no SLMGR_* or colour variables from the test runner. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('SLMGR_') || key === 'FORCE_COLOR' || key === 'NO_COLOR' || key === 'NODE_OPTIONS' || key.startsWith('VITEST')) delete env[key];
  }
  env.TZ = 'UTC';
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env as NodeJS.ProcessEnv;
}

export interface SpawnResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill -9 after this many ms (the result then has signal SIGKILL). */
  timeoutMs?: number;
  uid?: number;
  gid?: number;
}

/** Runs `command args` without a shell and collects its output. */
export function spawnCollect(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<SpawnResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? cleanEnv(),
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** The built bin, as a user runs it. */
export function slmgrSpawn(args: readonly string[], options: SpawnOptions & { store?: string; now?: string | null } = {}): Promise<SpawnResult> {
  const env = options.env ?? cleanEnv({ SLMGR_STORE: options.store, SLMGR_NOW: options.now === null ? undefined : options.now ?? NOW });
  return spawnCollect(process.execPath, [BIN, ...args], { ...options, env });
}

export interface TempDir {
  dir: string;
  path(...parts: string[]): string;
  cleanup(): void;
}

export function tempDir(prefix = 'slmgr-rel-'): TempDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, path: (...parts) => join(dir, ...parts), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `fn` over `items` with at most `limit` at a time; results in input order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T, i);
  });
  await Promise.all(lanes);
  return results;
}

/**
 * Records one group of figures: printed for the log, and written as JSON where
 * scripts/reliability.mjs collects them for docs/reliability.md (SLMGR_RELIABILITY_FIGURES).
 */
export function recordFigures(group: string, figures: Record<string, unknown>): void {
  console.log(`[reliability] ${group}: ${JSON.stringify(figures)}`);
  const dir = process.env.SLMGR_RELIABILITY_FIGURES;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${group}.json`), `${JSON.stringify({ group, at: new Date().toISOString(), ...figures }, null, 2)}\n`);
}

/** A seed for the random parts of a test: SLMGR_RELIABILITY_SEED reproduces a run. */
export function suiteSeed(): number {
  const fixed = process.env.SLMGR_RELIABILITY_SEED;
  return fixed ? Number(fixed) : Math.floor(Math.random() * 2 ** 31);
}

/** mulberry32: a small seeded PRNG for timing and choices outside fast-check. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
