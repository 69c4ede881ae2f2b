// 25-character product keys: surface validation, pkey2009 decoding and its offline checksum.
// Layout and algorithms follow shared/reference/product-key-format.md (§ numbers below refer to it).
// This module only reads keys it is given; it never builds a key from numbers.

import { createHash, scryptSync } from 'node:crypto';
import { HResultError } from '../errors.js';
import { SL_E_INVALID_PRODUCT_KEY } from './hresult-codes.js';

/** The 24 key symbols; a symbol's index is its base-24 digit value, so the order matters. */
export const KEY_ALPHABET = 'BCDFGHJKMPQRTVWXY2346789';

export type ProductKeyFormat = 'pkey2009' | 'pkey2005';

/** The bit fields of a pkey2009 key (§2). Numbers where they fit in 53 bits, bigint otherwise. */
export interface DecodedKey {
  /** Index (0..24, dashes not counted) of the `N` marker, which is also the leading base-24 digit. */
  nPosition: number;
  /** The whole key as one base-24 number (< 2^115). */
  value: bigint;
  /** Bits 0–19: pkeyconfig RefGroupId. */
  groupId: number;
  /** Bits 20–49: key number inside the group. */
  serial: number;
  /** Bits 50–102: only Microsoft's servers can check it. */
  security: bigint;
  /** Bits 103–112: truncated CRC-32/MPEG-2 (§3). */
  checksum: number;
  /** Bit 113. */
  upgrade: number;
  /** Bit 114: set only on "twin" encodings that Microsoft never publishes (§7). */
  extra: number;
}

export interface ParsedProductKey {
  /** Normalised key, `XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`. */
  key: string;
  format: ProductKeyFormat;
  /** Null for pkey2005 keys: their payload is a signature that cannot be opened offline (§6). */
  decoded: DecodedKey | null;
  partialKey: string;
}

const KEY_LENGTH = 25;
const GROUP_LENGTH = 5;
const N_MARKER = 'N';
const CHECKSUM_SHIFT = 103n;
const CHECKSUM_MASK = 0x3ffn;

const digitOf = new Map<string, bigint>([...KEY_ALPHABET].map((c, i) => [c, BigInt(i)]));

const DASHED_SHAPE = /^[^-]{5}(-[^-]{5}){4}$/;

/**
 * Canonical `XXXXX-XXXXX-XXXXX-XXXXX-XXXXX` form, or null when the input is not shaped like a key:
 * 25 symbols from the alphabet plus at most one `N` that is not the last character, written either
 * without dashes or with all four dashes in their usual places.
 */
export function normalizeProductKey(input: string): string | null {
  // Only ASCII letters are upper-cased: String#toUpperCase would turn e.g. the ligature 'ﬀ' into
  // "FF" and let a non-key string through.
  const s = input.trim().replace(/[a-z]/g, (c) => c.toUpperCase());
  let bare: string;
  if (s.length === KEY_LENGTH) bare = s;
  else if (DASHED_SHAPE.test(s)) bare = s.replaceAll('-', '');
  else return null;

  let nCount = 0;
  for (const c of bare) {
    if (c === N_MARKER) nCount += 1;
    else if (!digitOf.has(c)) return null;
  }
  if (nCount > 1 || bare.endsWith(N_MARKER)) return null;

  const groups: string[] = [];
  for (let i = 0; i < KEY_LENGTH; i += GROUP_LENGTH) groups.push(bare.slice(i, i + GROUP_LENGTH));
  return groups.join('-');
}

