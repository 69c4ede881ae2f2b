import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KmsProtocolError, type KmsProtocolErrorCode } from '../../src/kms/errors.js';
import {
  buildAlterContext,
  buildBind,
  buildRequest,
  chooseContext,
  DEFAULT_MAX_FRAG,
  parseBindResponse,
  parseFault,
  parseResponse,
  pduLength,
  readPduHeader,
  type CallSyntax,
  type ContextResult,
  type TransferSyntax,
} from '../../src/kms/rpc.js';

// ---------------------------------------------------------------------------------------------
// Golden vectors (format: fixtures/kms/README.md)

interface DecodedResult {
  result: number;
  reason: number;
  transferSyntax: string;
  version: number;
}
interface Pdu {
  index: number;
  direction: 'client_to_server' | 'server_to_client';
  type: string;
  hex: string;
  truncated: boolean;
  decoded: {
    header: { ptype: number; flags: number; fragLength: number; callId: number };
    body: {
      maxXmitFrag?: number;
      maxRecvFrag?: number;
      assocGroupId?: number;
      secondaryAddress?: string;
      results?: DecodedResult[];
      status?: number;
      contextId?: number;
      allocHint?: number;
    };
  };
}
interface BindParams {
  callId: number;
  syntaxes: TransferSyntax[];
  multiplex: boolean;
  maxFrag: number;
  assocGroupId: number;
}
interface Exchange {
  requestPduIndex: number;
  responsePduIndex: number;
  rpc: {
    callId: number;
    contextId: number;
    opnum: number;
    transferSyntax: CallSyntax;
    response?: { returnCode: number; allocHint: number; size: number };
    fault?: { status: number; callId: number; contextId: number; allocHint: number };
    truncatedResponse?: { announcedFragLength: number; receivedBytes: number };
  };
  kmsRequest: { hex: string };
  kmsResponse?: { hex: string } | null;
}
interface Connection {
  streams: { clientToServerHex: string; serverToClientHex: string };
  pdus: Pdu[];
  negotiatedContexts: Record<string, { syntax: TransferSyntax; accepted: boolean }>;
  bindReproduction: Array<{ pduIndex: number; type: 'bind' | 'alter_context'; parameters: BindParams }>;
  exchanges: Exchange[];
}
interface Vector {
  file: string;
  connections: Connection[];
}

const fixtureDir = new URL('../../fixtures/kms/', import.meta.url);
const vectors: Vector[] = readdirSync(fixtureDir)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({ ...(JSON.parse(readFileSync(new URL(file, fixtureDir), 'utf8')) as Omit<Vector, 'file'>), file }));

const vector = (name: string): Vector => {
  const found = vectors.find((v) => v.file === `${name}.json`);
  if (!found) throw new Error(`missing vector ${name}`);
  return found;
};
const hex = (text: string): Buffer => Buffer.from(text, 'hex');
const pduBytes = (connection: Connection, index: number): Buffer => hex(connection.pdus[index]!.hex);
const expectation = (exchange: Exchange) => ({
  callId: exchange.rpc.callId,
  contextId: exchange.rpc.contextId,
  syntax: exchange.rpc.transferSyntax,
});

/** The bind/alter_context the host was answering: the client PDU right before the reply. */
function sentFor(connection: Connection, replyIndex: number): BindParams {
  const sent = connection.bindReproduction.filter((b) => b.pduIndex < replyIndex).at(-1);
  if (!sent) throw new Error(`no bind before PDU ${replyIndex}`);
  return sent.parameters;
}

const all = <T>(pick: (v: Vector, c: Connection) => T[]): Array<[string, T]> =>
  vectors.flatMap((v) => v.connections.flatMap((c) => pick(v, c).map((item): [string, T] => [v.file, item])));

const bindReplies = all((_, c) =>
  c.pdus.filter((p) => p.type === 'bind_ack' || p.type === 'alter_context_resp').map((p) => ({ c, p })),
);
const exchanges = all((_, c) => c.exchanges.map((e) => ({ c, e })));

