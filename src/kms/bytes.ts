// Byte-level helpers shared by the RPC and KMS layers. Everything on the wire is little-endian and
// GUIDs use Microsoft's mixed-endian layout (Data1 u32 LE, Data2/Data3 u16 LE, Data4 as is).

import { KmsProtocolError } from './errors.js';

const GUID_PATTERN = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i;

export function guidToBytes(guid: string): Buffer {
  const match = GUID_PATTERN.exec(guid);
  if (!match) throw new TypeError(`not a GUID: ${guid}`);
  const out = Buffer.alloc(16);
  out.writeUInt32LE(Number.parseInt(match[1]!, 16), 0);
  out.writeUInt16LE(Number.parseInt(match[2]!, 16), 4);
  out.writeUInt16LE(Number.parseInt(match[3]!, 16), 6);
  Buffer.from(match[4]! + match[5]!, 'hex').copy(out, 8);
  return out;
}

export function bytesToGuid(bytes: Uint8Array, offset = 0): string {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset + offset, 16);
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
  const tail = view.subarray(8).toString('hex');
  return `${hex(view.readUInt32LE(0), 8)}-${hex(view.readUInt16LE(4), 4)}-${hex(view.readUInt16LE(6), 4)}-${tail.slice(0, 4)}-${tail.slice(4)}`;
}

/** 100-ns intervals between 1601-01-01 and 1970-01-01 (Windows FILETIME epoch). */
export const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;

export function dateToFiletime(date: Date): bigint {
  return BigInt(date.getTime()) * 10_000n + FILETIME_UNIX_EPOCH;
}

export function filetimeToDate(filetime: bigint): Date {
  return new Date(Number((filetime - FILETIME_UNIX_EPOCH) / 10_000n));
}

/**
 * A cursor over untrusted bytes: every read is bounds-checked and a short buffer becomes a
 * `truncated` KmsProtocolError naming what was being read, so no caller ever sees a RangeError.
 */
export class ByteReader {
  readonly bytes: Buffer;
  offset: number;

  constructor(bytes: Uint8Array, offset = 0) {
    this.bytes = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = offset;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private need(count: number, what: string): number {
    if (count < 0 || this.offset + count > this.bytes.length) {
      throw new KmsProtocolError('truncated', `${what}: need ${count} bytes at offset ${this.offset}, have ${Math.max(0, this.remaining)}`);
    }
    const at = this.offset;
    this.offset += count;
    return at;
  }

  u8(what: string): number {
    return this.bytes.readUInt8(this.need(1, what));
  }

  u16(what: string): number {
    return this.bytes.readUInt16LE(this.need(2, what));
  }

  u32(what: string): number {
    return this.bytes.readUInt32LE(this.need(4, what));
  }

  u64(what: string): bigint {
    return this.bytes.readBigUInt64LE(this.need(8, what));
  }

  guid(what: string): string {
    return bytesToGuid(this.bytes, this.need(16, what));
  }

  /** A view (not a copy) of the next `count` bytes. */
  take(count: number, what: string): Buffer {
    const at = this.need(count, what);
    return this.bytes.subarray(at, at + count);
  }

  skip(count: number, what: string): void {
    this.need(count, what);
  }
}
