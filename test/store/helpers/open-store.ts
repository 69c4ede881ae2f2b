// Child process: opens the store at argv[2] and prints the outcome as JSON. The permission tests
// run it as an unprivileged user when the suite itself runs as root, which can read anything.
import { randomUUID } from 'node:crypto';
import { Store } from '../../../src/store/store.js';

try {
  Store.open({ path: process.argv[2] ?? '', now: Date.now, randomUUID, hostname: 'child' }).close();
  console.log(JSON.stringify({ ok: true }));
} catch (error) {
  const { name, message } = error as Error;
  console.log(JSON.stringify({ name, message, reason: (error as { reason?: string }).reason }));
}