/** Decodes a pkey2009 key (one containing `N`). Throws HResultError 0xC004F050 for anything else. */
export function decodePkey2009(normalizedKey: string): DecodedKey {
  const key = normalizeProductKey(normalizedKey);
  const bare = key?.replaceAll('-', '');
  const nPosition = bare?.indexOf(N_MARKER) ?? -1;
  if (bare === undefined || nPosition < 0) throw new HResultError(SL_E_INVALID_PRODUCT_KEY);

  let value = BigInt(nPosition);
  for (const c of bare.slice(0, nPosition) + bare.slice(nPosition + 1)) {
    // normalizeProductKey already guaranteed every remaining character is in the alphabet.
    value = value * 24n + (digitOf.get(c) as bigint);
  }
  return {
    nPosition,
    value,
    groupId: Number(value & 0xfffffn),
    serial: Number((value >> 20n) & 0x3fffffffn),
    security: (value >> 50n) & 0x1fffffffffffffn,
    checksum: Number((value >> CHECKSUM_SHIFT) & CHECKSUM_MASK),
    upgrade: Number((value >> 113n) & 1n),
    extra: Number((value >> 114n) & 1n),
  };
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let r = n << 24;
  for (let bit = 0; bit < 8; bit++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
  return r >>> 0;
});

/**
 * The checksum a pkey2009 value should carry (§3): CRC-32/MPEG-2 over the value as 16
 * little-endian bytes with the checksum bits cleared, complemented, low 10 bits.
 */
export function pkey2009Checksum(value: bigint): number {
  if (value < 0n || value >= 1n << 128n) throw new RangeError('pkey2009 value must fit in 128 bits');
  let rest = value & ~(CHECKSUM_MASK << CHECKSUM_SHIFT);
  let crc = 0xffffffff;
  for (let i = 0; i < 16; i++) {
    const byte = Number(rest & 0xffn);
    rest >>= 8n;
    crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ byte) & 0xff] as number)) >>> 0;
  }
  return ~crc & 0x3ff;
}

export function hasValidChecksum(decoded: DecodedKey): boolean {
  return pkey2009Checksum(decoded.value) === decoded.checksum;
}

/**
 * Validates a key as far as is possible offline. Throws HResultError 0xC004F050 (what SPP returns
 * for a mistyped key) when the surface format is wrong, or a pkey2009 key fails its checksum or
 * is a twin encoding. pkey2005 keys pass with `decoded: null`; only the catalog can vouch for them.
 */
export function parseProductKey(input: string): ParsedProductKey {
  const key = normalizeProductKey(input);
  if (key === null) throw new HResultError(SL_E_INVALID_PRODUCT_KEY);
  const partialKey = key.slice(-GROUP_LENGTH);
  if (!key.includes(N_MARKER)) return { key, format: 'pkey2005', decoded: null, partialKey };

  const decoded = decodePkey2009(key);
  if (decoded.extra !== 0 || !hasValidChecksum(decoded)) throw new HResultError(SL_E_INVALID_PRODUCT_KEY);
  return { key, format: 'pkey2009', decoded, partialKey };
}

function requireKey(key: string): string {
  const normalized = normalizeProductKey(key);
  if (normalized === null) throw new HResultError(SL_E_INVALID_PRODUCT_KEY);
  return normalized;
}

/** What slmgr shows as "Partial Product Key": the last five characters. */
export function partialProductKey(key: string): string {
  return requireKey(key).slice(-GROUP_LENGTH);
}

/** The only form in which a non-GVLK key may be echoed: `XXXXX-XXXXX-XXXXX-XXXXX-T83GX`. */
export function maskProductKey(key: string): string {
  return `XXXXX-XXXXX-XXXXX-XXXXX-${partialProductKey(key)}`;
}

/**
 * Hex SHA-256 of the normalised key. The store keeps this instead of the key, so the digest is
 * always taken over the canonical form: any spelling of the same key yields the same digest.
 */
export function productKeyDigest(normalizedKey: string): string {
  return createHash('sha256').update(requireKey(normalizedKey), 'utf8').digest('hex');
}

/**
 * The digest kept for a key that is not public (a KMS host key). The store also holds the key's
 * group and serial (its ePID shows them anyway), which leaves only the 53-bit security field
 * unknown; a fast hash would let anyone with the store file search that space, so this one is
 * deliberately slow (scrypt, about 0.1 s). Public GVLKs need no secrecy and use productKeyDigest.
 */
export function secretProductKeyDigest(normalizedKey: string): string {
  const hash = scryptSync(requireKey(normalizedKey), 'slmgr product key v1', 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  return `scrypt:${hash.toString('hex')}`;
}