function catchKms(action: () => unknown): KmsProtocolError {
  try {
    action();
  } catch (error) {
    if (error instanceof KmsProtocolError) return error;
    throw error;
  }
  throw new Error('expected a KmsProtocolError');
}
const expectCode = (action: () => unknown, code: KmsProtocolErrorCode): KmsProtocolError => {
  const error = catchKms(action);
  expect(error.code, error.message).toBe(code);
  return error;
};

// ---------------------------------------------------------------------------------------------

describe('golden vectors', () => {
  it('covers every file and shape the notes describe', () => {
    expect(vectors.length).toBe(16);
    expect(bindReplies.length).toBeGreaterThanOrEqual(16);
    expect(exchanges.filter(([, { e }]) => e.rpc.transferSyntax === 'NDR64').length).toBeGreaterThanOrEqual(4);
  });

  it.each(all((_, c) => c.bindReproduction.map((b) => ({ c, b }))))(
    '%s: rebuilds the client bind/alter_context byte for byte',
    (_, { c, b }) => {
      const build = b.type === 'bind' ? buildBind : buildAlterContext;
      expect(build(b.parameters).toString('hex')).toBe(c.pdus[b.pduIndex]!.hex);
      expect(c.pdus[b.pduIndex]!.type).toBe(b.type);
    },
  );

  it.each(bindReplies)('%s: parses the bind reply as recorded', (_, { c, p }) => {
    const sent = sentFor(c, p.index);
    const parsed = parseBindResponse(hex(p.hex), sent);
    const body = p.decoded.body;
    expect(parsed.ptype).toBe(p.type);
    expect(parsed.flags).toBe(p.decoded.header.flags);
    expect(parsed.maxXmitFrag).toBe(body.maxXmitFrag);
    expect(parsed.maxRecvFrag).toBe(body.maxRecvFrag);
    expect(parsed.assocGroupId).toBe(body.assocGroupId);
    expect(parsed.secondaryAddress).toBe(body.secondaryAddress);
    expect(
      parsed.results.map(({ result, reason, transferSyntaxUuid, transferSyntaxVersion }) => ({
        result,
        reason,
        transferSyntax: transferSyntaxUuid,
        version: transferSyntaxVersion,
      })),
    ).toEqual(body.results!.map(({ result, reason, transferSyntax, version }) => ({ result, reason, transferSyntax, version })));
    expect(parsed.results.map((r) => r.contextId)).toEqual(sent.syntaxes.map((_s, i) => i));
    expect(parsed.results.map((r) => r.syntax)).toEqual(sent.syntaxes);
  });

  it.each(all((_, c) => [c]))('%s: the bind replies add up to negotiatedContexts', (_, c) => {
    const results: ContextResult[] = c.pdus
      .filter((p) => p.type === 'bind_ack' || p.type === 'alter_context_resp')
      .flatMap((p) => parseBindResponse(hex(p.hex), sentFor(c, p.index)).results);
    const merged = new Map(results.map((r) => [String(r.contextId), { syntax: r.syntax, accepted: r.accepted }]));
    expect(Object.fromEntries(merged)).toEqual(c.negotiatedContexts);
    // Every vector ends with NDR32 usable on context 0, which is what vlmcs sends its first request on.
    expect(chooseContext(results)).toEqual({ contextId: 0, syntax: 'NDR32' });
  });

  it('reads BTFN negotiate_ack as features, never as a usable context', () => {
    const c = vector('v6-win-enterprise').connections[0]!;
    const [ndr32, ndr64, btfn] = parseBindResponse(pduBytes(c, 1), sentFor(c, 1)).results;
    expect(ndr32).toMatchObject({ syntax: 'NDR32', result: 2, reason: 2, accepted: false, negotiateAck: false });
    expect(ndr64).toMatchObject({ syntax: 'NDR64', result: 0, accepted: true, negotiateAck: false });
    expect(btfn).toMatchObject({ syntax: 'BTFN', result: 3, reason: 3, accepted: false, negotiateAck: true });
    expect(chooseContext([ndr32!, ndr64!, btfn!])).toEqual({ contextId: 1, syntax: 'NDR64' });
    expectCode(() => chooseContext([ndr32!, ndr64!, btfn!], ['NDR32']), 'bind-rejected');
  });

  it.each(exchanges)('%s: rebuilds the request PDU byte for byte', (_, { c, e }) => {
    const built = buildRequest({
      callId: e.rpc.callId,
      contextId: e.rpc.contextId,
      syntax: e.rpc.transferSyntax,
      opnum: e.rpc.opnum,
      kmsMessage: hex(e.kmsRequest.hex),
    });
    expect(built.toString('hex')).toBe(c.pdus[e.requestPduIndex]!.hex);
  });

  it.each(exchanges)('%s: parses the response as recorded', (_, { c, e }) => {
    const bytes = pduBytes(c, e.responsePduIndex);
    const { response, fault, truncatedResponse } = e.rpc;
    if (truncatedResponse) {
      expect(bytes.length).toBe(truncatedResponse.receivedBytes);
      expectCode(() => parseResponse(bytes, expectation(e)), 'truncated');
    } else if (fault) {
      expect(expectCode(() => parseResponse(bytes, expectation(e)), 'rpc-fault').status).toBe(fault.status);
    } else if (response!.returnCode !== 0) {
      expect(expectCode(() => parseResponse(bytes, expectation(e)), 'host-hresult').hresult).toBe(response!.returnCode);
    } else {
      const parsed = parseResponse(bytes, expectation(e));
      expect(parsed.kmsMessage.toString('hex')).toBe(e.kmsResponse!.hex);
      expect(parsed.returnCode).toBe(response!.returnCode);
      expect(parsed.allocHint).toBe(response!.allocHint);
    }
  });

  it.each(all((_, c) => [c]))('%s: pduLength splits the captured streams into the recorded PDUs', (_, c) => {
    for (const [direction, stream] of [
      ['client_to_server', hex(c.streams.clientToServerHex)],
      ['server_to_client', hex(c.streams.serverToClientHex)],
    ] as const) {
      const split: string[] = [];
      let rest = stream;
      while (rest.length > 0) {
        const length = pduLength(rest.subarray(0, 10), DEFAULT_MAX_FRAG)!;
        split.push(rest.subarray(0, length).toString('hex'));
        rest = rest.subarray(length);
      }
      expect(split).toEqual(c.pdus.filter((p) => p.direction === direction).map((p) => p.hex));
    }
  });

  it.each(all((_, c) => [c]))('%s: headers agree with the recorded decoding', (_, c) => {
    for (const p of c.pdus) {
      expect(readPduHeader(hex(p.hex))).toMatchObject({
        ptype: p.decoded.header.ptype,
        flags: p.decoded.header.flags,
        fragLength: p.decoded.header.fragLength,
        callId: p.decoded.header.callId,
        drep: 0x10000000,
        authLength: 0,
      });
    }
  });

  it('0xC004F042: the 12-byte NDR32 and the 20-byte NDR64 error stubs', () => {
    const c = vector('neg-v6-product-refused-0xC004F042').connections[0]!;
    const [first, second] = c.exchanges;
    expect(pduBytes(c, first!.responsePduIndex).length).toBe(24 + 12);
    expect(pduBytes(c, second!.responsePduIndex).length).toBe(24 + 20);
    expect(second!.rpc.transferSyntax).toBe('NDR64');
    for (const e of [first!, second!]) {
      const error = expectCode(() => parseResponse(pduBytes(c, e.responsePduIndex), expectation(e)), 'host-hresult');
      expect(error.hresult).toBe(0xc004f042);
    }
  });

  it.each([
    ['neg-v6-unsupported-version-0x8007000D', 0x8007000d],
    ['neg-v6-client-time-skew-0xC004F06C', 0xc004f06c],
  ])('%s: host-hresult', (name, hresult) => {
    const c = vector(name).connections[0]!;
    const e = c.exchanges[0]!;
    expect(expectCode(() => parseResponse(pduBytes(c, e.responsePduIndex), expectation(e)), 'host-hresult').hresult).toBe(hresult);
  });

  it('fault vector: rpc-fault 0x1C010003, matched loosely', () => {
    const c = vector('neg-rpc-fault-unknown-context').connections[0]!;
    const e = c.exchanges[0]!;
    const bytes = pduBytes(c, e.responsePduIndex);
    expect(expectCode(() => parseResponse(bytes, expectation(e)), 'rpc-fault').status).toBe(0x1c010003);
    // vlmcsd puts call_id 2 in every fault, so a fault answers any call.
    expect(expectCode(() => parseResponse(bytes, { ...expectation(e), callId: 9 }), 'rpc-fault').status).toBe(0x1c010003);
    expect(parseFault(bytes)).toEqual({ callId: 2, flags: 0x23, allocHint: 32, contextId: 0, status: 0x1c010003 });
    expect(expectCode(() => parseBindResponse(bytes, { callId: 2, syntaxes: ['NDR32'] }), 'rpc-fault').status).toBe(0x1c010003);
  });

  it('truncated vector: truncated, while pduLength tells the reader to wait for 300 bytes', () => {
    const c = vector('neg-v6-truncated-response').connections[0]!;
    const e = c.exchanges[0]!;
    const bytes = pduBytes(c, e.responsePduIndex);
    expect(pduLength(bytes, DEFAULT_MAX_FRAG)).toBe(300);
    expectCode(() => parseResponse(bytes, expectation(e)), 'truncated');
  });
});

