// 4. Bad input from the network: the golden responses, mutated (bit flips, byte values, length
// fields moved or set to extremes, NDR sizes and offsets, truncation, appended bytes, huge fragment
// lengths, a foreign data representation), delivered whole, in pieces or byte by byte, followed by
// a hang-up, a reset, silence or a flood — through real loopback sockets from a hostile host in a
// process of its own. The client may only fail with its typed protocol and connection errors, must
// never wait past its timeouts, and its memory must stay bounded while hosts flood it. The same
// mutated PDUs are also fed to the codec directly.

import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestKmsActivation, type KmsRequestInput } from '../../src/backends/kms/client.js';
import { KmsConnectionError } from '../../src/backends/kms/transport.js';
import { KmsProtocolError } from '../../src/kms/errors.js';
import { DEFAULT_MAX_FRAG, parseBindResponse, parseResponse, pduLength } from '../../src/kms/rpc.js';
import { loadVector, recordedInputs, vectorNames, type GoldenVector } from '../helpers/kms-replay.js';
import { cleanEnv, CRASH_TEXT, HELPERS, NOW, pool, recordFigures, slmgrSpawn, STACK_FRAME, suiteSeed, tempDir, WIN_ENTERPRISE } from './helpers/common.js';
import { runCli } from './helpers/inproc.js';
import { mutate, type Mutation } from './helpers/mutations.mjs';

const CASES = Number(process.env.SLMGR_NET_CASES ?? 2000);
const LANES = 16;
const TIMEOUT_MS = 250;
/** Event-loop and scheduling slack on a loaded 2-core machine, on top of the client's own timeouts. */
const SLACK_MS = 2000;
const FLOOD_BYTES = 16 * 1024 * 1024;
const seed = suiteSeed();

interface Plan {
  vector: string;
  target: number;
  mutations: Mutation[];
  delivery: 'whole' | 'chunks' | 'split10' | 'trickle';
  after: 'continue' | 'close' | 'stall' | 'reset' | 'flood' | 'flood-valid';
  early: boolean;
  floodBytes: number;
  seed: number;
}

const FIELD_OFFSETS = [8, 10, 12, 16, 20, 22, 24, 26, 28, 32, 36, 40, 44, 48, 52, 56, 60, 64, 68, 72];
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(400), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(400), value: fc.integer({ min: 0, max: 255 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('field' as const),
      at: fc.constantFrom(...FIELD_OFFSETS),
      width: fc.constantFrom(1 as const, 2 as const, 4 as const),
      value: fc.oneof(fc.constantFrom(0, 1, 16, 24, 0xff, 0xffff, 0xffffffff, 0x7fffffff, 0x80000000, DEFAULT_MAX_FRAG, DEFAULT_MAX_FRAG + 1), fc.nat()),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('relative' as const), at: fc.constantFrom(...FIELD_OFFSETS), width: fc.constantFrom(2 as const, 4 as const), delta: fc.oneof(fc.integer({ min: -4, max: 4 }), fc.constantFrom(-1000, 1000, 65536)) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), length: fc.nat(400) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('append' as const), hex: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('hex')) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drep' as const), value: fc.constantFrom(0x00, 0x01, 0x11, 0xff) }) },
);

const planArb: fc.Arbitrary<Plan> = fc.record({
  vector: fc.constantFrom(...vectorNames()),
  target: fc.nat(3),
  mutations: fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
  delivery: fc.oneof({ weight: 6, arbitrary: fc.constant('whole' as const) }, { weight: 2, arbitrary: fc.constant('chunks' as const) }, { weight: 1, arbitrary: fc.constant('split10' as const) }, { weight: 1, arbitrary: fc.constant('trickle' as const) }),
  after: fc.oneof(
    { weight: 6, arbitrary: fc.constant('continue' as const) },
    { weight: 2, arbitrary: fc.constant('close' as const) },
    { weight: 1, arbitrary: fc.constant('stall' as const) },
    { weight: 1, arbitrary: fc.constant('reset' as const) },
    { weight: 1, arbitrary: fc.constant('flood' as const) },
    { weight: 1, arbitrary: fc.constant('flood-valid' as const) },
  ),
  early: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  floodBytes: fc.constant(FLOOD_BYTES),
  seed: fc.nat(),
});

