// A process for the crash test to kill -9. It loads everything, runs the command once on a warm-up
// copy of the same store (so the code the command loads lazily is loaded), and says "R". On any
// byte on stdin it runs the command for real and says "D <exit code> <ms> <largest WAL seen>".
//
//   crash-child.mjs cli <bundle> <store> <warm-up store> <kill plan> <now> <argv as JSON>
//   crash-child.mjs migrate <dist dir> <store> <warm-up store> <kill plan>
//
// The kill comes from a watchdog thread of this process, so it lands at a precise point of the
// command even while the main thread is inside a synchronous SQLite transaction:
//   time:<ms>      SIGKILL this long after the command starts;
//   wal:<bytes>    SIGKILL as soon as the store's write-ahead log has grown to this size, i.e.
//                  while a commit is being written or before the checkpoint has finished;
//   observe        no kill; report the largest WAL size seen (for choosing wal: thresholds).

import { hostname } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

const [mode, modulePath, store, warmStore, plan, ...rest] = process.argv.slice(2);
let task;

if (mode === 'cli') {
  const { run } = await import(modulePath);
  const [now, argvJson] = rest;
  const argv = JSON.parse(argvJson);
  const sink = { write: () => true };
  // Diagnostics go to stderr, which the crash test shows when a command fails unexpectedly.
  const stderr = { write: (s) => process.stderr.write(s) };
  task = (path) => run({ argv, env: { SLMGR_STORE: path, SLMGR_NOW: now, TZ: 'UTC' }, platform: process.platform, stdout: sink, stderr, hostname: hostname(), homedir: '/nonexistent', dnsSuffix: null });
} else if (mode === 'migrate') {
  const { Store } = await import(join(modulePath, 'store', 'store.js'));
  const { MIGRATIONS } = await import(join(modulePath, 'store', 'schema.js'));
  const { NEXT_MIGRATION } = await import('./slow-migration.mjs');
  const { randomUUID } = await import('node:crypto');
  task = async (path) => {
    Store.open({ path, now: Date.now, randomUUID, hostname: 'crash-child', migrations: [...MIGRATIONS, NEXT_MIGRATION] }).close();
    return 0;
  };
} else {
  throw new Error(`unknown mode ${mode}`);
}

// cells: [0] go, [1] never set (a place to sleep on), [2] largest WAL size seen
const cells = new Int32Array(new SharedArrayBuffer(12));
const watchdog = new Worker(
  `
  const { statSync } = require('node:fs');
  const { workerData: { cells, plan, wal } } = require('node:worker_threads');
  const [kind, value] = plan.split(':');
  Atomics.wait(cells, 0, 0);
  if (kind === 'time') {
    Atomics.wait(cells, 1, 0, Number(value));
    process.kill(process.pid, 'SIGKILL');
  } else {
    const limit = kind === 'wal' ? Number(value) : Infinity;
    const started = Date.now();
    while (Date.now() - started < 20000) {
      let size = 0;
      try { size = statSync(wal).size; } catch {}
      if (size > Atomics.load(cells, 2)) Atomics.store(cells, 2, size);
      if (size >= limit) process.kill(process.pid, 'SIGKILL');
      Atomics.wait(cells, 1, 0, 0.02);
    }
  }
  `,
  { eval: true, workerData: { cells, plan, wal: `${store}-wal` } },
);
watchdog.unref();

await task(warmStore);

process.stdin.once('data', async () => {
  const started = performance.now();
  Atomics.store(cells, 0, 1);
  Atomics.notify(cells, 0);
  const code = await task(store);
  const ms = performance.now() - started;
  process.stdout.write(`D ${code} ${ms.toFixed(2)} ${Atomics.load(cells, 2)}\n`, () => process.exit(0));
});
process.stdout.write('R\n');