// ---------------------------------------------------------------------------------------------
// Cases no vector shows, made by editing recorded PDUs.

const fullBind = vector('v6-win-enterprise').connections[0]!;
const recordedAck = pduBytes(fullBind, 1); // 108 bytes: results at 36, 60, 84
const recordedAlterResp = pduBytes(fullBind, 3);
const offeredAll = { callId: 2, syntaxes: ['NDR32', 'NDR64', 'BTFN'] as TransferSyntax[] };
const ndr32Exchange = fullBind.exchanges[0]!;
const recordedResponse = pduBytes(fullBind, ndr32Exchange.responsePduIndex);
const ndr64Connection = vector('v6-win-enterprise-ndr64-second-request').connections[0]!;
const ndr64Exchange = ndr64Connection.exchanges[1]!;
const recordedNdr64Response = pduBytes(ndr64Connection, ndr64Exchange.responsePduIndex);
const v4Connection = vector('v4-win-enterprise').connections[0]!;
const v4Exchange = v4Connection.exchanges[0]!;
const recordedV4Response = pduBytes(v4Connection, v4Exchange.responsePduIndex); // stub 176, message 160

const NDR32_RESULT = recordedAlterResp.subarray(-24); // acceptance, NDR32 v2
const edit = (bytes: Buffer, change: (copy: Buffer) => void): Buffer => {
  const copy = Buffer.from(bytes);
  change(copy);
  return copy;
};
const rejection = (reason: number): Buffer => Buffer.concat([hex('0200'), Buffer.from([reason, 0]), Buffer.alloc(20)]);

