// A throw-away lab store driven through the CLI's entry point in-process, with what the licence
// file tests compare: every row of the store, and the store file's digest.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { runCaptured } from './run-captured.js';

export const NOW = '2026-11-25T12:00:00Z';
export const FIXTURES = fileURLToPath(new URL('../../fixtures/licenses/', import.meta.url));
export const PKEYCONFIG = join(FIXTURES, 'system/pkeyconfig/pkeyconfig-lab.xrm-ms');
export const SKU_MAK = join(FIXTURES, 'system/skus/LabProfessional/LabProfessional-MAK.xrm-ms');
export const SKU_RETAIL = join(FIXTURES, 'system/skus/LabProfessional/LabProfessional-Retail.xrm-ms');
export const KEYS = Object.fromEntries(
  (JSON.parse(readFileSync(join(FIXTURES, 'lab-keys.json'), 'utf8')) as { id: string; key: string }[]).map((k) => [k.id, k.key]),
) as Record<string, string>;
export const MAK_SKU = '23fff771-c4cf-431f-a277-598317bd8d75';
export const INVALID_LICENSE = "Error: 0xC004F01F On a computer running Microsoft Windows non-core edition, run 'slui.exe 0x2a 0xC004F01F' to display the error text.";
export const CANNOT_OPEN = 'Error: 0x800A0BBA File could not be opened. (ADODB.Stream)';

const cleanups: Array<() => void> = [];
/** Removes the labs' temporary directories (call it in afterEach). */
export function cleanupLabs(): void {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
}

export interface Lab {
  dir: string;
  store: string;
  slmgr(...argv: string[]): Promise<{ status: number; stdout: string; stderr: string }>;
  json(...argv: string[]): Promise<{ status: number; doc: Record<string, any>; stderr: string }>;
  /** Every row of every table: what "the store is unchanged" compares. */
  dump(): string;
  /** SHA-256 of the store file (no command holds it open, so its WAL is checkpointed away). */
  sha(): string;
  file(name: string, content: string | Uint8Array): string;
}

export function lab(): Lab {
  const dir = mkdtempSync(join(tmpdir(), 'slmgr-ilc-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = join(dir, 'store.db');
  const slmgr = (...argv: string[]) => runCaptured({ argv, hostname: 'ws-0042', homedir: dir, env: { SLMGR_STORE: store, SLMGR_NOW: NOW } });
  return {
    dir,
    store,
    slmgr,
    async json(...argv) {
      const r = await slmgr(...argv, '--json');
      return { status: r.status, doc: JSON.parse(r.stdout) as Record<string, any>, stderr: r.stderr };
    },
    dump() {
      const db = new Database(store, { fileMustExist: true });
      try {
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
        return JSON.stringify(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}"`).all().map((row) => JSON.stringify(row)).sort()]));
      } finally {
        db.close();
      }
    },
    sha() {
      return createHash('sha256').update(readFileSync(store)).digest('hex');
    },
    file(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
  };
}

/** slmgr's buffered lines plus the empty line its final echo adds. */
export const out = (...lines: string[]) => `${lines.join('\n')}\n\n`;