/** The recorded client inputs, so an unmutated answer passes every check. */
function inputFor(vector: GoldenVector): KmsRequestInput {
  const recorded = recordedInputs(vector, 0);
  const fields = recorded.exchange.kmsRequest.fields as Record<string, unknown>;
  return {
    product: { applicationId: fields.applicationId as string, skuId: fields.skuId as string, kmsCountedId: fields.kmsCountedId as string, requiredClientCount: fields.requiredClientCount as number },
    clientMachineId: recorded.clientMachineId,
    workstationName: recorded.workstationName,
    protocolVersion: fields.majorVersion as 4 | 5 | 6,
    licenseStatus: fields.licenseStatus as number,
    bindingExpirationMinutes: fields.bindingExpiration as number,
    now: () => recorded.requestTime,
    randomBytes: recorded.randomBytes,
  };
}

/** What the recorded answers of a vector say, so an accepted answer can be compared with them. */
function recordedAnswers(vector: GoldenVector): string[] {
  return vector.connections.flatMap((c) => c.exchanges.flatMap((e) => {
    const f = e.kmsResponse?.fields;
    return f ? [JSON.stringify([f.epid, f.currentClientCount, f.vlActivationIntervalMinutes, f.vlRenewalIntervalMinutes, String(f.clientMachineId).toLowerCase()])] : [];
  }));
}

// ---------------------------------------------------------------------------------------------

let host: ChildProcess;
let ports: number[] = [];
const waiters = new Map<string, (message: Record<string, unknown>) => void>();

let hostGone: Error | null = null;

function ask(message: Record<string, unknown>, reply: string): Promise<Record<string, unknown>> {
  if (hostGone) return Promise.reject(hostGone);
  return new Promise((resolve, reject) => {
    waiters.set(`${reply}:${String(message.lane)}`, (m) => (m.type === 'exit' ? reject(hostGone) : resolve(m)));
    host.send(message);
  });
}