describe('bind replies no vector shows', () => {
  it('a host without NDR64/BTFN accepts NDR32 in the bind_ack, so no alter_context is needed', () => {
    const ack = edit(recordedAck, (b) => {
      NDR32_RESULT.copy(b, 36);
      rejection(2).copy(b, 60);
      rejection(2).copy(b, 84);
    });
    const parsed = parseBindResponse(ack, offeredAll);
    expect(parsed.results.map((r) => [r.syntax, r.accepted])).toEqual([
      ['NDR32', true],
      ['NDR64', false],
      ['BTFN', false],
    ]);
    expect(parsed.results.some((r) => r.syntax === 'NDR32' && r.accepted)).toBe(true);
    expect(chooseContext(parsed.results)).toEqual({ contextId: 0, syntax: 'NDR32' });
    expect(chooseContext(parsed.results, ['NDR64', 'NDR32'])).toEqual({ contextId: 0, syntax: 'NDR32' });
  });

  it('a bind_ack rejecting everything parses, and chooseContext reports bind-rejected', () => {
    const ack = edit(recordedAck, (b) => {
      rejection(2).copy(b, 36);
      rejection(2).copy(b, 60);
      rejection(2).copy(b, 84);
    });
    const parsed = parseBindResponse(ack, offeredAll);
    expect(parsed.results.every((r) => !r.accepted && !r.negotiateAck)).toBe(true);
    expectCode(() => chooseContext(parsed.results), 'bind-rejected');
  });

  it('acceptance of a syntax other than the one offered is not an accepted context', () => {
    const ack = edit(recordedAck, (b) => b.copy(b, 36, 60, 84)); // slot 0 (NDR32) now "accepts" NDR64
    expect(parseBindResponse(ack, offeredAll).results[0]).toMatchObject({ result: 0, accepted: false });
    const wrongVersion = edit(recordedAlterResp, (b) => b.writeUInt32LE(1, b.length - 4));
    expect(parseBindResponse(wrongVersion, { callId: 2, syntaxes: ['NDR32'] }).results[0]!.accepted).toBe(false);
  });

  it('uses caller-chosen context ids and ignores the alignment pad content', () => {
    const ack = edit(recordedAck, (b) => b.writeUInt8(0xff, 31));
    const parsed = parseBindResponse(ack, { ...offeredAll, contextIds: [7, 8, 9] });
    expect(parsed.results.map((r) => r.contextId)).toEqual([7, 8, 9]);
    expect(chooseContext(parsed.results)).toEqual({ contextId: 8, syntax: 'NDR64' });
  });

  it('bind_nak is bind-rejected', () => {
    // reason 4 (protocol version not supported), one supported version 5.0
    const nak = hex('05000d0310000000160000000200000004000105000000');
    nak.writeUInt16LE(nak.length, 8);
    expectCode(() => parseBindResponse(nak, offeredAll), 'bind-rejected');
    expectCode(() => parseBindResponse(nak.subarray(0, 16), offeredAll), 'truncated');
    const bare = edit(nak.subarray(0, 16), (b) => b.writeUInt16LE(16, 8));
    expectCode(() => parseBindResponse(bare, offeredAll), 'bind-rejected');
  });

  it.each([
    ['wrong call id', (b: Buffer) => b.writeUInt32LE(3, 12)],
    ['wrong drep', (b: Buffer) => b.writeUInt8(0x00, 4)],
    ['auth_length set', (b: Buffer) => b.writeUInt16LE(8, 10)],
    ['not last_frag', (b: Buffer) => b.writeUInt8(0x11, 3)],
    ['n_results differs from the offer', (b: Buffer) => b.writeUInt8(2, 32)],
    ['a request ptype', (b: Buffer) => b.writeUInt8(0, 2)],
    ['version 4.0', (b: Buffer) => b.writeUInt8(4, 0)],
  ])('bind_ack with %s is malformed', (_, change) => {
    expectCode(() => parseBindResponse(edit(recordedAck, change), offeredAll), 'malformed');
  });

  it('bind_ack length problems', () => {
    expectCode(() => parseBindResponse(recordedAck.subarray(0, 100), offeredAll), 'truncated');
    expectCode(() => parseBindResponse(Buffer.concat([recordedAck, Buffer.alloc(4)]), offeredAll), 'malformed');
    const longAddress = edit(recordedAck, (b) => b.writeUInt16LE(500, 24));
    expectCode(() => parseBindResponse(longAddress, offeredAll), 'truncated');
  });
});

