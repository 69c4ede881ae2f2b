// `lab clients` checks the key once and lets its activations share their lookups (SRV records, the
// host that answers, a count at the cap): it must end exactly where /ipk and /ato on each client do.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { slmgr, tempDir } from './helpers.js';

const WS2019_HOST = (JSON.parse(readFileSync(new URL('../../fixtures/lab/host-keys.json', import.meta.url), 'utf8')) as { id: string; key: string }[])
  .find((k) => k.id === 'ws2019')?.key as string;
const SERVER_2019 = 'N69G4-B89J2-4G8F4-WWYCC-J464C';
const SERVER_2022 = 'VDYBN-27WPP-V4HQT-9VMD4-VMK7H';
const NOW = '2026-11-25T12:00:00Z';

let batch: ReturnType<typeof tempDir>;
let oneByOne: ReturnType<typeof tempDir>;
beforeEach(() => {
  batch = tempDir();
  oneByOne = tempDir();
});
afterEach(() => {
  batch.cleanup();
  oneByOne.cleanup();
});

function json(store: string, ...args: string[]): Record<string, any> {
  const r = slmgr([...args, '--json'], { store, now: NOW });
  return JSON.parse(r.stdout) as Record<string, any>;
}

/** What a machine shows, with the random CMIDs and what derives from them (installation IDs) masked. */
function state(store: string, machine: string) {
  const shown = JSON.stringify({ events: json(store, 'lab', 'events', machine).result.events, products: json(store, machine, '/dlv').result.products });
  return JSON.parse(shown.replace(/"(cmid|clientMachineId|installationId)":"[^"]+"/g, '"$1":"…"')) as Record<string, any>;
}

it('lab clients ends with the counts, counters, licences and events of /ipk and /ato on each client', () => {
  for (const env of [batch, oneByOne]) {
    const run = (...args: string[]) => expect(slmgr(args, { store: env.store, now: NOW }).status).toBe(0);
    run('kms01', '/ipk', WS2019_HOST);
    run('kms01', '/ato');
    // 47 counted: the clients below take the count to the cap of 50 and past it.
    run('lab', 'clients', '--count', '47', '--key', SERVER_2019, '--prefix', 'seed');
  }
  const clients = [...['c001', 'c002', 'c003', 'c004', 'c005'].map((name) => [name, SERVER_2019]), ...['r001', 'r002'].map((name) => [name, SERVER_2022])];
  expect(slmgr(['lab', 'clients', '--count', '5', '--key', SERVER_2019, '--prefix', 'c'], { store: batch.store, now: NOW }).stdout).toContain('Activated: 5; failed: 0');
  // A product the host key does not cover: refused, not counted, and a failed request.
  expect(slmgr(['lab', 'clients', '--count', '2', '--key', SERVER_2022, '--prefix', 'r'], { store: batch.store, now: NOW }).stdout).toContain('Activated: 0; failed: 2');
  for (const [name, key] of clients as [string, string][]) {
    expect(slmgr([name, '/ipk', key], { store: oneByOne.store, now: NOW }).status).toBe(0);
    slmgr([name, '/ato'], { store: oneByOne.store, now: NOW });
  }

  const host = state(batch.store, 'kms01');
  expect(host.products[0].kmsHost.currentCount).toBe(50);
  expect(host.products[0].kmsHost.requests).toMatchObject({ total: 54, failed: 2 });
  expect(host).toEqual(state(oneByOne.store, 'kms01'));
  for (const [name] of clients as [string, string][]) expect(state(batch.store, name)).toEqual(state(oneByOne.store, name));
});
