// `slmgr check --backend kms`: a loopback double replaying a recorded KMS host, the hostile hosts,
// and a real DNS server (dnsmasq) publishing several SRV records, one of them for a dead host.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CliEnvironment } from '../../src/cli/main.js';
import { closedPort, runCaptured } from '../helpers/run-captured.js';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq.js';
import { loadVector, recordedInputs, startReplayHost, type HostileMode, type ReplayHost } from '../helpers/kms-replay.js';

const vector = loadVector('v6-win-enterprise');
const recorded = recordedInputs(vector);
const RECORDED_CMID = recorded.clientMachineId;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function replay(options: Parameters<typeof startReplayHost>[1] = {}): Promise<ReplayHost> {
  const host = await startReplayHost(vector, options);
  cleanups.push(() => host.close());
  return host;
}

/** The check with the recorded clock, IV and workstation name, and the recorded CMID. */
async function check(argv: string[], extra: Partial<CliEnvironment> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'slmgr-check-kms-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const { status, stdout, stderr } = await runCaptured({
    argv: ['check', '--backend', 'kms', '--cmid', RECORDED_CMID, ...argv],
    env: { SLMGR_STORE: join(dir, 'store.db') },
    hostname: 'ws-0042',
    homedir: dir,
    dnsSuffix: null,
    kmsInputs: { now: () => recorded.requestTime, randomBytes: recorded.randomBytes, workstationName: recorded.workstationName },
    ...extra,
  });
  return { status, stdout, stderr, doc: argv.includes('--json') ? JSON.parse(stdout) : null };
}

const stepOf = (doc: { result: { hosts: Array<{ steps: Array<{ step: string }> }> } }, host: number, step: string) =>
  doc.result.hosts[host]!.steps.find((s) => s.step === step) as Record<string, unknown>;

describe('a named host', () => {
  it('healthy: every layer passes, with the recorded answer', async () => {
    const host = await replay();
    const r = await check([`127.0.0.1:${host.port}`, '--json']);
    expect(host.mismatches).toEqual([]);
    expect(r.status).toBe(0);
    expect(r.doc.result.hosts[0]).toMatchObject({
      verdict: 'ok',
      answer: { currentCount: 50, extendedPid: '03612-00206-556-123727-03-1033-17763.0000-2972018', activationIntervalMinutes: 120, renewalIntervalMinutes: 10080, protocolVersion: 6 },
    });
    for (const step of ['tcp-connect', 'rpc-bind', 'kms-request']) expect(stepOf(r.doc, 0, step).latencyMs).toBeGreaterThan(0);
  });

  it('Nagios output with real latencies', async () => {
    const host = await replay();
    const r = await check([`127.0.0.1:${host.port}`, '--nagios']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^KMS OK - 127\\.0\\.0\\.1:${host.port} count 50/25 \\| .*'127\\.0\\.0\\.1:${host.port} tcp-connect'=[\\d.]+ms .*'127\\.0\\.0\\.1:${host.port} count'=50;;25:;0;`));
  });

  it('latency over --critical is CRITICAL (a host that takes 300 ms to answer)', async () => {
    const host = await replay({ delayMs: 300 });
    const r = await check([`127.0.0.1:${host.port}`, '--nagios', '--warning', ',50ms', '--critical', ',200ms']);
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^KMS CRITICAL - .* latency \d+ ms, over 200 ms \|.*total'=[\d.]+ms;50;200;0;/);
  });

  it('a refused port: TCP connect fails with the firewall fix', async () => {
    const port = await closedPort();
    const r = await check([`127.0.0.1:${port}`, '--json']);
    expect(r.status).toBe(5);
    expect(stepOf(r.doc, 0, 'tcp-connect')).toMatchObject({ verdict: 'critical', problem: { kind: 'port-closed' } });
    expect(stepOf(r.doc, 0, 'tcp-connect').fix).toContain('Key Management Service (TCP-In)');
  });

  it.each([
    ['silent', 'rpc-bind', 'no-answer'],
    ['close-mid-pdu', 'rpc-bind', 'no-answer'],
    ['garbage', 'rpc-bind', 'protocol'],
    ['huge-fragment', 'rpc-bind', 'protocol'],
    ['reset', 'rpc-bind', 'no-answer'],
    ['wrong-call-id', 'rpc-bind', 'protocol'],
  ] as Array<[HostileMode, string, string]>)('hostile host (%s): CRITICAL at %s (%s), within the timeout', async (mode, step, kind) => {
    const host = await replay({ hostile: mode });
    const r = await check([`127.0.0.1:${host.port}`, '--json', '--timeout', '300ms']);
    expect(r.status).toBe(5);
    expect(stepOf(r.doc, 0, step)).toMatchObject({ verdict: 'critical', problem: { kind } });
  });
});

describe('a domain through a real DNS server', () => {
  let zone: Dnsmasq;
  let live: ReplayHost;
  let second: ReplayHost;
  let deadPort: number;

  beforeAll(async () => {
    live = await startReplayHost(vector);
    second = await startReplayHost(vector);
    deadPort = await closedPort();
    zone = await startDnsmasq({
      localDomains: ['corp.example.test', 'nohosts.example.test'],
      srv: [
        { name: '_vlmcs._tcp.corp.example.test', target: '127.0.0.1', port: live.port, priority: 0, weight: 10 },
        { name: '_vlmcs._tcp.corp.example.test', target: '127.0.0.1', port: second.port, priority: 0, weight: 0 },
        { name: '_vlmcs._tcp.corp.example.test', target: '127.0.0.1', port: deadPort, priority: 10, weight: 0 },
        { name: '_vlmcs._tcp.corp.example.test', target: 'gone.corp.example.test', port: 1688, priority: 20, weight: 0 },
      ],
    });
  });
  afterAll(async () => {
    await Promise.all([zone?.stop(), live?.close(), second?.close()]);
  });

  it('checks every host the records name, flags the dead ones as stale, and reports WARNING', async () => {
    const r = await check(['--domain', 'corp.example.test', '--dns-server', `127.0.0.1:${zone.port}`, '--json', '--timeout', '2s']);
    expect(r.doc.result.records).toHaveLength(4);
    const hosts = r.doc.result.hosts as Array<{ host: string; port: number; verdict: string; stale: boolean }>;
    expect(hosts.map((h) => [h.port, h.verdict, h.stale])).toEqual([
      [live.port, 'ok', false],
      [second.port, 'ok', false],
      [deadPort, 'critical', true],
      [1688, 'critical', true],
    ]);
    expect(stepOf(r.doc, 3, 'resolve')).toMatchObject({ verdict: 'critical', problem: { kind: 'name-not-found' } });
    expect(r.doc.result.verdict).toBe('warning');
    expect(r.status).toBe(3);
  });

  it('no SRV records: CRITICAL at the SRV lookup, with the /sdns and manual-record fix', async () => {
    const r = await check(['--domain', 'nohosts.example.test', '--dns-server', `127.0.0.1:${zone.port}`, '--nagios']);
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^KMS CRITICAL - SRV lookup: /);
  });

  it('no domain at all: CRITICAL, and says how to name one', async () => {
    const r = await check(['--json']);
    expect(r.status).toBe(5);
    expect(r.doc.result.discovery[0]).toMatchObject({ step: 'dns-domain', verdict: 'critical', problem: { kind: 'no-domain' } });
  });
});
