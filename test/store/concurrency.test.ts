import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MACHINE_DEFAULTS } from '../../src/store/repository.js';
import { helperPath, TS_CHILD_ARGS } from './helpers/child.js';
import { makeTempDir, openStore } from './helpers/fixtures.js';
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

describe('concurrent processes', () => {
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
