import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { Store, type StoreOptions } from '../../../src/store/store.js';

/** A fresh directory under the OS temp dir, removed when the current test finishes. */
export function makeTempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slmgr-store-'));
  onTestFinished(() => {
    // Tests chmod files and directories; give them back so removal works for non-root users too.
    for (const entry of [dir, ...fs.readdirSync(dir).map((name) => path.join(dir, name))]) {
      fs.chmodSync(entry, 0o700);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Opens a store with a deterministic clock and UUIDs unless overridden. */
export function openStore(storePath: string, overrides: Partial<StoreOptions> = {}): Store {
  let uuid = 0;
  return Store.open({
    path: storePath,
    now: () => 1_700_000_000_000,
    randomUUID: () => `00000000-0000-4000-8000-${String(++uuid).padStart(12, '0')}`,
    hostname: 'build-01',
    ...overrides,
  });
}

export function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The SQLite side files next to `file` that exist. */
export function sideFiles(file: string): string[] {
  return ['-wal', '-shm', '-journal'].map((suffix) => file + suffix).filter((f) => fs.existsSync(f));
}

export const isRoot = process.getuid?.() === 0;
export const isWindows = process.platform === 'win32';

/** The error `fn` throws (fails the test when it returns). */
export function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}
