import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/slmgr.js', import.meta.url));

export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  store?: string;
  env?: Record<string, string | undefined>;
  now?: string;
}

/** Spawns the built bin the way a user does; SLMGR_* and colour variables come only from `env`. */
export function slmgr(args: readonly string[], options: RunOptions = {}): CliRun {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('SLMGR_') || key === 'FORCE_COLOR' || key === 'NO_COLOR') delete env[key];
  env.TZ = 'UTC';
  if (options.store) env.SLMGR_STORE = options.store;
  if (options.now) env.SLMGR_NOW = options.now;
  Object.assign(env, options.env);
  const result = spawnSync(process.execPath, [BIN, ...args], { env: env as NodeJS.ProcessEnv, encoding: 'utf8' });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export function tempDir(): { dir: string; store: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'slmgr-e2e-'));
  return { dir, store: join(dir, 'store.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** slmgr's output is its lines plus the one empty line its final echo adds. */
export function slmgrOutput(...lines: string[]): string {
  return `${lines.join('\n')}\n\n`;
}
