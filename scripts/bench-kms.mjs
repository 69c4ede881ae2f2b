// KMS client throughput against a loopback double that replays recorded host bytes, so only the
// client's cost (and the loopback) is measured. Used by bench.mjs; needs a build (dist/).
//
// The double answers each bind, alter_context and request of any connection with the recorded PDU
// of the same kind (the NDR32 or NDR64 response of `v6-win-enterprise-ndr64-second-request`),
// with the call id set to the request's, as a host echoes it. The client is given the recorded
// CMID, clock and IV, so every recorded answer verifies.
import { spawn as spawnChild } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import packet from 'dns-packet';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const vector = JSON.parse(readFileSync(join(root, 'fixtures', 'kms', 'v6-win-enterprise-ndr64-second-request.json'), 'utf8'));
const pdus = vector.connections[0].pdus;
const recorded = (type, nth = 0) => Buffer.from(pdus.filter((p) => p.type === type)[nth].hex, 'hex');
const ANSWERS = {
  11: recorded('bind_ack'),
  14: recorded('alter_context_resp'),
  request: { 0: recorded('response', 0), 1: recorded('response', 1) }, // by p_cont_id: NDR32, NDR64
};

function startLoopingDouble() {
  const server = createServer((socket) => {
    let buffered = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 16 && buffered.length >= buffered.readUInt16LE(8)) {
        const pdu = buffered.subarray(0, buffered.readUInt16LE(8));
        buffered = buffered.subarray(pdu.length);
        const ptype = pdu[2];
        const answer = Buffer.from(ptype === 0 ? ANSWERS.request[pdu.readUInt16LE(20)] : ANSWERS[ptype]);
        answer.writeUInt32LE(pdu.readUInt32LE(12), 12);
        socket.write(answer);
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** Requests per second: `count` activations on one connection, and each on a new connection. */
export async function benchKmsClient({ count = 1000, runs = 3 } = {}) {
  const { KmsSession, requestKmsActivation } = await import(pathToFileURL(join(root, 'dist', 'index.js')).href);
  const [ndr32, ndr64] = vector.connections[0].exchanges;
  const fields = ndr32.kmsRequest.fields;
  // The recorded IV of the recorded request each answer belongs to: the NDR32 one first, then NDR64.
  const input = (exchange) => ({
    product: { applicationId: fields.applicationId, skuId: fields.skuId, kmsCountedId: fields.kmsCountedId, requiredClientCount: fields.requiredClientCount },
    clientMachineId: fields.clientMachineId,
    workstationName: fields.workstationName,
    now: () => new Date(exchange.kmsRequest.fields.requestTimeUtc),
    randomBytes: () => Buffer.from(exchange.kmsRequest.ivHex, 'hex'),
  });
  const server = await startLoopingDouble();
  const endpoint = { host: '127.0.0.1', port: server.address().port };
  const modes = {
    'one connection': async () => {
      const session = await KmsSession.open(endpoint);
      try {
        for (let i = 0; i < count; i++) await session.request(input(i === 0 ? ndr32 : ndr64));
      } finally {
        session.close();
      }
    },
    'new connection per request': async () => {
      for (let i = 0; i < count; i++) await requestKmsActivation(endpoint, input(ndr32));
    },
  };
  const rows = [];
  try {
    for (const [mode, body] of Object.entries(modes)) {
      await body(); // warm-up: JIT, sockets
      const seconds = [];
      for (let r = 0; r < runs; r++) {
        const start = process.hrtime.bigint();
        await body();
        seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
      }
      rows.push({ mode, count, seconds, perSecond: count / median(seconds) });
    }
  } finally {
    server.close();
  }
  return rows;
}

/**
 * Whole-process `slmgr /ato --backend kms` against the double, next to `node -e 0`. The CLI uses a
 * real random IV, so the recorded answer fails its hash check: the run does the whole exchange and
 * ends in 0xC004F074 without writing the store.
 */
export async function benchKmsProcess({ runs = 20 } = {}) {
  const bin = join(root, 'bin', 'slmgr.js');
  const dir = mkdtempSync(join(tmpdir(), 'slmgr-bench-kms-'));
  const server = await startLoopingDouble();
  const env = { ...process.env, SLMGR_STORE: join(dir, 'store.db'), NO_COLOR: '1' };
  for (const key of ['SLMGR_JSON', 'SLMGR_NOW', 'SLMGR_BACKEND', 'SLMGR_EXIT_CODES']) delete env[key];
  // Asynchronous: the double lives in this process and must keep answering while a child runs.
  const spawn = (args, expected) =>
    new Promise((resolve, reject) => {
      const start = process.hrtime.bigint();
      const child = spawnChild(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      child.on('error', reject);
      child.on('close', (status) => {
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        if (status === expected) resolve(ms);
        else reject(new Error(`${args.join(' ')} exited ${status}: ${output}`));
      });
    });
  try {
    await spawn([bin, '/ipk', 'NPPR9-FWDCX-D2C8J-H872K-2YT43'], 0);
    await spawn([bin, '/skms', `127.0.0.1:${server.address().port}`], 0);
    const cases = { 'node -e 0': [['-e', '0'], 0], 'slmgr /ato --backend kms': [[bin, '/ato', '--backend', 'kms'], 5] };
    const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
    for (const [args, expected] of Object.values(cases)) await spawn(args, expected);
    for (let i = 0; i < runs; i++) for (const [name, [args, expected]] of Object.entries(cases)) samples[name].push(await spawn(args, expected));
    const baseline = median(samples['node -e 0']);
    return Object.entries(samples).map(([name, xs]) => ({ name, median: median(xs), min: Math.min(...xs), ratio: median(xs) / baseline }));
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A DNS server on loopback UDP that answers every SRV query with `records` (a stand-in zone). */
function startFakeZone(records) {
  const socket = createSocket('udp4');
  socket.on('message', (message, from) => {
    const query = packet.decode(message);
    const answers = records.map((data) => ({ type: 'SRV', name: query.questions[0].name, ttl: 60, data }));
    socket.send(packet.encode({ id: query.id, type: 'response', flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE, questions: query.questions, answers }), from.port, from.address);
  });
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve(socket)));
}

/**
 * `slmgr check --domain` over `hosts` SRV records, one of them a host that accepts connections and
 * never answers: the hosts are probed concurrently, so the check should take about one timeout.
 */
export async function benchCheckDomain({ hosts = 20, timeoutMs = 1000, runs = 3 } = {}) {
  const { probeKmsHosts } = await import(pathToFileURL(join(root, 'dist', 'backends', 'kms', 'probe.js')).href);
  const { findCheckProduct } = await import(pathToFileURL(join(root, 'dist', 'commands', 'check.js')).href);
  const answering = await startLoopingDouble();
  const silent = createServer(() => undefined);
  await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const records = Array.from({ length: hosts }, (_, i) => ({ priority: 0, weight: i, port: i === 0 ? silent.address().port : answering.address().port, target: '127.0.0.1' }));
  const zone = await startFakeZone(records);
  const [exchange] = vector.connections[0].exchanges;
  const fields = exchange.kmsRequest.fields;
  try {
    const seconds = [];
    let healthy = 0;
    for (let r = 0; r < runs; r++) {
      const start = process.hrtime.bigint();
      const probe = await probeKmsHosts({
        target: null,
        domain: { name: 'bench.test', source: '--domain' },
        product: findCheckProduct(undefined),
        clientMachineId: fields.clientMachineId,
        workstationName: fields.workstationName,
        dnsServer: { host: '127.0.0.1', port: zone.address().port },
        timeoutMs,
        connectTimeoutMs: timeoutMs,
        now: () => new Date(fields.requestTimeUtc),
        randomBytes: () => Buffer.from(exchange.kmsRequest.ivHex, 'hex'),
      });
      seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
      healthy = probe.hosts.filter((h) => h.answer !== null).length;
    }
    return { hosts, timeoutMs, healthy, seconds, ratio: (median(seconds) * 1000) / timeoutMs };
  } finally {
    answering.close();
    silent.close();
    zone.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchKmsClient()) console.log(`${r.mode.padEnd(28)} ${r.perSecond.toFixed(0)} req/s  (${r.count} requests, runs ${r.seconds.map((s) => s.toFixed(3)).join(' / ')} s)`);
  for (const r of await benchKmsProcess()) console.log(`${r.name.padEnd(28)} median ${r.median.toFixed(1)} ms  ratio ${r.ratio.toFixed(2)}x`);
  const check = await benchCheckDomain();
  console.log(`check of ${check.hosts} hosts (1 silent, ${check.healthy} answering): ${check.seconds.map((s) => s.toFixed(2)).join(' / ')} s, ${check.ratio.toFixed(2)}x the ${check.timeoutMs} ms timeout`);
}
