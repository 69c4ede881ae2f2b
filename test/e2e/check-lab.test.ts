// `slmgr check` in the lab: a healthy host, the four common issues of the KMS host documentation
// (each named with its cause and fix), and every monitoring exit code.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCaptured } from '../helpers/run-captured.js';

const WS2019_LAB_HOST_KEY = 'B7NVT-H6TFH-89TYG-7DV6B-782QF';
const WS2022_LAB_HOST_KEY = 'NJJTY-WGYFV-QMBP3-8XGYR-KXBT6';
const ENTERPRISE_GVLK = 'NPPR9-FWDCX-D2C8J-H872K-2YT43';
const SERVER2022_STANDARD = 'Windows Server 2022 Standard';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function lab() {
  const dir = mkdtempSync(join(tmpdir(), 'slmgr-check-'));
  dirs.push(dir);
  const slmgr = (...argv: string[]) =>
    runCaptured({ argv, env: { SLMGR_STORE: join(dir, 'store.db'), SLMGR_NOW: '2026-11-25T12:00:00Z' }, hostname: 'admin01', homedir: dir });
  return {
    slmgr,
    /** An activated KMS host publishing in lab.test, and `clients` Windows clients activated against it. */
    async host(name = 'kms01', key = WS2019_LAB_HOST_KEY, clients = 30) {
      expect((await slmgr(name, '/ipk', key)).status).toBe(0);
      expect((await slmgr(name, '/ato')).status).toBe(0);
      if (clients > 0) expect((await slmgr('lab', 'clients', '--count', String(clients), '--key', ENTERPRISE_GVLK, '--prefix', `${name}-client`)).status).toBe(0);
    },
    async json(...argv: string[]) {
      const r = await slmgr('check', ...argv, '--json');
      return { ...r, doc: JSON.parse(r.stdout) };
    },
  };
}

describe('a healthy lab', () => {
  it('walks every layer and passes', async () => {
    const l = lab();
    await l.host();
    const r = await l.slmgr('check');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    for (const step of ['DNS domain', 'SRV lookup', 'name resolution', 'TCP connect', 'RPC bind', 'KMS request', 'response check', 'current count']) {
      expect(lines.some((line) => line.startsWith(`  [ OK ] ${step}`))).toBe(true);
    }
    expect(r.stdout).toContain('KMS host kms01.lab.test:1688 (SRV priority 0, weight 0): OK');
    expect(r.stdout).toMatch(/Result: OK - kms01\.lab\.test:1688 count 31\/25\n$/);
  });

  it('counts its own probe once, however often it runs (a stable CMID kept in the store)', async () => {
    const l = lab();
    await l.host();
    const first = await l.json();
    const second = await l.json();
    expect(first.doc.result.hosts[0].answer.currentCount).toBe(31);
    expect(second.doc.result.hosts[0].answer.currentCount).toBe(31);
    expect(second.doc.result.clientMachineId).toBe(first.doc.result.clientMachineId);
    expect(second.doc.result.cmidSource).toBe('store');
  });

  it('--cmid sends another CMID, which the host counts', async () => {
    const l = lab();
    await l.host();
    await l.json();
    const other = await l.json('--cmid', '0b4d3e6a-7c21-4f58-9a0e-5d6c7b8a9f10');
    expect(other.doc.result).toMatchObject({ cmidSource: 'option', clientMachineId: '0b4d3e6a-7c21-4f58-9a0e-5d6c7b8a9f10' });
    expect(other.doc.result.hosts[0].answer.currentCount).toBe(32);
  });
});

