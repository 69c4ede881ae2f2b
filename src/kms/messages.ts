// KMS V4/V5/V6 activation messages: the bytes that travel inside the RPC stub (kms-protocol.md §3–5).
// Building is for well-formed input from our own code and may throw TypeError/RangeError on misuse;
// parsing takes bytes from the network and throws nothing but KmsProtocolError.

import { createHash, createHmac } from 'node:crypto';
import { ByteReader, bytesToGuid, guidToBytes } from './bytes.js';
import { KmsProtocolError } from './errors.js';
import { BLOCK_SIZE, cbcDecrypt, cbcEncrypt, Rijndael } from './rijndael.js';

// Re-exported so that the wire layer names the application a request counts against without a
// second copy of the IDs (the host keeps one client count per application).
export { OFFICE2010_APP_ID, OFFICE_APP_ID, WINDOWS_APP_ID } from '../licensing/applications.js';

export type KmsProtocolVersion = 4 | 5 | 6;

/** V4 MAC key: 160 bits, so V4 needs Rijndael with Nk = 5, which no AES library offers. */
export const KMS_V4_KEY = Buffer.from('053d8307f9e5f088eb5ea6686cf037c7e4efd2d6', 'hex');
/** V5: plain AES-128. */
export const KMS_V5_KEY = Buffer.from('cd7e796f2ab25dcb55ffc8ef8364c470', 'hex');
/** V6: AES-128 with the key-schedule tweak (RijndaelOptions.kmsV6Tweak). */
export const KMS_V6_KEY = Buffer.from('a94a4195e201432d9bcb460405d84a21', 'hex');

/** V6 HMAC time slot: ≈ 4.12 h of FILETIME; slot = (T / C1) · C2 + C3 mod 2⁶⁴. */
export const KMS_V6_TIME_C1 = 0x0000_0022_8168_89bdn;
export const KMS_V6_TIME_C2 = 0x0000_0020_8cba_b5edn;
export const KMS_V6_TIME_C3 = 0x3156_cd5a_c628_477an;

export const BASE_REQUEST_SIZE = 236;
/** 63 UTF-16 units plus the terminator fill the 128-byte field; longer names are cut. */
export const WORKSTATION_NAME_MAX_UNITS = 63;
/** Largest PIDSize a client accepts: 64 UTF-16 units including the NUL. */
export const MAX_PID_SIZE = 128;

const WORKSTATION_FIELD_SIZE = 128;
const MAC_SIZE = 16;
const HASH_SIZE = 32;
const HWID_SIZE = 8;
/** Base response without the ePID: version, PIDSize, CMID, time, count and both intervals. */
const BASE_RESPONSE_FIXED_SIZE = 44;
/** Outer version and wire IV in front of a V5/V6 ciphertext. */
const V5_HEADER_SIZE = 4 + BLOCK_SIZE;
const V5_TRAILER_SIZE = BLOCK_SIZE + HASH_SIZE;
const V6_TRAILER_SIZE = V5_TRAILER_SIZE + HWID_SIZE + BLOCK_SIZE + MAC_SIZE;

// Expanded once: every message of a version shares the key, and expansion costs more than a block.
const V4_MAC_CIPHER = new Rijndael(KMS_V4_KEY);
const V5_CIPHER = new Rijndael(KMS_V5_KEY);
const V6_CIPHER = new Rijndael(KMS_V6_KEY, { kmsV6Tweak: true });

export interface KmsRequestFields {
  /** Any u16: a version other than 4/5/6 is sent with the V6 layout and cipher, as vlmcs does. */
  majorVersion: KmsProtocolVersion | number;
  minorVersion: number;
  vmInfo: number;
  licenseStatus: number;
  bindingExpiration: number;
  applicationId: string;
  skuId: string;
  kmsCountedId: string;
  clientMachineId: string;
  requiredClientCount: number;
  /** FILETIME (100 ns since 1601-01-01 UTC). */
  requestTime: bigint;
  previousClientMachineId: string;
  workstationName: string;
}