beforeAll(async () => {
  host = fork(join(HELPERS, 'hostile-host.mjs'), [String(LANES)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  host.on('message', (m: Record<string, unknown>) => {
    const key = `${String(m.type)}:${String(m.lane)}`;
    const waiter = waiters.get(key);
    waiters.delete(key);
    waiter?.(m);
  });
  host.on('exit', (code) => {
    hostGone = new Error(`the hostile host exited (${String(code)})`);
    for (const waiter of waiters.values()) waiter({ type: 'exit' });
    waiters.clear();
  });
  const ready = await new Promise<Record<string, unknown>>((resolve) => waiters.set('ready:undefined', resolve));
  ports = ready.ports as number[];
});
afterAll(() => {
  host.removeAllListeners('exit');
  if (host.connected) host.disconnect();
  host.kill();
});

const tcpHandles = () => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;

interface CaseResult {
  plan: Plan;
  outcome: 'accepted' | 'accepted-unauthenticated' | 'protocol-error' | 'connection-error' | 'other';
  detail: string;
  ms: number;
  connections: number;
  bytesOffered: number;
  problems: string[];
}

async function runCase(plan: Plan, lane: number): Promise<CaseResult> {
  await ask({ type: 'plan', lane, plan }, 'ack');
  const vector = loadVector(plan.vector);
  const problems: string[] = [];

  // The codec on the same bytes: only its own error type, whatever they are.
  const serverPdus = vector.connections[0]!.pdus.filter((p) => p.direction === 'server_to_client');
  const original = serverPdus[plan.target % Math.max(1, serverPdus.length)];
  if (original) {
    const bytes = mutate(Buffer.from(original.hex, 'hex'), plan.mutations);
    for (const parse of [
      () => pduLength(bytes, DEFAULT_MAX_FRAG),
      () => parseBindResponse(bytes, { callId: 2, syntaxes: ['NDR32', 'NDR64', 'BTFN'] }),
      () => parseBindResponse(bytes, { callId: 2, syntaxes: ['NDR32'] }),
      () => parseResponse(bytes, { callId: 2, contextId: 0, syntax: 'NDR32' }),
      () => parseResponse(bytes, { callId: 3, contextId: 1, syntax: 'NDR64' }),
    ]) {
      try {
        parse();
      } catch (error) {
        if (!(error instanceof KmsProtocolError)) problems.push(`codec threw ${String(error)}`);
      }
    }
  }

  const started = performance.now();
  let outcome: CaseResult['outcome'];
  let detail: string;
  try {
    const response = await requestKmsActivation({ host: '127.0.0.1', port: ports[lane] as number }, inputFor(vector), { timeoutMs: TIMEOUT_MS, connectTimeoutMs: TIMEOUT_MS });
    const got = JSON.stringify([response.extendedPid, response.currentCount, response.activationIntervalMinutes, response.renewalIntervalMinutes, response.clientMachineId.toLowerCase()]);
    const recorded = recordedAnswers(vector).includes(got);
    // V4 (MAC) and V6 (HMAC) authenticate the whole answer: a changed value must be refused. V5
    // only hashes its random bytes, so a changed ePID, count or interval is not detectable there.
    if (!recorded && response.protocolVersion !== 5) problems.push(`accepted a tampered V${response.protocolVersion} answer: ${got}`);
    outcome = recorded ? 'accepted' : 'accepted-unauthenticated';
    detail = `V${response.protocolVersion}`;
  } catch (error) {
    if (error instanceof KmsProtocolError) outcome = 'protocol-error';
    else if (error instanceof KmsConnectionError) outcome = 'connection-error';
    else outcome = 'other';
    detail = error instanceof KmsProtocolError ? error.code : error instanceof KmsConnectionError ? error.reason : String(error);
    if (outcome === 'other') problems.push(`an error of another kind: ${error instanceof Error ? error.stack : String(error)}`);
  }
  const ms = performance.now() - started;
  const stats = await ask({ type: 'stats', lane }, 'stats');
  const connections = Math.max(1, Number(stats.connections));
  // connect + bind within one timeout, the request within another, per connection.
  if (ms > connections * 2 * TIMEOUT_MS + SLACK_MS) problems.push(`took ${Math.round(ms)} ms over ${connections} connection(s)`);
  return { plan, outcome, detail, ms, connections, bytesOffered: Number(stats.bytesWritten), problems };
}

describe('fuzzing the network', () => {
  it(`${CASES} mutated host answers over real sockets: typed errors only, within the timeouts, memory bounded`, async () => {
    const plans = fc.sample(planArb, { numRuns: CASES, seed });
    globalThis.gc?.();
    const baseline = process.memoryUsage();
    const tcpBefore = tcpHandles();
    let peakArrayBuffers = baseline.arrayBuffers;
    let peakRss = baseline.rss;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakArrayBuffers = Math.max(peakArrayBuffers, m.arrayBuffers);
      peakRss = Math.max(peakRss, m.rss);
    }, 5);
    const started = performance.now();
    const lanes = Array.from({ length: LANES }, (_, i) => i);
    const results: CaseResult[] = [];
    await pool(lanes, LANES, async (lane) => {
      for (let i = lane; i < plans.length; i += LANES) results.push(await runCase(plans[i] as Plan, lane));
    });
    const wall = performance.now() - started;
    clearInterval(sampler);
    // Whatever the client started (sockets, timers) ends with the case: nothing left behind.
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 3));
    globalThis.gc?.();
    const after = process.memoryUsage();

    const bad = results.filter((r) => r.problems.length > 0);
    if (bad.length > 0) console.log(`[reliability] network fuzz seed ${seed}; failures: ${JSON.stringify(bad.slice(0, 3), null, 1).slice(0, 5000)}`);
    expect(bad.map((r) => r.problems).slice(0, 5)).toEqual([]);
    expect(tcpHandles()).toBeLessThanOrEqual(tcpBefore);

    const floods = results.filter((r) => r.plan.after.startsWith('flood'));
    const offered = floods.reduce((sum, r) => sum + r.bytesOffered, 0);
    const count = (o: CaseResult['outcome']) => results.filter((r) => r.outcome === o).length;
    const details: Record<string, number> = {};
    for (const r of results) details[`${r.outcome}:${r.detail}`] = (details[`${r.outcome}:${r.detail}`] ?? 0) + 1;
    const figures = {
      seed,
      cases: results.length,
      accepted: count('accepted'),
      acceptedUnauthenticatedV5: count('accepted-unauthenticated'),
      protocolErrors: count('protocol-error'),
      connectionErrors: count('connection-error'),
      otherErrors: count('other'),
      timeoutMs: TIMEOUT_MS,
      longestCaseMs: Math.round(Math.max(...results.map((r) => r.ms))),
      floodCases: floods.length,
      floodBytesOffered: offered,
      peakArrayBufferGrowthMB: Number(((peakArrayBuffers - baseline.arrayBuffers) / 2 ** 20).toFixed(1)),
      peakRssGrowthMB: Number(((peakRss - baseline.rss) / 2 ** 20).toFixed(1)),
      heapGrowthAfterGcMB: Number(((after.heapUsed - baseline.heapUsed) / 2 ** 20).toFixed(1)),
      outcomes: details,
      wallSeconds: Number((wall / 1000).toFixed(1)),
    };
    recordFigures('fuzz-network', figures);
    // Memory: a few PDUs' worth per connection, never what the hosts sent.
    expect(peakArrayBuffers - baseline.arrayBuffers).toBeLessThan(64 * 2 ** 20);
    expect(after.heapUsed - baseline.heapUsed).toBeLessThan(64 * 2 ** 20);
    expect(count('other')).toBe(0);
  }, 300_000);
});

