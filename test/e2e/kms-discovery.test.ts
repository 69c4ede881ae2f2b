// `/ato --backend kms` finding its host through DNS: a real DNS server (dnsmasq on loopback)
// publishes `_vlmcs._tcp` SRV records, one of them for a dead host; a loopback double replays the
// recorded KMS host. Also what happens when DNS itself fails.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CliEnvironment, KmsInputs } from '../../src/cli/main.js';
import { closedPort, runCaptured } from '../helpers/run-captured.js';
import { Store } from '../../src/store/store.js';
import { startDnsmasq, startSilentUdpServer, type Dnsmasq, type SilentUdpServer } from '../helpers/dnsmasq.js';
import { loadVector, recordedInputs, startReplayHost, type ReplayHost } from '../helpers/kms-replay.js';

const DOMAIN = 'corp.example.test';
const vector = loadVector('v6-win-enterprise');
const recorded = recordedInputs(vector);
const inputs: KmsInputs = { now: () => recorded.requestTime, randomBytes: recorded.randomBytes, workstationName: recorded.workstationName };

let replay: ReplayHost;
let deadPort: number;
let zone: Dnsmasq;
let validating: Dnsmasq;
let silent: SilentUdpServer;

beforeAll(async () => {
  // Byte-exact requests are kms-backend.test.ts's subject; here a second /ato carries the new licence
  // state, and the recorded answer still verifies because CMID, time and IV are the recorded ones.
  replay = await startReplayHost(vector, { strict: false });
  deadPort = await closedPort();
  zone = await startDnsmasq({
    localDomains: [DOMAIN, 'empty.example.test'],
    srv: [
      // The lower priority is tried first: a decommissioned host whose record was never removed.
      { name: `_vlmcs._tcp.${DOMAIN}`, target: '127.0.0.1', port: deadPort, priority: 0, weight: 0 },
      { name: `_vlmcs._tcp.${DOMAIN}`, target: '127.0.0.1', port: replay.port, priority: 10, weight: 0 },
    ],
    // The name exists (it has an address), but has no SRV record: NOERROR with no data.
    hosts: [{ name: '_vlmcs._tcp.empty.example.test', address: '127.0.0.1' }],
  });
  validating = await startDnsmasq({ servers: [`127.0.0.1#${zone.port}`], dnssecServfail: true });
  silent = await startSilentUdpServer();
});