export interface KmsRequest {
  /** Major protocol version; selects how the response is decoded. */
  version: number;
  minorVersion: number;
  /** The KMS request message that goes into the RPC stub. */
  message: Buffer;
  fields: KmsRequestFields;
  /** V5/V6: the client's random IV. */
  iv?: Buffer;
  /** V5/V6: D(IV), the single-block decryption the host's hash and XoredIVs are built on. */
  decryptedIv?: Buffer;
}

export interface KmsResponse {
  majorVersion: number;
  minorVersion: number;
  epid: string;
  /** PIDSize as sent: bytes of the UTF-16 ePID including its NUL. */
  epidSize: number;
  clientMachineId: string;
  /** FILETIME echoed by the host. */
  requestTime: bigint;
  currentCount: number;
  /** Minutes. */
  activationInterval: number;
  /** Minutes. */
  renewalInterval: number;
  /** V6: the host's 8-byte HwId as 16 lowercase hex digits in wire order. */
  hwid?: string;
  /** Every check performed, by the names the golden vectors use; all true on a clean answer. */
  checks: Record<string, boolean>;
  /** Oddities that vlmcs only warns about (size, padding length, V6 IV reuse). */
  warnings: string[];
}

export interface ParseKmsResponseOptions {
  /**
   * V6 HMAC time slots accepted on either side of the one computed from the echoed request time.
   * vlmcs accepts ±1 (default); 0 demands the exact slot.
   */
  hmacSlotTolerance?: number;
}

type Layout = 4 | 5 | 6;

function layoutOf(majorVersion: number): Layout {
  return majorVersion === 4 ? 4 : majorVersion === 5 ? 5 : 6;
}

// vlmcs keys everything that is not V4 or V5 as V6 (the 7.0 vector was sent that way).
function cipherOf(majorVersion: number): Rijndael {
  return majorVersion === 5 ? V5_CIPHER : V6_CIPHER;
}

export function encodeWorkstationName(name: string): Buffer {
  let units = name.length;
  if (units > WORKSTATION_NAME_MAX_UNITS) {
    units = WORKSTATION_NAME_MAX_UNITS;
    const last = name.charCodeAt(units - 1);
    // A high surrogate whose partner was cut off would make the host decode garbage.
    if (last >= 0xd800 && last <= 0xdbff) units -= 1;
  }
  const field = Buffer.alloc(WORKSTATION_FIELD_SIZE);
  field.write(name.slice(0, units), 0, 'utf16le');
  return field;
}

export function encodeBaseRequest(fields: KmsRequestFields): Buffer {
  const out = Buffer.alloc(BASE_REQUEST_SIZE);
  out.writeUInt16LE(fields.minorVersion, 0);
  out.writeUInt16LE(fields.majorVersion, 2);
  out.writeUInt32LE(fields.vmInfo, 4);
  out.writeUInt32LE(fields.licenseStatus, 8);
  out.writeUInt32LE(fields.bindingExpiration, 12);
  guidToBytes(fields.applicationId).copy(out, 16);
  guidToBytes(fields.skuId).copy(out, 32);
  guidToBytes(fields.kmsCountedId).copy(out, 48);
  guidToBytes(fields.clientMachineId).copy(out, 64);
  out.writeUInt32LE(fields.requiredClientCount, 80);
  out.writeBigUInt64LE(fields.requestTime, 84);
  guidToBytes(fields.previousClientMachineId).copy(out, 92);
  encodeWorkstationName(fields.workstationName).copy(out, 108);
  return out;
}

/** PKCS#7 always adds 1..16 bytes, so an aligned message gains a whole block. */
function pkcs7Pad(data: Buffer): Buffer {
  const pad = BLOCK_SIZE - (data.length % BLOCK_SIZE);
  return Buffer.concat([data, Buffer.alloc(pad, pad)]);
}

