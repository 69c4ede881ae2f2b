// A loopback test double for a KMS host. It never computes a KMS answer: it replays the server
// PDUs of a golden vector byte for byte, in wire order, after each client PDU — optionally
// checking that the client sent exactly the recorded bytes. Hostile modes misbehave the way a
// broken or malicious host might, using recorded bytes or none at all.

import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';

export interface VectorPdu {
  index: number;
  direction: 'client_to_server' | 'server_to_client';
  type: string;
  hex: string;
  truncated: boolean;
}

export interface GoldenVector {
  name: string;
  expectation: Record<string, unknown>;
  connections: Array<{
    pdus: VectorPdu[];
    exchanges: Array<{
      requestPduIndex: number;
      responsePduIndex: number;
      rpc: Record<string, unknown> & { callId: number; contextId: number; transferSyntax: 'NDR32' | 'NDR64' };
      kmsRequest: { hex: string; ivHex?: string; decryptedIvHex?: string; fields: Record<string, unknown> & { requestTimeFiletime: string; clientMachineId: string; workstationName: string } };
      kmsResponse?: { hex: string; fields: Record<string, unknown>; hwidHex?: string };
    }>;
  }>;
}

export const VECTOR_DIR = new URL('../../fixtures/kms/', import.meta.url);

export function loadVector(name: string): GoldenVector {
  return JSON.parse(readFileSync(new URL(`${name}.json`, VECTOR_DIR), 'utf8')) as GoldenVector;
}

export function vectorNames(): string[] {
  return readdirSync(VECTOR_DIR).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
}

export type HostileMode =
  /** Accepts the connection and never sends a byte. */
  | 'silent'
  /** Sends the first half of the recorded bind_ack, then closes. */
  | 'close-mid-pdu'
  /** Answers the bind with bytes that are not DCE/RPC at all. */
  | 'garbage'
  /** Answers with a PDU header whose lengths announce far more than any PDU may hold. */
  | 'huge-fragment'
  /** Resets the connection (RST) as soon as the client has sent its bind. */
  | 'reset'
  /** Replays the recorded answers with every call_id changed. */
  | 'wrong-call-id';

export interface ReplayOptions {
  /**
   * Close the connection when the client's bytes differ from the recording (the default). A
   * function decides per connection (0 = the first).
   */
  strict?: boolean | ((connection: number) => boolean);
  hostile?: HostileMode;
  /** Hold every answer back this long: a slow link, for latency thresholds. */
  delayMs?: number;
  /** The loopback address to listen on: 127.0.0.1 (default) or ::1. */
  address?: '127.0.0.1' | '::1';
}

export interface ReplayHost {
  port: number;
  /** Client PDUs that differed from the recording, as hex, for assertions. */
  mismatches: Array<{ expected: string; actual: string }>;
  connections: number;
  close(): Promise<void>;
}

function readPdus(socket: Socket, onPdu: (pdu: Buffer) => void): void {
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 10) {
      const length = buffered.readUInt16LE(8);
      if (length < 16 || buffered.length < length) break;
      onPdu(buffered.subarray(0, length));
      buffered = buffered.subarray(length);
    }
  });
}

function withCallId(pdu: Buffer, callId: number): Buffer {
  const copy = Buffer.from(pdu);
  if (copy.length >= 16) copy.writeUInt32LE(callId, 12);
  return copy;
}

function hostile(socket: Socket, mode: HostileMode, vector: GoldenVector): void {
  const server = vector.connections[0]!.pdus.filter((p) => p.direction === 'server_to_client');
  const bindAck = Buffer.from(server[0]!.hex, 'hex');
  readPdus(socket, () => {
    switch (mode) {
      case 'silent':
        return;
      case 'close-mid-pdu':
        socket.end(bindAck.subarray(0, bindAck.length >> 1));
        return;
      case 'garbage':
        socket.write(Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n', 'latin1'));
        return;
      case 'huge-fragment': {
        // Header of the recorded bind_ack, with frag_length and alloc_hint at their maxima.
        const header = Buffer.from(bindAck.subarray(0, 24));
        header.writeUInt16LE(0xffff, 8);
        header.writeUInt32LE(0xffffffff, 16);
        socket.write(header);
        return;
      }
      case 'reset':
        socket.resetAndDestroy();
        return;
      case 'wrong-call-id':
        socket.write(withCallId(bindAck, 0x7777));
        return;
    }
  });
}

/**
 * Starts the double on loopback (127.0.0.1 unless told) with an ephemeral port. Connection n replays the first recorded
 * connection of `vectors[n]` (the last vector again once they run out).
 */
export async function startReplayHost(vectors: GoldenVector | readonly GoldenVector[], options: ReplayOptions = {}): Promise<ReplayHost> {
  const script = Array.isArray(vectors) ? vectors : [vectors as GoldenVector];
  const mismatches: ReplayHost['mismatches'] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    const number = connections;
    connections += 1;
    const vector = script[Math.min(number, script.length - 1)] as GoldenVector;
    const strict = typeof options.strict === 'function' ? options.strict(number) : options.strict !== false;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (options.hostile) {
      hostile(socket, options.hostile, vector);
      return;
    }
    const pdus = vector.connections[0]!.pdus;
    let next = 0;
    readPdus(socket, (received) => {
      const expected = pdus[next];
      if (expected?.direction !== 'client_to_server') {
        socket.destroy();
        return;
      }
      next += 1;
      if (strict && received.toString('hex') !== expected.hex) {
        mismatches.push({ expected: expected.hex, actual: received.toString('hex') });
        socket.destroy();
        return;
      }
      const answers: VectorPdu[] = [];
      while (pdus[next]?.direction === 'server_to_client') answers.push(pdus[next++]!);
      const send = () => {
        for (const answer of answers) {
          // A recorded truncated PDU is what the client received before the host hung up.
          if (answer.truncated) {
            socket.end(Buffer.from(answer.hex, 'hex'));
            return;
          }
          socket.write(Buffer.from(answer.hex, 'hex'));
        }
      };
      if (options.delayMs) setTimeout(send, options.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, options.address ?? '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('replay host has no TCP address');
  return {
    port: address.port,
    mismatches,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The recorded client inputs of one exchange, as the client API and the CLI take them. */
export function recordedInputs(vector: GoldenVector, exchangeIndex = 0, connectionIndex = 0) {
  const exchange = vector.connections[connectionIndex]!.exchanges[exchangeIndex]!;
  const fields = exchange.kmsRequest.fields;
  const filetime = BigInt(fields.requestTimeFiletime);
  const requestTime = new Date(Number((filetime - 116_444_736_000_000_000n) / 10_000n));
  const iv = exchange.kmsRequest.ivHex ? Buffer.from(exchange.kmsRequest.ivHex, 'hex') : undefined;
  return {
    exchange,
    requestTime,
    clientMachineId: fields.clientMachineId,
    workstationName: fields.workstationName,
    /** Returns the recorded IV; any other request for randomness is a test bug. */
    randomBytes: (size: number): Uint8Array => {
      if (size !== 16 || iv === undefined) throw new Error(`unexpected randomBytes(${size})`);
      return Buffer.from(iv);
    },
  };
}