// Re-frame a response stub into a PDU built on the recorded header (call id 2, context 0).
function responseWith(stub: Buffer, template = recordedResponse): Buffer {
  const pdu = Buffer.concat([template.subarray(0, 24), stub]);
  pdu.writeUInt16LE(pdu.length, 8);
  pdu.writeUInt32LE(stub.length, 16);
  return pdu;
}
const u32 = (value: number): Buffer => edit(Buffer.alloc(4), (b) => b.writeUInt32LE(value >>> 0));

describe('responses no vector shows', () => {
  const expected = expectation(ndr32Exchange);

  it.each([
    ['wrong call id', (b: Buffer) => b.writeUInt32LE(3, 12)],
    ['wrong drep', (b: Buffer) => b.writeUInt8(0x00, 4)],
    ['auth_length set', (b: Buffer) => b.writeUInt16LE(8, 10)],
    ['cancel_count set', (b: Buffer) => b.writeUInt8(1, 22)],
    ['another context', (b: Buffer) => b.writeUInt16LE(1, 20)],
    ['not first_frag', (b: Buffer) => b.writeUInt8(0x02, 3)],
    ['ptype bind_ack', (b: Buffer) => b.writeUInt8(12, 2)],
    ['responseSize different from max_count', (b: Buffer) => b.writeUInt32LE(259, 24)],
  ])('%s is malformed', (_, change) => {
    expectCode(() => parseResponse(edit(recordedResponse, change), expected), 'malformed');
  });

  it('NDR64: responseSize different from max_count, and a non-zero high half of max_count', () => {
    const ndr64 = expectation(ndr64Exchange);
    expectCode(() => parseResponse(edit(recordedNdr64Response, (b) => b.writeUInt32LE(259, 24)), ndr64), 'malformed');
    expectCode(() => parseResponse(edit(recordedNdr64Response, (b) => b.writeUInt32LE(1, 44)), ndr64), 'malformed');
    // The 4 bytes padding responseSize to the 8-byte referent carry no value.
    const padded = parseResponse(edit(recordedNdr64Response, (b) => b.writeUInt32LE(0xdeadbeef, 28)), ndr64);
    expect(padded.kmsMessage.toString('hex')).toBe(ndr64Connection.exchanges[1]!.kmsResponse!.hex);
  });

  it('frag_length 0xFFFF: pduLength refuses it, and a short buffer is truncated', () => {
    const huge = edit(recordedResponse, (b) => b.writeUInt16LE(0xffff, 8));
    expectCode(() => pduLength(huge, DEFAULT_MAX_FRAG), 'pdu-too-large');
    expectCode(() => pduLength(huge.subarray(0, 10)), 'pdu-too-large');
    expect(pduLength(huge, 0x10000)).toBe(0xffff);
    expectCode(() => parseResponse(huge, expected), 'truncated');
  });

  it('pduLength waits for 10 bytes and rejects impossible headers', () => {
    expect(pduLength(recordedResponse.subarray(0, 9), DEFAULT_MAX_FRAG)).toBeUndefined();
    expect(pduLength(recordedResponse.subarray(0, 10), DEFAULT_MAX_FRAG)).toBe(300);
    expectCode(() => pduLength(edit(recordedResponse, (b) => b.writeUInt16LE(15, 8)), DEFAULT_MAX_FRAG), 'malformed');
    expectCode(() => pduLength(edit(recordedResponse, (b) => b.writeUInt8(6, 0)), DEFAULT_MAX_FRAG), 'malformed');
    expectCode(() => pduLength(edit(recordedResponse, (b) => b.writeUInt8(1, 1)), DEFAULT_MAX_FRAG), 'malformed');
    expectCode(() => pduLength(edit(recordedResponse, (b) => b.writeUInt8(0x00, 4)), DEFAULT_MAX_FRAG), 'malformed');
    expectCode(() => pduLength(edit(recordedResponse, (b) => b.writeUInt16LE(301, 8)), 300), 'pdu-too-large');
  });

  it('a buffer longer than frag_length is malformed, a shorter one truncated', () => {
    expectCode(() => parseResponse(Buffer.concat([recordedResponse, Buffer.alloc(1)]), expected), 'malformed');
    expectCode(() => parseResponse(recordedResponse.subarray(0, 299), expected), 'truncated');
    expectCode(() => readPduHeader(recordedResponse.subarray(0, 15)), 'truncated');
  });

  it('a stub shorter than its array is truncated, even when frag_length agrees', () => {
    const stub = recordedResponse.subarray(24, 24 + 100);
    expectCode(() => parseResponse(responseWith(stub), expected), 'truncated');
    const noReturnValue = recordedResponse.subarray(24, recordedResponse.length - 4);
    expectCode(() => parseResponse(responseWith(noReturnValue), expected), 'truncated');
  });

  it('a NULL array with S_OK is malformed', () => {
    expectCode(() => parseResponse(responseWith(Buffer.alloc(12)), expected), 'malformed');
  });

  describe('V4-sized message (even-length ePID, length 2 mod 4)', () => {
    const message = recordedV4Response.subarray(36, 36 + 158);
    const expectedV4 = expectation(v4Exchange);
    const sizes = Buffer.concat([u32(158), u32(0x20000), u32(158)]);

    it('vlmcsd layout (return value unaligned, pad after it) reads S_OK at the aligned offset 172', () => {
      const stub = Buffer.concat([sizes, message, u32(0), Buffer.alloc(2)]);
      expect(stub.length).toBe(176);
      const parsed = parseResponse(responseWith(stub, recordedV4Response), expectedV4);
      expect(parsed.kmsMessage.equals(message)).toBe(true);
      expect(parsed.returnCode).toBe(0);
      expect(parsed.allocHint).toBe(176);
    });

    it('NDR layout: whatever sits in the pad is skipped, the HRESULT at 172 counts', () => {
      const okWithJunkPad = Buffer.concat([sizes, message, hex('abcd'), u32(0)]);
      expect(parseResponse(responseWith(okWithJunkPad, recordedV4Response), expectedV4).kmsMessage.equals(message)).toBe(true);
      const failure = Buffer.concat([sizes, message, Buffer.alloc(2), u32(0xc004f042)]);
      const error = expectCode(() => parseResponse(responseWith(failure, recordedV4Response), expectedV4), 'host-hresult');
      expect(error.hresult).toBe(0xc004f042);
    });

    it('NDR64: the HRESULT sits at the next 4-byte boundary after the data, not 8', () => {
      const ndr64 = expectation(ndr64Exchange);
      const sizes64 = Buffer.concat([u32(158), u32(0), u32(0x20000), u32(0), u32(158), u32(0)]);
      const stub = Buffer.concat([sizes64, message, Buffer.alloc(2), u32(0x8007000d)]);
      expect(stub.length).toBe(188);
      const pdu = responseWith(stub, recordedNdr64Response);
      expect(expectCode(() => parseResponse(pdu, ndr64), 'host-hresult').hresult).toBe(0x8007000d);
    });
  });

  it('a kmsMessage is a copy, not a view of the caller buffer', () => {
    const bytes = Buffer.from(recordedResponse);
    const parsed = parseResponse(bytes, expected);
    bytes.fill(0);
    expect(parsed.kmsMessage.toString('hex')).toBe(ndr32Exchange.kmsResponse!.hex);
  });
});

