// Child process for the concurrency test: one CI job running slmgr commands back to back.
// Each iteration is a whole command (open, one transaction, close) so opens race too.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Store } from '../../../src/store/store.js';
import { COUNTER_SKU, fullProduct } from './rows.js';

const [storePath = '', writerArg = '', iterationsArg = ''] = process.argv.slice(2);
const writer = Number(writerArg);
const iterations = Number(iterationsArg);

function run(): void {
  for (let i = 0; i < iterations; i++) {
    const store = Store.open({ path: storePath, now: Date.now, randomUUID, hostname: os.hostname() });
    try {
      store.transaction((tx) => {
        const local = tx.localMachine();
        // Read-modify-write on shared rows: a lost update would show in the final counts.
        const counter = tx.getProduct(local.id, COUNTER_SKU);
        if (counter) {
          tx.updateProduct(local.id, COUNTER_SKU, { remainingSkuRearmCount: counter.remainingSkuRearmCount + 1 });
        } else {
          tx.putProduct(fullProduct(local.id, COUNTER_SKU, { remainingSkuRearmCount: 1 }));
        }
        tx.updateMachine(local.id, { remainingWindowsRearmCount: local.remainingWindowsRearmCount + 1 });
        tx.putProduct(fullProduct(local.id, `writer-${writer}-${i}`));
        tx.addEvent(local.id, 12288, { writer, i }, Date.now());
      });
    } finally {
      store.close();
    }
  }
}

// Wait for the parent's signal so that all writers hit the (missing) store at the same moment.
process.once('message', () => {
  try {
    run();
    process.send?.({ ok: true }, () => process.exit(0));
  } catch (error) {
    const { name, message, stack, cause } = error as Error & { reason?: string };
    const detail = { name, message, reason: (error as { reason?: string }).reason, stack, cause: String(cause) };
    process.send?.({ ok: false, ...detail }, () => process.exit(1));
  }
});
process.send?.('ready');