describe('the CLI against hostile hosts', () => {
  const hostileCases: Array<[string, Partial<Plan>]> = [
    ['silent after connect', { target: 0, mutations: [{ kind: 'truncate', length: 0 }], after: 'stall' }],
    ['huge fragment length', { target: 0, mutations: [{ kind: 'field', at: 8, width: 2, value: 0xffff }], after: 'stall' }],
    ['closed mid-PDU', { target: 0, mutations: [{ kind: 'truncate', length: 40 }], after: 'close' }],
    ['reset after the bind', { target: 0, mutations: [{ kind: 'truncate', length: 10 }], after: 'reset' }],
    ['a flood of garbage', { target: 0, mutations: [{ kind: 'drep', value: 0x00 }], after: 'flood' }],
    ['a flood of valid-looking PDUs', { target: 0, mutations: [{ kind: 'flip', at: 30, bit: 1 }], after: 'flood-valid' }],
    ['byte by byte', { target: 1, mutations: [{ kind: 'flip', at: 100, bit: 3 }], delivery: 'trickle' }],
    ['NDR size larger than the PDU', { target: 1, mutations: [{ kind: 'field', at: 24, width: 4, value: 0x7fffffff }] }],
    ['response truncated and the host hangs', { target: 1, mutations: [{ kind: 'truncate', length: 120 }], after: 'stall' }],
  ];

  it.each(hostileCases)('%s: a clear failure (exit 5), no stack trace, the store unchanged, within the timeout', async (_name, partial) => {
    const lane = 0;
    const plan: Plan = { vector: 'v6-win-enterprise', target: 0, mutations: [], delivery: 'whole', after: 'continue', early: false, floodBytes: FLOOD_BYTES, seed: 1, ...partial };
    await ask({ type: 'plan', lane, plan }, 'ack');
    const tmp = tempDir('slmgr-nethost-');
    try {
      const store = tmp.path('store.db');
      for (const argv of [['/ipk', WIN_ENTERPRISE], ['/skms', `127.0.0.1:${ports[lane]}`]]) {
        expect((await runCli(argv, { env: { SLMGR_STORE: store, SLMGR_NOW: NOW } })).status).toBe(0);
      }
      const before = (await runCli(['/dlv', '--json'], { env: { SLMGR_STORE: store, SLMGR_NOW: NOW } })).stdout;
      const r = await slmgrSpawn(['/ato', '--backend', 'kms', '--timeout', `${TIMEOUT_MS}ms`, '--connect-timeout', `${TIMEOUT_MS}ms`], { env: cleanEnv({ SLMGR_STORE: store }) });
      expect(r.signal).toBeNull();
      expect(r.status).toBe(5);
      expect(r.stdout).toContain('0xC004F074');
      expect(r.stderr).toMatch(/^slmgr: KMS host 127\.0\.0\.1:\d+ \(skms\): /m);
      expect(STACK_FRAME.test(r.stdout + r.stderr) || CRASH_TEXT.test(r.stdout + r.stderr)).toBe(false);
      // Three protocol versions may be tried, each on its own connection; start-up on top.
      expect(r.ms).toBeLessThan(3 * 2 * TIMEOUT_MS + 5000);
      expect((await runCli(['/dlv', '--json'], { env: { SLMGR_STORE: store, SLMGR_NOW: NOW } })).stdout).toBe(before);
    } finally {
      tmp.cleanup();
    }
  });
});
