import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { MACHINE_DEFAULTS } from '../../src/store/repository.js';
import { helperPath, TS_CHILD_ARGS } from './helpers/child.js';
import { caught, makeTempDir, openStore } from './helpers/fixtures.js';
import { COUNTER_SKU } from './helpers/rows.js';

const WRITERS = 8;
const ITERATIONS = 25;

interface WriterResult {
  ok: boolean;
  name?: string;
  reason?: string;
  message?: string;
}

function startWriter(storePath: string, writer: number): { child: ChildProcess; ready: Promise<void>; done: Promise<WriterResult> } {
  const child = fork(helperPath('./writer.ts'), [storePath, String(writer), String(ITERATIONS)], {
    execArgv: TS_CHILD_ARGS,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let result: WriterResult = { ok: false, message: 'exited without a result' };
  const ready = new Promise<void>((resolve) => child.once('message', () => resolve()));
  const done = new Promise<WriterResult>((resolve, reject) => {
    child.on('message', (message) => {
      if (message !== 'ready') result = message as WriterResult;
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code === 0 ? result : { ...result, ok: false }));
  });
  return { child, ready, done };
}

/** Another process that holds the write lock for `ms` milliseconds; resolves once it has it. */
async function holdWriteLock(storePath: string, ms: number): Promise<ChildProcess> {
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const script = `
    const db = new (require(${JSON.stringify(sqlite)}))(${JSON.stringify(storePath)});
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked');
    setTimeout(() => { db.exec('ROLLBACK'); db.close(); }, ${ms});`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout, 'data');
  return child;
}

/** A store as a crash between its creation and the switch to WAL leaves it: in rollback mode. */
function rollbackModeStore(): string {
  const storePath = path.join(makeTempDir(), 'store.db');
  openStore(storePath).close();
  const raw = new Database(storePath);
  raw.pragma('journal_mode = DELETE');
  raw.close();
  return storePath;
}

const journalMode = (file: string): unknown => {
  const raw = new Database(file, { readonly: true });
  try {
    return raw.pragma('journal_mode', { simple: true });
  } finally {
    raw.close();
  }
};

describe('concurrent processes', () => {
  it('the switch to WAL waits for another writer instead of failing at once', async () => {
    const storePath = rollbackModeStore();
    const holder = await holdWriteLock(storePath, 300);
    const started = Date.now();
    openStore(storePath).close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(journalMode(storePath)).toBe('wal');
    await once(holder, 'exit');
  });

  it("the switch to WAL gives up with 'busy' after busyTimeoutMs", async () => {
    const storePath = rollbackModeStore();
    const holder = await holdWriteLock(storePath, 3000);
    const error = caught(() => openStore(storePath, { busyTimeoutMs: 100 }));
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ reason: 'busy', path: storePath });
    holder.kill();
    await once(holder, 'exit');
  });

  it(`${WRITERS} processes × ${ITERATIONS} commands on a store that does not exist yet lose nothing`, async () => {
    const storePath = path.join(makeTempDir(), 'jobs', 'store.db');
    const writers = Array.from({ length: WRITERS }, (_, i) => startWriter(storePath, i));
    await Promise.all(writers.map((w) => w.ready));
    writers.forEach((w) => w.child.send('go'));
    const results = await Promise.all(writers.map((w) => w.done));

    expect(results).toEqual(Array.from({ length: WRITERS }, () => ({ ok: true })));

    const total = WRITERS * ITERATIONS;
    const store = openStore(storePath);
    store.transaction((tx) => {
      const machines = tx.listMachines();
      expect(machines).toHaveLength(1);
      const local = tx.localMachine();
      expect(local.remainingWindowsRearmCount).toBe(MACHINE_DEFAULTS.remainingWindowsRearmCount + total);
      expect(tx.getProduct(local.id, COUNTER_SKU)?.remainingSkuRearmCount).toBe(total);

      const written = tx.listProducts(local.id).map((p) => p.skuId).filter((sku) => sku !== COUNTER_SKU);
      const expected = Array.from({ length: WRITERS }, (_, w) => Array.from({ length: ITERATIONS }, (_, i) => `writer-${w}-${i}`)).flat();
      expect(written.sort()).toEqual(expected.sort());

      const events = tx.listEvents(local.id).map((e) => `${String(e.data['writer'])}-${String(e.data['i'])}`);
      expect(events).toHaveLength(total);
      expect(new Set(events).size).toBe(total);
    });
    store.close();
  }, 60_000);
});
