// DCE/RPC connection-oriented PDUs (version 5.0) as the KMS protocol uses them: bind,
// alter_context, one request and its response or fault. Pure byte codec: the transport feeds
// whole PDUs (sized with `pduLength`) and the KMS message inside a stub stays opaque here.
//
// Builders take values from our own code, so bad arguments are programming errors (RangeError).
// Parsers take bytes from the network, so everything they reject is a KmsProtocolError.

import { ByteReader, guidToBytes } from './bytes.js';
import { KmsProtocolError } from './errors.js';

export type TransferSyntax = 'NDR32' | 'NDR64' | 'BTFN';
/** The syntaxes a call can be marshalled in (BTFN only negotiates features). */
export type CallSyntax = 'NDR32' | 'NDR64';

export const KMS_INTERFACE = { uuid: '51c82175-844e-4750-b0d8-ec255555bc06', versionMajor: 1, versionMinor: 0 } as const;

export const TRANSFER_SYNTAXES: Readonly<Record<TransferSyntax, { readonly uuid: string; readonly version: number }>> = {
  NDR32: { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', version: 2 },
  NDR64: { uuid: '71710533-beba-4937-8319-b5dbef9ccc36', version: 1 },
  // Bind-time feature negotiation: bytes 8.. of the "UUID" are the feature bitmask we offer
  // (0x01 security-context multiplexing | 0x02 keep connection on orphan).
  BTFN: { uuid: '6cb71c2c-9812-4540-0300-000000000000', version: 1 },
};

export const PTYPE = {
  request: 0,
  response: 2,
  fault: 3,
  bind: 11,
  bindAck: 12,
  bindNak: 13,
  alterContext: 14,
  alterContextResp: 15,
} as const;

export const PFC_FIRST_FRAG = 0x01;
export const PFC_LAST_FRAG = 0x02;
/** "Concurrent multiplexing", which vlmcs sets on bind/alter_context unless told not to. */
export const PFC_CONC_MPX = 0x10;

/** p_result_t values in bind_ack / alter_context_resp. */
export const BIND_RESULT = { acceptance: 0, userRejection: 1, providerRejection: 2, negotiateAck: 3 } as const;

export const DEFAULT_MAX_FRAG = 5840;
export const RPC_HEADER_LENGTH = 16;

/** Little-endian integers, ASCII characters, IEEE floats: `10 00 00 00` on the wire, read big-endian. */
const DREP = 0x1000_0000;
const CONTEXT_ELEMENT_LENGTH = 44;
const REQUEST_HEADER_LENGTH = 24;
const MAX_FRAG_LENGTH = 0xffff;

const FAULT_NAMES: Readonly<Record<number, string>> = {
  0x1c01_0003: 'nca_unk_if',
  0x1c01_000b: 'nca_proto_error',
};

const hex32 = (value: number): string => `0x${(value >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
const align4 = (offset: number): number => (offset + 3) & ~3;

// ---------------------------------------------------------------------------------------------
// Header

export interface RpcHeader {
  ptype: number;
  flags: number;
  /** The four data-representation bytes read big-endian, so the usual value reads 0x10000000. */
  drep: number;
  fragLength: number;
  authLength: number;
  callId: number;
}

function writeHeader(out: Buffer, ptype: number, flags: number, callId: number): void {
  out.writeUInt8(5, 0);
  out.writeUInt8(0, 1);
  out.writeUInt8(ptype, 2);
  out.writeUInt8(flags, 3);
  out.writeUInt32BE(DREP, 4);
  if (out.length > MAX_FRAG_LENGTH) throw new RangeError(`PDU of ${out.length} bytes does not fit frag_length`);
  out.writeUInt16LE(out.length, 8);
  out.writeUInt16LE(0, 10);
  out.writeUInt32LE(callId, 12);
}

function checkFraming(major: number, minor: number, fragLength: number): void {
  if (major !== 5 || minor !== 0) {
    throw new KmsProtocolError('malformed', `not a DCE/RPC 5.0 PDU (version ${major}.${minor})`);
  }
  if (fragLength < RPC_HEADER_LENGTH) {
    throw new KmsProtocolError('malformed', `frag_length ${fragLength} is shorter than the PDU header`);
  }
}

/**
 * How many bytes the PDU starting at `headerBytes[0]` occupies, or undefined while fewer than the
 * 10 bytes that carry frag_length have arrived. Lets a stream reader wait for a whole PDU without
 * trusting a hostile length: anything above `maxPduSize` is refused before it is buffered.
 */
export function pduLength(headerBytes: Uint8Array, maxPduSize: number = DEFAULT_MAX_FRAG): number | undefined {
  if (headerBytes.length < 10) return undefined;
  // frag_length is only meaningful when we agree on the byte order it is written in.
  if ((headerBytes[4]! & 0xf0) !== 0x10) {
    throw new KmsProtocolError('malformed', 'PDU is not in little-endian data representation');
  }
  const fragLength = headerBytes[8]! | (headerBytes[9]! << 8);
  checkFraming(headerBytes[0]!, headerBytes[1]!, fragLength);
  if (fragLength > maxPduSize) {
    throw new KmsProtocolError('pdu-too-large', `PDU announces ${fragLength} bytes, more than the ${maxPduSize} accepted`);
  }
  return fragLength;
}

export function readPduHeader(bytes: Uint8Array): RpcHeader {
  const reader = new ByteReader(bytes);
  const major = reader.u8('rpc_vers');
  const minor = reader.u8('rpc_vers_minor');
  const ptype = reader.u8('PTYPE');
  const flags = reader.u8('pfc_flags');
  const drep = reader.take(4, 'packed_drep').readUInt32BE(0);
  const fragLength = reader.u16('frag_length');
  const authLength = reader.u16('auth_length');
  const callId = reader.u32('call_id');
  checkFraming(major, minor, fragLength);
  return { ptype, flags, drep, fragLength, authLength, callId };
}

/** The header of a PDU the caller claims is complete: it must be exactly frag_length long. */
function readWholePdu(pdu: Uint8Array): RpcHeader {
  const header = readPduHeader(pdu);
  if (pdu.length < header.fragLength) {
    throw new KmsProtocolError('truncated', `PDU announces ${header.fragLength} bytes but only ${pdu.length} arrived`);
  }
  if (pdu.length > header.fragLength) {
    throw new KmsProtocolError('malformed', `${pdu.length} bytes given for a PDU of frag_length ${header.fragLength}`);
  }
  return header;
}

// The checks vlmcs applies to every reply it expects (faults are matched more loosely).
function checkReplyHeader(header: RpcHeader, callId: number, what: string): void {
  if (header.callId !== callId) {
    throw new KmsProtocolError('malformed', `${what} has call_id ${header.callId}, expected ${callId}`);
  }
  if ((header.flags & (PFC_FIRST_FRAG | PFC_LAST_FRAG)) !== (PFC_FIRST_FRAG | PFC_LAST_FRAG)) {
    throw new KmsProtocolError('malformed', `${what} is fragmented (flags 0x${header.flags.toString(16)}), which KMS never does`);
  }
  if (header.drep !== DREP) {
    throw new KmsProtocolError('malformed', `${what} has data representation ${hex32(header.drep)}, expected 0x10000000`);
  }
  if (header.authLength !== 0) {
    throw new KmsProtocolError('malformed', `${what} carries ${header.authLength} bytes of authentication, KMS uses none`);
  }
}

// ---------------------------------------------------------------------------------------------
// Fault

export interface RpcFault {
  /** vlmcsd always sends 2 here, whatever the request's call_id was. */
  callId: number;
  flags: number;
  allocHint: number;
  contextId: number;
  status: number;
}

/**
 * Reads a fault PDU. Only the status matters: vlmcsd leaves cancel_count/reserved uninitialised
 * and fixes call_id at 2, so neither is checked.
 */
export function parseFault(pdu: Uint8Array): RpcFault {
  const header = readWholePdu(pdu);
  if (header.ptype !== PTYPE.fault) {
    throw new KmsProtocolError('malformed', `expected a fault PDU, got ptype ${header.ptype}`);
  }
  const reader = new ByteReader(pdu, RPC_HEADER_LENGTH);
  const allocHint = reader.u32('fault alloc_hint');
  const contextId = reader.u16('fault p_cont_id');
  reader.skip(2, 'fault cancel_count');
  const status = reader.u32('fault status');
  return { callId: header.callId, flags: header.flags, allocHint, contextId, status };
}

function faultError(pdu: Uint8Array): KmsProtocolError {
  const { status } = parseFault(pdu);
  const name = FAULT_NAMES[status];
  return new KmsProtocolError('rpc-fault', `host answered with RPC fault ${hex32(status)}${name ? ` (${name})` : ''}`, { status });
}

// ---------------------------------------------------------------------------------------------
// bind / alter_context

export interface BindParameters {
  callId: number;
  /** Offered in this order; each becomes one presentation context. */
  syntaxes: readonly TransferSyntax[];
  multiplex: boolean;
  maxFrag: number;
  assocGroupId: number;
  /** p_cont_id of each offered syntax; defaults to its index. */
  contextIds?: readonly number[];
}

function contextIdsOf(p: Pick<BindParameters, 'syntaxes' | 'contextIds'>): readonly number[] {
  if (p.contextIds === undefined) return p.syntaxes.map((_, index) => index);
  if (p.contextIds.length !== p.syntaxes.length) {
    throw new RangeError(`${p.contextIds.length} context ids for ${p.syntaxes.length} syntaxes`);
  }
  return p.contextIds;
}

function buildContextRequest(ptype: number, p: BindParameters): Buffer {
  const ids = contextIdsOf(p);
  if (p.syntaxes.length === 0 || p.syntaxes.length > 0xff) {
    throw new RangeError(`cannot offer ${p.syntaxes.length} presentation contexts`);
  }
  const out = Buffer.alloc(28 + CONTEXT_ELEMENT_LENGTH * p.syntaxes.length);
  writeHeader(out, ptype, PFC_FIRST_FRAG | PFC_LAST_FRAG | (p.multiplex ? PFC_CONC_MPX : 0), p.callId);
  out.writeUInt16LE(p.maxFrag, 16); // max_xmit_frag
  out.writeUInt16LE(p.maxFrag, 18); // max_recv_frag
  out.writeUInt32LE(p.assocGroupId, 20);
  out.writeUInt8(p.syntaxes.length, 24);
  const abstractSyntax = guidToBytes(KMS_INTERFACE.uuid);
  p.syntaxes.forEach((syntax, index) => {
    const at = 28 + CONTEXT_ELEMENT_LENGTH * index;
    out.writeUInt16LE(ids[index]!, at);
    out.writeUInt8(1, at + 2); // n_transfer_syn
    abstractSyntax.copy(out, at + 4);
    out.writeUInt16LE(KMS_INTERFACE.versionMajor, at + 20);
    out.writeUInt16LE(KMS_INTERFACE.versionMinor, at + 22);
    guidToBytes(TRANSFER_SYNTAXES[syntax].uuid).copy(out, at + 24);
    out.writeUInt32LE(TRANSFER_SYNTAXES[syntax].version, at + 40);
  });
  return out;
}

export function buildBind(p: BindParameters): Buffer {
  return buildContextRequest(PTYPE.bind, p);
}

/**
 * vlmcs re-offers NDR32 under the p_cont_id (0) the bind_ack had rejected, with the bind's call_id;
 * the default context id (the index) reproduces that for a single-syntax offer.
 */
export function buildAlterContext(p: BindParameters): Buffer {
  return buildContextRequest(PTYPE.alterContext, p);
}

export interface ContextResult {
  contextId: number;
  /** What we offered under this context id. */
  syntax: TransferSyntax;
  /** p_result_t, see BIND_RESULT. */
  result: number;
  /** Rejection reason, or for BTFN's negotiate_ack the acknowledged feature bitmask. */
  reason: number;
  transferSyntaxUuid: string;
  transferSyntaxVersion: number;
  /**
   * The context can carry calls: result 0 with exactly the syntax offered. Never true for BTFN,
   * which is a feature negotiation and not a usable context (see `negotiateAck`).
   */
  accepted: boolean;
  /** BTFN only: the host answered negotiate_ack; `reason` holds the features it agreed to. */
  negotiateAck: boolean;
}

export interface BindResult {
  ptype: 'bind_ack' | 'alter_context_resp';
  flags: number;
  assocGroupId: number;
  maxXmitFrag: number;
  maxRecvFrag: number;
  /** The host's port as text in vlmcsd; empty in alter_context_resp. Useless to a client. */
  secondaryAddress: string;
  results: ContextResult[];
}

/**
 * Parses the answer to a bind or alter_context. Returns even when every context was rejected,
 * since a bind_ack that only accepts NDR64 is the normal prelude to alter_context; use
 * `chooseContext` to turn "nothing usable" into 'bind-rejected'. bind_nak throws 'bind-rejected',
 * a fault 'rpc-fault'. The caller should check `ptype` matches what it sent.
 */
export function parseBindResponse(
  pdu: Uint8Array,
  sent: Pick<BindParameters, 'callId' | 'syntaxes' | 'contextIds'>,
): BindResult {
  const header = readWholePdu(pdu);
  if (header.ptype === PTYPE.fault) throw faultError(pdu);
  if (header.ptype === PTYPE.bindNak) {
    const reason = pdu.length >= 18 ? pdu[16]! | (pdu[17]! << 8) : undefined;
    throw new KmsProtocolError('bind-rejected', `host refused the bind (bind_nak${reason === undefined ? '' : `, reason ${reason}`})`);
  }
  if (header.ptype !== PTYPE.bindAck && header.ptype !== PTYPE.alterContextResp) {
    throw new KmsProtocolError('malformed', `expected bind_ack or alter_context_resp, got ptype ${header.ptype}`);
  }
  const ptype = header.ptype === PTYPE.bindAck ? 'bind_ack' : 'alter_context_resp';
  checkReplyHeader(header, sent.callId, ptype);

  const reader = new ByteReader(pdu, RPC_HEADER_LENGTH);
  const maxXmitFrag = reader.u16('max_xmit_frag');
  const maxRecvFrag = reader.u16('max_recv_frag');
  const assocGroupId = reader.u32('assoc_group_id');
  const addressLength = reader.u16('sec_addr length');
  const address = reader.take(addressLength, 'sec_addr');
  const nul = address.indexOf(0);
  const secondaryAddress = address.subarray(0, nul < 0 ? address.length : nul).toString('latin1');
  // The pad's content is whatever was on vlmcsd's stack; only its length is defined.
  reader.skip(align4(reader.offset) - reader.offset, 'sec_addr alignment');
  const count = reader.u8('n_results');
  reader.skip(3, 'n_results reserved');
  if (count !== sent.syntaxes.length) {
    throw new KmsProtocolError('malformed', `${ptype} answers ${count} contexts, ${sent.syntaxes.length} were offered`);
  }

  const ids = contextIdsOf(sent);
  const results = sent.syntaxes.map((syntax, index): ContextResult => {
    const result = reader.u16('p_result');
    const reason = reader.u16('p_reason');
    const transferSyntaxUuid = reader.guid('result transfer syntax');
    const transferSyntaxVersion = reader.u32('result transfer syntax version');
    const offered = TRANSFER_SYNTAXES[syntax];
    const isBtfn = syntax === 'BTFN';
    return {
      contextId: ids[index]!,
      syntax,
      result,
      reason,
      transferSyntaxUuid,
      transferSyntaxVersion,
      accepted:
        !isBtfn &&
        result === BIND_RESULT.acceptance &&
        transferSyntaxUuid === offered.uuid &&
        transferSyntaxVersion === offered.version,
      negotiateAck: isBtfn && result === BIND_RESULT.negotiateAck,
    };
  });
  // Bytes after the results (none from vlmcsd) carry nothing a client could use, so they are ignored.
  return { ptype, flags: header.flags, assocGroupId, maxXmitFrag, maxRecvFrag, secondaryAddress, results };
}

/**
 * Picks the context to send calls on from everything the host answered on this connection
 * (bind_ack results, then alter_context_resp results; a later answer for the same id wins).
 * Throws 'bind-rejected' when no NDR32/NDR64 context was accepted.
 */
export function chooseContext(
  results: readonly ContextResult[],
  preference: readonly CallSyntax[] = ['NDR32', 'NDR64'],
): { contextId: number; syntax: CallSyntax } {
  const latest = new Map<number, ContextResult>();
  for (const entry of results) latest.set(entry.contextId, entry);
  for (const syntax of preference) {
    for (const entry of latest.values()) {
      if (entry.accepted && entry.syntax === syntax) return { contextId: entry.contextId, syntax };
    }
  }
  throw new KmsProtocolError('bind-rejected', `host accepted none of the transfer syntaxes ${preference.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// request / response (opnum 0, RequestActivation)

export interface RequestParameters {
  callId: number;
  contextId: number;
  syntax: CallSyntax;
  opnum?: number;
  kmsMessage: Uint8Array;
}

export function buildRequest(p: RequestParameters): Buffer {
  const size = p.kmsMessage.length;
  // NDR32: requestSize, max_count (u32 each). NDR64: requestSize as a 32-bit int padded to the
  // 8-byte alignment of the u64 max_count that follows.
  const prefix = p.syntax === 'NDR64' ? 16 : 8;
  const out = Buffer.alloc(REQUEST_HEADER_LENGTH + prefix + size);
  writeHeader(out, PTYPE.request, PFC_FIRST_FRAG | PFC_LAST_FRAG, p.callId);
  out.writeUInt32LE(prefix + size, 16); // alloc_hint
  out.writeUInt16LE(p.contextId, 20);
  out.writeUInt16LE(p.opnum ?? 0, 22);
  out.writeUInt32LE(size, REQUEST_HEADER_LENGTH); // requestSize
  out.writeUInt32LE(size, REQUEST_HEADER_LENGTH + (p.syntax === 'NDR64' ? 8 : 4)); // max_count
  out.set(p.kmsMessage, REQUEST_HEADER_LENGTH + prefix);
  return out;
}

export interface RpcResponse {
  kmsMessage: Buffer;
  /** Always 0: any other HRESULT is thrown as 'host-hresult'. */
  returnCode: number;
  allocHint: number;
}

function hostHresult(hresult: number): KmsProtocolError {
  return new KmsProtocolError('host-hresult', `host answered HRESULT ${hex32(hresult)}`, { hresult });
}

/**
 * Parses the answer to `buildRequest` with vlmcs's checks. A fault throws 'rpc-fault', a NULL
 * response array (the host refused) or a failure return value throws 'host-hresult'.
 */
export function parseResponse(
  pdu: Uint8Array,
  expected: { callId: number; contextId: number; syntax: CallSyntax },
): RpcResponse {
  const header = readWholePdu(pdu);
  if (header.ptype === PTYPE.fault) throw faultError(pdu);
  if (header.ptype !== PTYPE.response) {
    throw new KmsProtocolError('malformed', `expected a response PDU, got ptype ${header.ptype}`);
  }
  checkReplyHeader(header, expected.callId, 'response');

  const reader = new ByteReader(pdu, RPC_HEADER_LENGTH);
  const allocHint = reader.u32('response alloc_hint');
  const contextId = reader.u16('response p_cont_id');
  const cancelCount = reader.u8('response cancel_count');
  reader.skip(1, 'response reserved');
  if (contextId !== expected.contextId) {
    throw new KmsProtocolError('malformed', `response is for context ${contextId}, the request used ${expected.contextId}`);
  }
  if (cancelCount !== 0) {
    throw new KmsProtocolError('malformed', `response has cancel_count ${cancelCount}`);
  }

  // NDR alignment is relative to the stub, which starts 8-aligned in the PDU, so PDU offsets align
  // the same way. NDR64 pads the 32-bit responseSize to the 8-byte referent (pad content ignored).
  const ndr64 = expected.syntax === 'NDR64';
  const responseSize = reader.u32('responseSize');
  if (ndr64) reader.skip(4, 'responseSize alignment');
  const isNull = ndr64 ? reader.u64('response referent id') === 0n : reader.u32('response referent id') === 0;
  if (isNull) {
    const hresult = reader.u32('return value');
    if (hresult === 0) throw new KmsProtocolError('malformed', 'response has no data but reports success');
    throw hostHresult(hresult);
  }
  const maxCount = ndr64 ? reader.u64('response max_count') : BigInt(reader.u32('response max_count'));
  if (BigInt(responseSize) !== maxCount) {
    throw new KmsProtocolError('malformed', `responseSize ${responseSize} differs from the array's max_count ${maxCount}`);
  }
  const kmsMessage = Buffer.from(reader.take(responseSize, 'KMS response message'));
  // vlmcsd writes the return value unaligned and pads after it; NDR (and vlmcs) read it aligned.
  // The two readings only differ for messages of length 2 mod 4, where S_OK and zero pad agree.
  reader.skip(align4(reader.offset) - reader.offset, 'return value alignment');
  const returnCode = reader.u32('return value');
  if (returnCode !== 0) throw hostHresult(returnCode);
  return { kmsMessage, returnCode, allocHint };
}