afterAll(async () => {
  await Promise.all([replay?.close(), zone?.stop(), validating?.stop(), silent?.close()]);
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function client() {
  const dir = mkdtempSync(join(tmpdir(), 'slmgr-kms-dns-'));
  dirs.push(dir);
  const store = join(dir, 'store.db');
  const slmgr = (argv: string[], extra: Partial<CliEnvironment> = {}) =>
    runCaptured({
      argv,
      env: { SLMGR_STORE: store, SLMGR_NOW: recorded.requestTime.toISOString() },
      hostname: 'ws-0042',
      homedir: dir,
      kmsInputs: inputs,
      ...extra,
    });
  return {
    slmgr,
    async install() {
      expect((await slmgr(['/ipk', 'NPPR9-FWDCX-D2C8J-H872K-2YT43'])).status).toBe(0);
      const s = Store.open({ path: store, now: () => recorded.requestTime.getTime(), randomUUID: () => recorded.clientMachineId, hostname: 'ws-0042' });
      try {
        s.transaction((tx) => tx.updateMachine(tx.localMachine().id, { cmid: recorded.clientMachineId }));
      } finally {
        s.close();
      }
    },
  };
}

const dnsAt = (server: { port: number }) => ['--dns-server', `127.0.0.1:${server.port}`];

describe('DNS SRV discovery', () => {
  it('tries the records in priority order, skips the dead host, and activates with the live one', async () => {
    const c = client();
    await c.install();
    const ato = await c.slmgr(['/ato', '--backend', 'kms', '--json', ...dnsAt(zone)], { dnsSuffix: DOMAIN });
    const doc = JSON.parse(ato.stdout);
    expect(doc.ok).toBe(true);
    expect(doc.result.products[0].attempts).toEqual([
      { host: '127.0.0.1', port: deadPort, source: 'srv', error: expect.stringContaining('connection refused') },
      { host: '127.0.0.1', port: replay.port, source: 'srv', error: null },
    ]);
    expect(ato.stderr).toContain(`KMS host 127.0.0.1:${deadPort} (srv): 127.0.0.1:${deadPort}: connection refused`);
    const dlv = await c.slmgr(['/dlv']);
    expect(dlv.stdout).toContain(`    KMS machine name from DNS: 127.0.0.1:${replay.port}\n`);
  });

  it('/skms-domain names the domain when the machine has no DNS suffix', async () => {
    const c = client();
    await c.install();
    await c.slmgr(['/skms-domain', DOMAIN]);
    expect((await c.slmgr(['/ato', '--backend', 'kms', ...dnsAt(zone)])).status).toBe(0);
  });

  it('--domain is the last resort', async () => {
    const c = client();
    await c.install();
    expect((await c.slmgr(['/ato', '--backend', 'kms', '--domain', DOMAIN, ...dnsAt(zone)])).status).toBe(0);
  });

  it('with host caching on, the host that answered last time is asked first; /ckhc turns that off', async () => {
    const c = client();
    await c.install();
    await c.slmgr(['/ato', '--backend', 'kms', ...dnsAt(zone)], { dnsSuffix: DOMAIN });
    const cached = JSON.parse((await c.slmgr(['/ato', '--backend', 'kms', '--json', ...dnsAt(zone)], { dnsSuffix: DOMAIN })).stdout);
    expect(cached.result.products[0].attempts).toEqual([{ host: '127.0.0.1', port: replay.port, source: 'cache', error: null }]);

    await c.slmgr(['/ckhc']);
    const uncached = JSON.parse((await c.slmgr(['/ato', '--backend', 'kms', '--json', ...dnsAt(zone)], { dnsSuffix: DOMAIN })).stdout);
    expect(uncached.result.products[0].attempts.map((a: { source: string; port: number }) => [a.source, a.port])).toEqual([['srv', deadPort], ['srv', replay.port]]);
  });
});

describe('DNS failures end in 0xC004F074 and change nothing', () => {
  const cases: Array<[string, () => string[], string, RegExp]> = [
    ['NXDOMAIN', () => dnsAt(zone), `missing.${DOMAIN}`, /NXDOMAIN/],
    ['no SRV records', () => dnsAt(zone), 'empty.example.test', /no SRV records/],
    ['SERVFAIL', () => dnsAt(validating), DOMAIN, /SERVFAIL/],
    ['a silent DNS server', () => [...dnsAt(silent), '--timeout', '400ms'], DOMAIN, /no answer from .* within 400 ms/],
  ];
  it.each(cases)('%s', async (_, dnsArgs, domain, reason) => {
    const c = client();
    await c.install();
    const before = (await c.slmgr(['/dlv', '--json'])).stdout;
    const ato = await c.slmgr(['/ato', '--backend', 'kms', ...dnsArgs()], { dnsSuffix: domain });
    expect(ato.status).toBe(5);
    expect(ato.stdout).toContain('Error: 0xC004F074 ');
    expect(ato.stderr).toContain(`_vlmcs._tcp.${domain}`);
    expect(ato.stderr).toMatch(reason);
    expect((await c.slmgr(['/dlv', '--json'])).stdout).toBe(before);
  });

  it('no domain anywhere: says what to set', async () => {
    const c = client();
    await c.install();
    const ato = await c.slmgr(['/ato', '--backend', 'kms'], { dnsSuffix: null });
    expect(ato.status).toBe(5);
    expect(ato.stderr).toContain('/skms-domain or --domain');
  });
});