describe('the four common issues', () => {
  it('no SRV record: DNS publishing off', async () => {
    const l = lab();
    await l.host();
    await l.slmgr('kms01', '/cdns');
    const r = await l.json();
    expect(r.status).toBe(5);
    const srv = r.doc.result.discovery.find((s: { step: string }) => s.step === 'srv-lookup');
    expect(srv).toMatchObject({ verdict: 'critical', problem: { kind: 'no-srv-records' } });
    expect(srv.fix).toContain('slmgr /sdns');
    expect(srv.fix).toContain('service _vlmcs, protocol _tcp, priority 0, weight 0, port 1688');
  });

  it('port unreachable: the firewall rule blocks TCP 1688', async () => {
    const l = lab();
    await l.host();
    await l.slmgr('lab', 'firewall', 'kms01', 'block');
    const r = await l.slmgr('check', 'kms01.lab.test');
    expect(r.status).toBe(5);
    expect(r.stdout).toContain('[FAIL] TCP connect');
    expect(r.stdout).toContain('fix:   Allow inbound TCP 1688 on the host (the built-in firewall rule "Key Management Service (TCP-In)")');
  });

  it('product refused (0xC004F042) until a newer host key is installed and activated', async () => {
    const l = lab();
    await l.host('kms01', WS2019_LAB_HOST_KEY, 0);
    const refused = await l.json('kms01', '--product', SERVER2022_STANDARD);
    expect(refused.status).toBe(2);
    const request = refused.doc.result.hosts[0].steps.find((s: { step: string }) => s.step === 'kms-request');
    expect(request).toMatchObject({ verdict: 'critical', problem: { kind: 'host-error', hresult: 0xc004f042 } });
    expect(request.fix).toContain('Install a KMS host key that covers Windows Server 2022 Standard');
    expect(refused.doc.error).toMatchObject({ hresult: '0xC004F042' });

    await l.slmgr('kms01', '/ipk', WS2022_LAB_HOST_KEY);
    await l.slmgr('kms01', '/ato');
    const served = await l.json('kms01', '--product', SERVER2022_STANDARD);
    expect(served.doc.result.hosts[0].steps.find((s: { step: string }) => s.step === 'kms-request').verdict).toBe('ok');
  });

  it('count below the threshold: says how many more CMIDs, and that clones count once', async () => {
    const l = lab();
    await l.host('kms01', WS2019_LAB_HOST_KEY, 10);
    // Cloned without sysprep: a new machine with an existing CMID adds nothing.
    await l.slmgr('lab', 'clone-cmid', 'kms01-client002', 'kms01-client001');
    const r = await l.json();
    expect(r.status).toBe(2);
    const count = r.doc.result.hosts[0].steps.find((s: { step: string }) => s.step === 'count');
    expect(count.verdict).toBe('critical');
    // 10 clients and the probe.
    expect(r.doc.result.hosts[0].answer.currentCount).toBe(11);
    expect(count.cause).toContain('14 more unique CMIDs needed');
    expect(count.cause).toContain('share one CMID and count once');
    expect(r.doc.error).toMatchObject({ hresult: '0xC004F038' });
  });

  it('several hosts in DNS: each checked, a decommissioned host\'s stale record flagged', async () => {
    const l = lab();
    await l.host('kms01');
    await l.host('kms02', WS2019_LAB_HOST_KEY, 0);
    await l.slmgr('lab', 'dns', 'add', 'lab.test', 'kms-old.lab.test');
    const r = await l.json();
    const hosts = r.doc.result.hosts as Array<{ host: string; verdict: string; stale: boolean }>;
    expect(hosts.map((h) => h.host).sort()).toEqual(['kms-old.lab.test', 'kms01.lab.test', 'kms02.lab.test']);
    expect(hosts.find((h) => h.host === 'kms-old.lab.test')).toMatchObject({ verdict: 'critical', stale: true });
    expect(hosts.find((h) => h.host === 'kms01.lab.test')).toMatchObject({ verdict: 'ok', stale: false });
    // One host fails, others serve: degraded, not down.
    expect(r.doc.result.verdict).toBe('warning');
    expect(r.status).toBe(3);
    const text = await l.slmgr('check');
    expect(text.stdout).toContain('KMS host kms-old.lab.test:1688 (SRV priority 0, weight 0): CRITICAL - stale record? (delete the SRV record; a host that still runs can withdraw it with slmgr /cdns)');
  });
});