describe('builders', () => {
  it('lay out bind context ids and the multiplex flag as asked', () => {
    const pdu = buildAlterContext({ callId: 7, syntaxes: ['NDR64', 'NDR32'], multiplex: false, maxFrag: 4096, assocGroupId: 0x1234, contextIds: [3, 4] });
    expect(pdu.length).toBe(28 + 2 * 44);
    expect(readPduHeader(pdu)).toMatchObject({ ptype: 14, flags: 3, fragLength: pdu.length, callId: 7 });
    expect([pdu.readUInt16LE(28), pdu.readUInt16LE(72)]).toEqual([3, 4]);
    expect(pdu.readUInt32LE(20)).toBe(0x1234);
  });

  it('refuse arguments that cannot be encoded', () => {
    expect(() => buildBind({ callId: 2, syntaxes: [], multiplex: true, maxFrag: 5840, assocGroupId: 0 })).toThrow(RangeError);
    expect(() => buildBind({ callId: 2, syntaxes: ['NDR32'], multiplex: true, maxFrag: 5840, assocGroupId: 0, contextIds: [0, 1] })).toThrow(RangeError);
    expect(() => buildRequest({ callId: 2, contextId: 0, syntax: 'NDR32', kmsMessage: Buffer.alloc(0x10000) })).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Whatever arrives, parsers fail only with KmsProtocolError.

const seeds: Buffer[] = [
  ...bindReplies.map(([, { p }]) => hex(p.hex)),
  ...exchanges.map(([, { c, e }]) => pduBytes(c, e.responsePduIndex)),
  recordedV4Response,
];
// Offsets of every length or count field in the seeds: frag_length, alloc_hint, sec_addr length,
// n_results, the stub's size/referent/max_count words.
const lengthFieldOffsets = [8, 16, 24, 28, 32, 36, 40, 44];

function runEveryParser(bytes: Uint8Array): void {
  const attempts: Array<() => unknown> = [
    () => pduLength(bytes, DEFAULT_MAX_FRAG),
    () => readPduHeader(bytes),
    () => parseFault(bytes),
    () => parseBindResponse(bytes, offeredAll),
    () => parseBindResponse(bytes, { callId: 2, syntaxes: ['NDR32'] }),
    () => parseResponse(bytes, { callId: 2, contextId: 0, syntax: 'NDR32' }),
    () => parseResponse(bytes, { callId: 3, contextId: 1, syntax: 'NDR64' }),
  ];
  for (const attempt of attempts) {
    try {
      attempt();
    } catch (error) {
      if (!(error instanceof KmsProtocolError)) throw error;
    }
  }
}

describe('robustness', () => {
  const seed = fc.constantFrom(...seeds);
  const runs = { numRuns: 2000 };

  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => runEveryParser(bytes)), runs);
  });

  it('random bytes behind a valid-looking header', () => {
    const header = fc.record({
      ptype: fc.oneof(fc.constantFrom(0, 2, 3, 12, 13, 15), fc.integer({ min: 0, max: 255 })),
      body: fc.uint8Array({ maxLength: 400 }),
    });
    fc.assert(
      fc.property(header, ({ ptype, body }) => {
        const pdu = Buffer.concat([hex('05000003100000000000000002000000'), body]);
        pdu.writeUInt8(ptype, 2);
        pdu.writeUInt16LE(Math.min(pdu.length, 0xffff), 8);
        runEveryParser(pdu);
      }),
      runs,
    );
  });

  it('truncations', () => {
    fc.assert(
      fc.property(seed, fc.nat(), (pdu, cut) => {
        const short = pdu.subarray(0, cut % (pdu.length + 1));
        runEveryParser(short);
        if (short.length >= 10) runEveryParser(edit(short, (b) => b.writeUInt16LE(b.length, 8)));
      }),
      runs,
    );
  });

  it('bit flips', () => {
    fc.assert(
      fc.property(seed, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), (pdu, bits) => {
        runEveryParser(
          edit(pdu, (b) => {
            for (const bit of bits) {
              const at = (bit >> 3) % b.length;
              b.writeUInt8(b[at]! ^ (1 << (bit & 7)), at);
            }
          }),
        );
      }),
      runs,
    );
  });

  it('length-field mutations', () => {
    fc.assert(
      fc.property(
        seed,
        fc.constantFrom(...lengthFieldOffsets),
        fc.constantFrom(1, 2, 4),
        fc.oneof(fc.constantFrom(0, 1, 0xff, 0xffff, 0xffffffff, 0x80000000), fc.nat()),
        (pdu, offset, width, value) => {
          runEveryParser(
            edit(pdu, (b) => {
              if (offset + width > b.length) return;
              if (width === 1) b.writeUInt8(value & 0xff, offset);
              else if (width === 2) b.writeUInt16LE(value & 0xffff, offset);
              else b.writeUInt32LE(value >>> 0, offset);
            }),
          );
        },
      ),
      runs,
    );
  });
});
