// A hostile KMS host for the network fuzzer, in a process of its own so that its buffers never
// count towards the client's memory. Like test/helpers/kms-replay.ts it never computes a KMS
// answer: it replays the server PDUs recorded in fixtures/kms/, after each client PDU, but one of
// them mutated as the current plan says, delivered as the plan says (whole, in pieces, byte by
// byte), followed by what the plan says (the rest of the recording, a hang-up, a reset, silence,
// or a flood of bytes).
//
// IPC: the parent sends { type: 'plan', lane, plan } and waits for { type: 'ack', lane }; then
// connects to ports[lane]. { type: 'stats', lane } answers { connections, bytesWritten }.

import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { mutate } from './mutations.mjs';

const LANES = Number(process.argv[2] ?? 8);
const VECTOR_DIR = new URL('../../../fixtures/kms/', import.meta.url);
const vectors = new Map(
  readdirSync(VECTOR_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const v = JSON.parse(readFileSync(new URL(f, VECTOR_DIR), 'utf8'));
      return [f.replace(/\.json$/, ''), v.connections.map((c) => c.pdus.map((p) => ({ ...p, bytes: Buffer.from(p.hex, 'hex') })))];
    }),
);

/** Deterministic pieces for a plan: the same plan always cuts the same way. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const lanes = [];
const ports = [];

function serve(lane, socket) {
  const state = lanes[lane];
  const connection = state.connections++;
  const plan = state.plan;
  const script = vectors.get(plan.vector);
  const pdus = script[Math.min(connection, script.length - 1)];
  const serverPdus = pdus.filter((p) => p.direction === 'server_to_client');
  const target = plan.target % Math.max(1, serverPdus.length);
  const random = prng(plan.seed + connection);
  let next = 0;
  let sentServer = 0;
  let halted = false;
  const timers = new Set();
  const later = (fn, ms) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!socket.destroyed) fn();
    }, ms);
    timers.add(t);
  };
  socket.on('error', () => undefined);
  socket.on('close', () => {
    for (const t of timers) clearTimeout(t);
  });
  const write = (bytes) => {
    if (socket.destroyed || bytes.length === 0) return;
    state.bytesWritten += bytes.length;
    socket.write(bytes);
  };

  function flood(valid, original) {
    let sent = 0;
    const chunk = valid && original.length > 0 ? Buffer.concat(Array.from({ length: Math.ceil(65536 / original.length) }, () => original)) : Buffer.alloc(65536, 0x41);
    const pump = () => {
      while (!socket.destroyed && sent < plan.floodBytes) {
        state.bytesWritten += chunk.length;
        sent += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  }

  function deliver(bytes, then) {
    switch (plan.delivery) {
      case 'whole':
        write(bytes);
        then();
        break;
      case 'split10':
        write(bytes.subarray(0, 10));
        later(() => {
          write(bytes.subarray(10));
          then();
        }, 5);
        break;
      case 'chunks': {
        let at = 0;
        const step = () => {
          if (at >= bytes.length) return then();
          const size = 1 + Math.floor(random() * 40);
          write(bytes.subarray(at, at + size));
          at += size;
          later(step, random() < 0.5 ? 0 : 2);
        };
        step();
        break;
      }
      case 'trickle': {
        let at = 0;
        const step = () => {
          if (at >= bytes.length) return then();
          write(bytes.subarray(at, at + 1));
          at += 1;
          later(step, 1);
        };
        step();
        break;
      }
    }
  }

  function afterMutated(mutated) {
    switch (plan.after) {
      case 'continue':
        return false;
      case 'close':
        socket.end();
        return true;
      case 'stall':
        return true;
      case 'reset':
        socket.resetAndDestroy();
        return true;
      case 'flood':
        flood(false, mutated);
        return true;
      case 'flood-valid':
        flood(true, mutated);
        return true;
    }
    return false;
  }

  // Sends the recorded server PDUs that follow the client's, mutating the target one.
  function answer() {
    if (halted) return;
    const queue = [];
    while (pdus[next]?.direction === 'server_to_client') queue.push(pdus[next++]);
    const sendNext = () => {
      const pdu = queue.shift();
      if (!pdu || halted) return;
      const isTarget = sentServer === target;
      sentServer += 1;
      const bytes = isTarget ? mutate(pdu.bytes, plan.mutations) : pdu.bytes;
      deliver(bytes, () => {
        if (pdu.truncated) {
          socket.end();
          halted = true;
          return;
        }
        if (isTarget && afterMutated(bytes)) {
          halted = true;
          return;
        }
        sendNext();
      });
    };
    sendNext();
  }

  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 10) {
      const length = buffered.readUInt16LE(8);
      if (length < 16 || buffered.length < length) break;
      buffered = buffered.subarray(length);
      // The client's PDU stands for the next recorded one; answer with what followed it.
      if (pdus[next]?.direction === 'client_to_server') next += 1;
      answer();
    }
  });
  // Unsolicited: the first recorded answer before the client has said anything (and again later).
  if (plan.early && serverPdus[0]) write(serverPdus[0].bytes);
}

for (let lane = 0; lane < LANES; lane++) {
  lanes.push({ plan: null, connections: 0, bytesWritten: 0 });
  const server = createServer((socket) => serve(lane, socket));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  ports.push(server.address().port);
}

process.on('message', (message) => {
  const state = lanes[message.lane];
  if (message.type === 'plan') {
    state.plan = message.plan;
    state.connections = 0;
    state.bytesWritten = 0;
    process.send({ type: 'ack', lane: message.lane });
  } else if (message.type === 'stats') {
    process.send({ type: 'stats', lane: message.lane, connections: state.connections, bytesWritten: state.bytesWritten });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready', ports });