describe('thresholds and what the check looks at', () => {
  it('a monitoring margin never hides a count clients cannot activate with', async () => {
    const l = lab();
    await l.host('kms01', WS2019_LAB_HOST_KEY, 10);
    const r = await l.json('--warning', '30', '--critical', '5');
    const count = r.doc.result.hosts[0].steps.find((s: { step: string }) => s.step === 'count');
    expect(count.verdict).toBe('critical');
    expect(count.cause).toContain('clients activate from 25');
  });

  it('a count above the threshold but under --warning is a warning, and says it is a margin', async () => {
    const l = lab();
    await l.host();
    const r = await l.json('--warning', '40');
    const count = r.doc.result.hosts[0].steps.find((s: { step: string }) => s.step === 'count');
    expect(count.verdict).toBe('warning');
    expect(count.cause).toContain('enough for clients to activate (25), but under the 40 set as the margin');
    expect(r.doc.error).toMatchObject({ kind: 'soft-failure', id: 'checkWarning' });
  });

  it('a host that answered decides the exit code, whatever the order of the records', async () => {
    const l = lab();
    await l.host('kms01', WS2019_LAB_HOST_KEY, 3);
    await l.slmgr('lab', 'dns', 'add', 'lab.test', 'old.lab.test', '--weight', '10');
    const r = await l.json();
    expect(r.status).toBe(2);
    expect(r.doc.error).toMatchObject({ kind: 'licensing', hresult: '0xC004F038', hresultSigned: -1073418184 });
  });

  it('without a host, checks the /skms host the machine is set to use', async () => {
    const l = lab();
    await l.host();
    await l.slmgr('/skms', 'kms01.lab.test:1688');
    const r = await l.json();
    expect(r.doc.result.discovery).toEqual([]);
    expect(r.doc.result.hosts.map((h: { host: string; source: string }) => [h.host, h.source])).toEqual([['kms01.lab.test', 'argument']]);
  });

  it('a wrong port says which port the service listens on', async () => {
    const l = lab();
    await l.host();
    const r = await l.json('kms01.lab.test:1689');
    const tcp = r.doc.result.hosts[0].steps.find((s: { step: string }) => s.step === 'tcp-connect');
    expect(tcp.problem).toMatchObject({ kind: 'wrong-port', listeningPort: 1688 });
    expect(tcp.fix).toContain('Point clients at port 1688');
  });

  it('--json keeps stderr to one line: the report is in the document', async () => {
    const l = lab();
    await l.host('kms01', WS2019_LAB_HOST_KEY, 3);
    const r = await l.json();
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('monitoring mode (--nagios)', () => {
  it('0 OK: one status line with performance data', async () => {
    const l = lab();
    await l.host();
    const r = await l.slmgr('check', '--nagios');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toHaveLength(2);
    expect(r.stdout).toMatch(/^KMS OK - kms01\.lab\.test:1688 count 31\/25 \| 'srv_lookup'=[\d.]+ms .*'kms01\.lab\.test:1688 count'=31;;25:;0; 'threshold'=25\n$/);
  });

  it('1 WARNING: count under --warning', async () => {
    const l = lab();
    await l.host();
    const r = await l.slmgr('check', '--nagios', '--warning', '40');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^KMS WARNING - .*'kms01\.lab\.test:1688 count'=31;40:;25:;0;/);
  });

  it('2 CRITICAL: count under the threshold', async () => {
    const l = lab();
    await l.host('kms01', WS2019_LAB_HOST_KEY, 3);
    const r = await l.slmgr('check', '--nagios');
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^KMS CRITICAL - kms01\.lab\.test:1688 count 4\/25 \|/);
  });

  it('3 UNKNOWN: a bad global option', async () => {
    const l = lab();
    const r = await l.slmgr('check', '--nagios', '--timeout', '0');
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/^KMS UNKNOWN - --timeout must be a duration/);
  });

  it('3 UNKNOWN: the check itself cannot run', async () => {
    const l = lab();
    const r = await l.slmgr('check', '--nagios', '--product', 'no such product anywhere');
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/^KMS UNKNOWN - --product "no such product anywhere" matches no product/);
  });
});
