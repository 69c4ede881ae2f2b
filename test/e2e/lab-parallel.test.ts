// Twelve processes activating clients against one lab KMS host at once: the host's count,
// counters and events must add up exactly.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { BIN, slmgr, tempDir } from './helpers.js';

const WS2019_LAB_KEY = (JSON.parse(readFileSync(new URL('../../fixtures/lab/host-keys.json', import.meta.url), 'utf8')) as { id: string; key: string }[])
  .find((k) => k.id === 'ws2019')?.key as string;
const SERVER_2019 = 'N69G4-B89J2-4G8F4-WWYCC-J464C';
const NOW = '2026-11-25T12:00:00Z';
const PROCESSES = 12;
const CLIENTS_EACH = 5;

let env: ReturnType<typeof tempDir>;
beforeEach(() => {
  env = tempDir();
});
afterEach(() => env.cleanup());

/** One worker: create and activate its clients in one command, then re-activate each by itself. */
function worker(prefix: string): Promise<number[]> {
  const script = `
    const { spawnSync } = require('node:child_process');
    const run = (args) => spawnSync(process.execPath, [${JSON.stringify(BIN)}, ...args], { encoding: 'utf8' }).status;
    const statuses = [run(['lab', 'clients', '--count', '${CLIENTS_EACH}', '--key', '${SERVER_2019}', '--prefix', '${prefix}'])];
    for (let i = 1; i <= ${CLIENTS_EACH}; i++) statuses.push(run(['${prefix}' + String(i).padStart(3, '0'), '/ato']));
    process.stdout.write(JSON.stringify(statuses));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, SLMGR_STORE: env.store, SLMGR_NOW: NOW, SLMGR_JSON: '' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(JSON.parse(out) as number[]));
  });
}

it(`${PROCESSES} processes activating clients against one host end with exact counts and counters`, async () => {
  expect(slmgr(['kms01', '/ipk', WS2019_LAB_KEY], { store: env.store, now: NOW }).status).toBe(0);
  expect(slmgr(['kms01', '/ato'], { store: env.store, now: NOW }).status).toBe(0);
  const results = await Promise.all(Array.from({ length: PROCESSES }, (_, i) => worker(`p${i}x`)));
  // Only the first four clients of the whole lab can see a count below 5 (0xC004F038 is exit 2).
  const statuses = results.flat();
  expect(statuses.filter((s) => s !== 0 && s !== 2)).toEqual([]);

  const requests = PROCESSES * CLIENTS_EACH * 2;
  const host = JSON.parse(slmgr(['kms01', '/dlv', '--json'], { store: env.store, now: NOW }).stdout).result.products[0].kmsHost;
  expect(host.currentCount).toBe(50);
  expect(host.requests.total).toBe(requests);
  expect(host.requests.failed).toBe(0);
  expect(host.requests.licensed + host.requests.initialGrace).toBe(requests);

  const db = new Database(env.store, { readonly: true });
  try {
    expect((db.prepare('SELECT COUNT(*) AS n FROM kms_clients').get() as { n: number }).n).toBe(PROCESSES * CLIENTS_EACH);
    expect((db.prepare("SELECT COUNT(*) AS n FROM events WHERE event_id = 12290").get() as { n: number }).n).toBe(requests);
    expect((db.prepare("SELECT COUNT(*) AS n FROM events WHERE event_id = 12289").get() as { n: number }).n).toBe(requests);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  } finally {
    db.close();
  }
}, 240_000);
