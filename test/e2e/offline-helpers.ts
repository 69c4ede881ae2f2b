// Shared by the telephone and AD-based activation end-to-end tests: the CLI's run() in this process
// against a throw-away store with a fixed clock, a snapshot of every table to prove that a refused
// command changed nothing, and the lab host keys.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runCaptured } from '../helpers/run-captured.js';

export const HOSTNAME = 'adminpc';
export const START = '2026-11-25T12:00:00Z';

export interface Outcome {
  status: number;
  stdout: string;
  stderr: string;
}

export interface JsonOutcome extends Outcome {
  doc: {
    command: string | null;
    machine: string | null;
    ok: boolean;
    exitCode: number;
    result: Record<string, unknown> | null;
    error: Record<string, unknown> | null;
  };
}

const LAB_KEYS = JSON.parse(readFileSync(new URL('../../fixtures/lab/host-keys.json', import.meta.url), 'utf8')) as { id: string; key: string }[];

/** A lab host key from fixtures/lab/host-keys.json (lab-only key groups). */
export function labKey(id: string): string {
  const entry = LAB_KEYS.find((k) => k.id === id);
  if (!entry) throw new Error(`no lab key ${id}`);
  return entry.key;
}

export class OfflineLab {
  readonly dir = mkdtempSync(join(tmpdir(), 'slmgr-offline-'));
  readonly store = join(this.dir, 'store.db');
  now = START;

  run(argv: readonly string[], extraEnv: Record<string, string> = {}): Promise<Outcome> {
    return runCaptured({ argv, env: { SLMGR_STORE: this.store, SLMGR_NOW: this.now, ...extraEnv }, hostname: HOSTNAME, homedir: this.dir, dnsSuffix: null });
  }

  async json(argv: readonly string[]): Promise<JsonOutcome> {
    const r = await this.run([...argv, '--json']);
    return { ...r, doc: JSON.parse(r.stdout) as JsonOutcome['doc'] };
  }

  /** Runs a command that must succeed; returns its stdout. */
  async ok(argv: readonly string[]): Promise<string> {
    const r = await this.run(argv);
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /** Every row of every table, in a stable order: equal snapshots mean nothing was written. */
  snapshot(): string {
    const db = new Database(this.store, { readonly: true, fileMustExist: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as { name: string }[];
      return JSON.stringify(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}"`).all().map((row) => JSON.stringify(row)).sort()]));
    } finally {
      db.close();
    }
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** slmgr's output: its lines plus the one empty line its final echo adds. */
export function output(...lines: string[]): string {
  return `${lines.join('\n')}\n\n`;
}

/** The Installation ID line's value. */
export function installationIdOf(stdout: string): string {
  const match = /^Installation ID: (\d{63})$/m.exec(stdout);
  if (!match) throw new Error(`no Installation ID in ${stdout}`);
  return match[1] as string;
}