/** V4's CBC-MAC (no CMAC subkeys): 0x80 then zeros to a whole block, chained under the 160-bit key. */
function v4Mac(data: Uint8Array): Buffer {
  const padded = Buffer.alloc((Math.floor(data.length / BLOCK_SIZE) + 1) * BLOCK_SIZE);
  padded.set(data);
  padded[data.length] = 0x80;
  const mac = Buffer.alloc(BLOCK_SIZE);
  for (let at = 0; at < padded.length; at += BLOCK_SIZE) {
    for (let i = 0; i < BLOCK_SIZE; i++) mac[i]! ^= padded[at + i]!;
    V4_MAC_CIPHER.encryptBlock(mac, 0, mac, 0);
  }
  return mac;
}

function versionHeader(minor: number, major: number): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16LE(minor, 0);
  header.writeUInt16LE(major, 2);
  return header;
}

export function buildKmsRequest(fields: KmsRequestFields, iv?: Uint8Array): KmsRequest {
  const base = encodeBaseRequest(fields);
  const common = { version: fields.majorVersion, minorVersion: fields.minorVersion, fields };
  if (layoutOf(fields.majorVersion) === 4) {
    return { ...common, message: Buffer.concat([base, v4Mac(base)]) };
  }
  if (iv === undefined || iv.length !== BLOCK_SIZE) {
    throw new TypeError(`KMS V${fields.majorVersion} request needs a 16-byte IV, got ${iv === undefined ? 'none' : `${iv.length} bytes`}`);
  }
  const cipher = cipherOf(fields.majorVersion);
  const ivCopy = Buffer.from(iv);
  return {
    ...common,
    message: Buffer.concat([versionHeader(fields.minorVersion, fields.majorVersion), ivCopy, cbcEncrypt(cipher, ivCopy, pkcs7Pad(base))]),
    iv: ivCopy,
    decryptedIv: Buffer.from(cipher.decryptBlock(ivCopy)),
  };
}

