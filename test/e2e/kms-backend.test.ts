// `/ato --backend kms` end to end through the CLI's entry point: the recorded client inputs
// (clock, IV, CMID, workstation name) go in through its context, a loopback double replays the
// recorded host bytes, and /dlv then shows what the host answered.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KmsInputs } from '../../src/cli/main.js';
import { runCaptured, type CapturedEnvironment, type CapturedRun } from '../helpers/run-captured.js';
import { Store } from '../../src/store/store.js';
import { BIN } from './helpers.js';
import { loadVector, recordedInputs, startReplayHost, type GoldenVector, type ReplayHost } from '../helpers/kms-replay.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Lab {
  slmgr(argv: string[], kmsInputs?: KmsInputs, extra?: Partial<CapturedEnvironment>): Promise<CapturedRun>;
  setCmid(cmid: string): void;
}

function lab(now: Date): Lab {
  const dir = mkdtempSync(join(tmpdir(), 'slmgr-kms-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = join(dir, 'store.db');
  return {
    slmgr(argv, kmsInputs, extra = {}) {
      return runCaptured({
        argv,
        hostname: 'ws-0042',
        homedir: dir,
        dnsSuffix: 'corp.example.test',
        ...(kmsInputs ? { kmsInputs } : {}),
        ...extra,
        env: { SLMGR_STORE: store, SLMGR_NOW: now.toISOString(), ...extra.env },
      });
    },
    setCmid(cmid) {
      // Every lab machine gets a random CMID; the recorded exchange used this one.
      const s = Store.open({ path: store, now: () => now.getTime(), randomUUID: () => cmid, hostname: 'ws-0042' });
      try {
        s.transaction((tx) => tx.updateMachine(tx.localMachine().id, { cmid }));
      } finally {
        s.close();
      }
    },
  };
}

async function replayHost(vectors: GoldenVector | GoldenVector[], options: Parameters<typeof startReplayHost>[1] = {}): Promise<ReplayHost> {
  const host = await startReplayHost(vectors, options);
  cleanups.push(() => host.close());
  return host;
}

function inputsOf(vector: GoldenVector, exchange = 0): KmsInputs {
  const recorded = recordedInputs(vector, exchange);
  return { now: () => recorded.requestTime, randomBytes: recorded.randomBytes, workstationName: recorded.workstationName };
}

async function prepared(vector: GoldenVector, key: string, exchange = 0) {
  const recorded = recordedInputs(vector, exchange);
  const l = lab(recorded.requestTime);
  expect((await l.slmgr(['/ipk', key])).status).toBe(0);
  l.setCmid(recorded.clientMachineId);
  const host = await replayHost(vector);
  expect((await l.slmgr(['/skms', `127.0.0.1:${host.port}`])).status).toBe(0);
  return { l, host, recorded };
}

const SUCCESS_CASES = [
  { vector: 'v6-win-enterprise', key: 'NPPR9-FWDCX-D2C8J-H872K-2YT43', args: [] },
  { vector: 'v5-win-enterprise', key: 'NPPR9-FWDCX-D2C8J-H872K-2YT43', args: ['--protocol', '5'] },
  { vector: 'v4-win-enterprise', key: 'NPPR9-FWDCX-D2C8J-H872K-2YT43', args: ['--protocol', '4'] },
  { vector: 'v6-win-enterprise-custom-hwid-intervals', key: 'NPPR9-FWDCX-D2C8J-H872K-2YT43', args: [] },
  { vector: 'v6-winsrv2022-standard', key: 'VDYBN-27WPP-V4HQT-9VMD4-VMK7H', args: [] },
  { vector: 'v6-office-ltsc2021-proplus', key: 'FXYTK-NJJ8C-GB6DW-3DYQT-6F7TH', args: ['fbdb3e18-a8ef-4fb3-9183-dffd60bd0984'] },
  { vector: 'v4-office2010-proplus', key: 'VYBBJ-TRJPB-QFQRF-QFT4D-H3GVB', args: ['6f327760-8c5c-417c-9b61-836a98287e0c'] },
];

describe('/ato --backend kms against a replayed host', () => {
  it.each(SUCCESS_CASES)('$vector: activates, then /dlv shows the host\'s answer', async ({ vector: name, key, args }) => {
    const vector = loadVector(name);
    const { l, host, recorded } = await prepared(vector, key);
    const fields = recorded.exchange.kmsResponse!.fields;

    const ato = await l.slmgr(['/ato', ...args, '--backend', 'kms'], inputsOf(vector));
    expect(host.mismatches).toEqual([]);
    expect(ato.stderr).toBe('');
    expect(ato.status).toBe(0);
    expect(ato.stdout).toMatch(/^Activating .+ \([0-9a-f-]{36}\) \.\.\.\nProduct activated successfully\.\n\n$/);

    const activationId = args.find((a) => /^[0-9a-f-]{36}$/.test(a));
    const dlv = await l.slmgr(['/dlv', ...(activationId ? [activationId] : [])]);
    expect(dlv.status).toBe(0);
    const lines = dlv.stdout.split('\n');
    expect(lines).toContain('License Status: Licensed');
    expect(lines).toContain('Volume activation expiration: 259200 minute(s) (180 day(s))');
    expect(lines).toContain(`    Client Machine ID (CMID): ${recorded.clientMachineId}`);
    expect(lines).toContain(`    Registered KMS machine name: 127.0.0.1:${host.port}`);
    expect(lines).toContain('    KMS machine IP address: 127.0.0.1');
    expect(lines).toContain(`    KMS machine extended PID: ${fields.epid}`);
    expect(lines).toContain(`    Activation interval: ${fields.vlActivationIntervalMinutes} minutes`);
    expect(lines).toContain(`    Renewal interval: ${fields.vlRenewalIntervalMinutes} minutes`);
  });

  it('reports the host, count and intervals in --json', async () => {
    const vector = loadVector('v6-win-enterprise');
    const { l, host } = await prepared(vector, 'NPPR9-FWDCX-D2C8J-H872K-2YT43');
    const ato = await l.slmgr(['/ato', '--backend', 'kms', '--json'], inputsOf(vector));
    const doc = JSON.parse(ato.stdout);
    expect(doc).toMatchObject({ ok: true, exitCode: 0, command: 'ato' });
    expect(doc.result.products[0]).toMatchObject({
      activated: true,
      kmsHost: { name: '127.0.0.1', port: host.port, ipAddress: '127.0.0.1', extendedPid: '03612-00206-556-123727-03-1033-17763.0000-2972018', currentCount: 50 },
      attempts: [{ host: '127.0.0.1', port: host.port, source: 'skms', error: null }],
    });
  });
});

describe('the spinner stays off where it would get in the way', () => {
  it.each([
    ['CI is set', ['/ato', '--backend', 'kms'], { CI: 'true' }],
    ['--json', ['/ato', '--backend', 'kms', '--json'], {}],
    ['TERM=dumb', ['/ato', '--backend', 'kms'], { TERM: 'dumb' }],
  ] as const)('%s: nothing on a terminal stderr', async (_, argv, env) => {
    const vector = loadVector('v6-win-enterprise');
    const { l } = await prepared(vector, 'NPPR9-FWDCX-D2C8J-H872K-2YT43');
    const ato = await l.slmgr([...argv], inputsOf(vector), { stderrIsTTY: true, env });
    expect(ato.status).toBe(0);
    expect(ato.stderr).toBe('');
  });
});

describe('/ato --backend kms failures leave the store unchanged', () => {
  async function snapshot(l: Lab): Promise<string> {
    return (await l.slmgr(['/dlv', '--json'])).stdout;
  }

  it('count below the N-policy: 0xC004F038, and the client stays in grace', async () => {
    // The counting host's first answer: count 1 for a Windows client that needs 25.
    const vector = loadVector('v6-win-enterprise-count-from-empty-host');
    const recorded = recordedInputs(vector, 0);
    const l = lab(recorded.requestTime);
    await l.slmgr(['/ipk', 'NPPR9-FWDCX-D2C8J-H872K-2YT43']);
    l.setCmid(recorded.clientMachineId);
    const host = await replayHost(vector);
    await l.slmgr(['/skms', `127.0.0.1:${host.port}`]);
    const before = await snapshot(l);
    const ato = await l.slmgr(['/ato', '--backend', 'kms'], inputsOf(vector));
    expect(host.mismatches).toEqual([]);
    expect(ato.status).toBe(2);
    expect(ato.stdout).toContain('Error: 0xC004F038 ');
    expect(await snapshot(l)).toBe(before);
  });

  it.each([
    ['neg-v6-tampered-response-hmac', /verification-failed/],
    ['neg-v6-truncated-response', /truncated/],
  ])('%s: no usable answer, so 0xC004F074 (exit 5), with the reason on stderr', async (name, reason) => {
    const vector = loadVector(name);
    const { l } = await prepared(vector, 'NPPR9-FWDCX-D2C8J-H872K-2YT43');
    const before = await snapshot(l);
    const ato = await l.slmgr(['/ato', '--backend', 'kms'], inputsOf(vector));
    expect(ato.status).toBe(5);
    expect(ato.stdout).toContain('Error: 0xC004F074 ');
    expect(ato.stderr).toMatch(reason);
    expect(await snapshot(l)).toBe(before);
  });

  it('a host that only speaks older versions is asked again in V5 and V4, then its HRESULT stands', async () => {
    const vector = loadVector('neg-v6-unsupported-version-0x8007000D');
    const recorded = recordedInputs(vector);
    const l = lab(recorded.requestTime);
    await l.slmgr(['/ipk', 'NPPR9-FWDCX-D2C8J-H872K-2YT43']);
    const host = await replayHost(vector, { strict: false });
    await l.slmgr(['/skms', `127.0.0.1:${host.port}`]);
    const before = await snapshot(l);
    const ato = await l.slmgr(['/ato', '--backend', 'kms'], { ...inputsOf(vector), randomBytes: () => Buffer.alloc(16, 7) });
    expect(host.connections).toBe(3);
    expect(ato.status).toBe(2);
    expect(ato.stdout).toContain('Error: 0x8007000D ');
    expect(await snapshot(l)).toBe(before);
  });

  it.each([
    ['silent', 'no complete answer before the timeout'],
    ['close-mid-pdu', 'truncated'],
    ['garbage', 'malformed'],
    ['huge-fragment', 'pdu-too-large'],
    ['reset', 'connection reset by the host'],
    ['wrong-call-id', 'call_id'],
  ] as const)('a hostile host (%s): 0xC004F074 within --timeout, reason on stderr', async (mode, reason) => {
    const vector = loadVector('v6-win-enterprise');
    const recorded = recordedInputs(vector);
    const l = lab(recorded.requestTime);
    await l.slmgr(['/ipk', 'NPPR9-FWDCX-D2C8J-H872K-2YT43']);
    const hostile = await replayHost(vector, { hostile: mode });
    await l.slmgr(['/skms', `127.0.0.1:${hostile.port}`]);
    const before = await snapshot(l);
    const ato = await l.slmgr(['/ato', '--backend', 'kms', '--timeout', '300ms'], inputsOf(vector));
    expect(ato.status).toBe(5);
    expect(ato.stdout).toContain('Error: 0xC004F074 ');
    expect(ato.stderr).toContain(reason);
    expect(await snapshot(l)).toBe(before);
  });

  it('Ctrl-C while waiting: exit 130, nothing recorded', async () => {
    const vector = loadVector('v6-win-enterprise');
    const recorded = recordedInputs(vector);
    const l = lab(recorded.requestTime);
    await l.slmgr(['/ipk', 'NPPR9-FWDCX-D2C8J-H872K-2YT43']);
    const silent = await replayHost(vector, { hostile: 'silent' });
    await l.slmgr(['/skms', `127.0.0.1:${silent.port}`]);
    const before = await snapshot(l);
    const ato = await l.slmgr(['/ato', '--backend', 'kms'], inputsOf(vector), {
      onInterrupt: (abort) => {
        const timer = setTimeout(abort, 50);
        return () => clearTimeout(timer);
      },
    });
    expect(ato.status).toBe(130);
    expect(ato.stdout).toBe('');
    expect(ato.stderr).toContain('interrupted');
    expect(await snapshot(l)).toBe(before);
  });

  it('a real Ctrl-C (SIGINT) to the bin: exit 130, nothing recorded', async () => {
    const vector = loadVector('v6-win-enterprise');
    const dir = mkdtempSync(join(tmpdir(), 'slmgr-kms-sigint-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const silent = await replayHost(vector, { hostile: 'silent' });
    const env = { ...process.env, SLMGR_STORE: join(dir, 'store.db'), SLMGR_NOW: '2026-11-25T12:00:00Z', NO_COLOR: '1' };
    const bin = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
    bin(['/ipk', 'NPPR9-FWDCX-D2C8J-H872K-2YT43']);
    bin(['/skms', `127.0.0.1:${silent.port}`]);
    const before = bin(['/dlv', '--json']).stdout;
    const child = spawn(process.execPath, [BIN, '/ato', '--backend', 'kms', '--timeout', '20s'], { env });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Once the host has the connection, the client is waiting on it.
    while (silent.connections === 0) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(130);
    expect(stderr).toContain('interrupted');
    expect(bin(['/dlv', '--json']).stdout).toBe(before);
  });

  it('a lab machine name means nothing to real hosts: 0x800706BA', async () => {
    const l = lab(new Date('2026-11-25T00:00:00Z'));
    const ato = await l.slmgr(['client07', '/ato', '--backend', 'kms']);
    expect(ato.status).toBe(5);
    expect(ato.stdout).toContain('0x800706BA');
  });
});