function xor16(a: Uint8Array, b: Uint8Array): Buffer {
  const out = Buffer.alloc(BLOCK_SIZE);
  for (let i = 0; i < BLOCK_SIZE; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** Last 16 bytes of SHA-256(u64le(slot)), slot from the echoed request time (kms-protocol.md §4.5). */
export function v6HmacKey(requestTime: bigint, slotOffset = 0): Buffer {
  // vlmcs shifts the slot *value* by k·C1 rather than the time by k slots; reproduced as is.
  const slot = BigInt.asUintN(64, (requestTime / KMS_V6_TIME_C1) * KMS_V6_TIME_C2 + KMS_V6_TIME_C3 + BigInt(slotOffset) * KMS_V6_TIME_C1);
  const slotBytes = Buffer.alloc(8);
  slotBytes.writeBigUInt64LE(slot);
  return createHash('sha256').update(slotBytes).digest().subarray(16);
}

function v6Hmac(key: Uint8Array, data: Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest().subarray(16);
}

interface BaseResponse {
  minorVersion: number;
  majorVersion: number;
  epidSize: number;
  epidBytes: Buffer;
  clientMachineId: string;
  requestTime: bigint;
  currentCount: number;
  activationInterval: number;
  renewalInterval: number;
}

function readBaseResponse(reader: ByteReader): BaseResponse {
  const minorVersion = reader.u16('response minor version');
  const majorVersion = reader.u16('response major version');
  const epidSize = reader.u32('PIDSize');
  return {
    minorVersion,
    majorVersion,
    epidSize,
    epidBytes: reader.take(epidSize, 'ePID'),
    clientMachineId: reader.guid('client machine ID echo'),
    requestTime: reader.u64('request time echo'),
    currentCount: reader.u32('current count'),
    activationInterval: reader.u32('activation interval'),
    renewalInterval: reader.u32('renewal interval'),
  };
}

function epidSizeOk(size: number, bytes: Buffer): boolean {
  if (size > MAX_PID_SIZE || size < 2 || size % 2 !== 0) return false;
  for (let at = 0; at < size - 2; at += 2) {
    if (bytes.readUInt16LE(at) === 0) return false;
  }
  return bytes.readUInt16LE(size - 2) === 0;
}

function decodeEpid(bytes: Buffer): string {
  const text = bytes.subarray(0, bytes.length - (bytes.length % 2)).toString('utf16le');
  return text.endsWith('\0') ? text.slice(0, -1) : text;
}

/** The V5/V6 ciphertext length PKCS#7 yields for a plaintext of `plainLength` bytes. */
const paddedLength = (plainLength: number): number => (Math.floor(plainLength / BLOCK_SIZE) + 1) * BLOCK_SIZE;

// Checks whose failure vlmcs only reports as a warning; every other failed check rejects the answer.
const WARNING_CHECKS = new Set(['sizeOk', 'paddingLengthOk', 'ivDiffersFromRequestIv']);

function rejectIfFailed(checks: Record<string, boolean>): void {
  const failed = Object.keys(checks).filter((name) => !checks[name] && !WARNING_CHECKS.has(name));
  if (failed.length > 0) {
    throw new KmsProtocolError('verification-failed', `KMS response failed verification: ${failed.join(', ')}`, { failedChecks: failed });
  }
}

/**
 * Decodes and verifies a KMS response message (kms-protocol.md §5 steps 3–8) against the request it
 * answers. Throws KmsProtocolError: `truncated`/`malformed` when the bytes do not form a response,
 * `verification-failed` (with `failedChecks`) when they do but a check fails.
 */
export function parseKmsResponse(message: Uint8Array, request: KmsRequest, options: ParseKmsResponseOptions = {}): KmsResponse {
  const tolerance = options.hmacSlotTolerance ?? 1;
  if (!Number.isInteger(tolerance) || tolerance < 0) throw new TypeError(`hmacSlotTolerance must be a non-negative integer, got ${tolerance}`);
  const bytes = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const layout = layoutOf(request.version);
  const checks: Record<string, boolean> = {};
  const warnings: string[] = [];
  const sameVersion = (minor: number, major: number) => minor === request.minorVersion && major === request.version;

  let base: BaseResponse;
  let expectedSize: number;
  let hwid: string | undefined;

  if (layout === 4) {
    if (bytes.length < MAC_SIZE) throw new KmsProtocolError('truncated', `KMS V4 response of ${bytes.length} bytes has no room for its MAC`);
    const body = bytes.subarray(0, bytes.length - MAC_SIZE);
    checks.macOk = v4Mac(body).equals(bytes.subarray(body.length));
    const reader = new ByteReader(body);
    base = readBaseResponse(reader);
    checks.epidSizeOk = epidSizeOk(base.epidSize, base.epidBytes);
    checks.versionMatchesRequest = sameVersion(base.minorVersion, base.majorVersion);
    expectedSize = BASE_RESPONSE_FIXED_SIZE + base.epidSize + MAC_SIZE;
  } else {
    const { iv, decryptedIv } = request;
    if (iv === undefined || decryptedIv === undefined) throw new TypeError(`KMS V${request.version} request carries no IV`);
    const reader = new ByteReader(bytes);
    const outerMinor = reader.u16('response outer minor version');
    const outerMajor = reader.u16('response outer major version');
    const wireIv = reader.take(BLOCK_SIZE, 'response IV');
    const ciphertext = reader.take(reader.remaining, 'response ciphertext');
    if (ciphertext.length === 0) throw new KmsProtocolError('truncated', 'KMS response has no ciphertext after its IV');
    if (ciphertext.length % BLOCK_SIZE !== 0) {
      throw new KmsProtocolError('malformed', `KMS response ciphertext of ${ciphertext.length} bytes is not a whole number of AES blocks`);
    }
    const cipher = cipherOf(request.version);
    const decrypted = cbcDecrypt(cipher, wireIv, ciphertext);
    const pad = decrypted[decrypted.length - 1]!;
    checks.decryptOk = pad >= 1 && pad <= BLOCK_SIZE && decrypted.subarray(decrypted.length - pad).every((b) => b === pad);
    const outerVersionOk = sameVersion(outerMinor, outerMajor);
    // Without valid padding the plaintext's end is unknown and everything after the ePID is noise.
    if (!checks.decryptOk) rejectIfFailed({ versionMatchesRequest: outerVersionOk, decryptOk: false });

    const plain = decrypted.subarray(0, decrypted.length - pad);
    const plainReader = new ByteReader(plain);
    base = readBaseResponse(plainReader);
    checks.epidSizeOk = epidSizeOk(base.epidSize, base.epidBytes);
    checks.versionMatchesRequest = outerVersionOk && sameVersion(base.minorVersion, base.majorVersion);

    const randomXoredIvs = plainReader.take(BLOCK_SIZE, 'RandomXoredIVs');
    const hash = plainReader.take(HASH_SIZE, 'hash');
    checks.hashOk = createHash('sha256').update(xor16(randomXoredIvs, decryptedIv)).digest().equals(hash);

    if (layout === 5) {
      checks.ivEqualsRequestIv = wireIv.equals(iv);
      expectedSize = V5_HEADER_SIZE + paddedLength(BASE_RESPONSE_FIXED_SIZE + base.epidSize + V5_TRAILER_SIZE);
    } else {
      hwid = plainReader.take(HWID_SIZE, 'HwId').toString('hex');
      checks.xoredIvsEqualsDecryptedRequestIv = plainReader.take(BLOCK_SIZE, 'XoredIVs').equals(decryptedIv);
      checks.ivDiffersFromRequestIv = !wireIv.equals(iv);
      if (!checks.ivDiffersFromRequestIv) warnings.push('KMS V6 response reuses the request IV (vlmcs flags such hosts as emulators)');
      const macInput = Buffer.concat([cipher.decryptBlock(wireIv), plain.subarray(0, plainReader.offset)]);
      const hmac = plainReader.take(MAC_SIZE, 'HMAC');
      const slotOffsets = [0];
      for (let k = 1; k <= tolerance; k++) slotOffsets.push(-k, k);
      checks.hmacOk = slotOffsets.some((k) => v6Hmac(v6HmacKey(base.requestTime, k), macInput).equals(hmac));
      expectedSize = V5_HEADER_SIZE + paddedLength(BASE_RESPONSE_FIXED_SIZE + base.epidSize + V6_TRAILER_SIZE);
    }
    checks.paddingLengthOk = plainReader.remaining === 0;
    if (!checks.paddingLengthOk) warnings.push(`KMS response has ${plainReader.remaining} unexpected bytes before its padding`);
  }

  checks.clientMachineIdMatchesRequest = base.clientMachineId === request.fields.clientMachineId.toLowerCase();
  checks.requestTimeMatchesRequest = base.requestTime === request.fields.requestTime;
  checks.sizeOk = bytes.length === expectedSize;
  if (!checks.sizeOk) warnings.push(`KMS response is ${bytes.length} bytes, expected ${expectedSize} for its PIDSize`);
  rejectIfFailed(checks);

  return {
    majorVersion: base.majorVersion,
    minorVersion: base.minorVersion,
    epid: decodeEpid(base.epidBytes),
    epidSize: base.epidSize,
    clientMachineId: base.clientMachineId,
    requestTime: base.requestTime,
    currentCount: base.currentCount,
    activationInterval: base.activationInterval,
    renewalInterval: base.renewalInterval,
    ...(hwid === undefined ? {} : { hwid }),
    checks,
    warnings,
  };
}
