// Rijndael with 128-bit blocks, written out rather than taken from node:crypto because KMS needs two
// things OpenSSL does not offer: a 160-bit key (the V4 MAC) and a hand-modified key schedule (V6).
// Table-driven (one T-table per byte position) so the whole client stays far from being CPU-bound.

export const BLOCK_SIZE = 16;

/** What the CBC helpers need; Rijndael is the only implementation, the seam keeps the helpers testable. */
export interface BlockCipher {
  encryptBlock(input: Uint8Array, inOffset?: number, output?: Uint8Array, outOffset?: number): Uint8Array;
  decryptBlock(input: Uint8Array, inOffset?: number, output?: Uint8Array, outOffset?: number): Uint8Array;
}

export interface RijndaelOptions {
  /**
   * KMS V6 flips three bytes of the expanded schedule (offsets 64, 96, 128: byte 0 of round keys 4,
   * 6 and 8) after normal expansion, so its "AES" interoperates with nothing but KMS.
   */
  kmsV6Tweak?: boolean;
}

const SBOX = new Uint8Array(256);
const INV_SBOX = new Uint8Array(256);
const TE0 = new Uint32Array(256);
const TE1 = new Uint32Array(256);
const TE2 = new Uint32Array(256);
const TE3 = new Uint32Array(256);
const TD0 = new Uint32Array(256);
const TD1 = new Uint32Array(256);
const TD2 = new Uint32Array(256);
const TD3 = new Uint32Array(256);
const RCON = new Uint32Array(15);

// Derived from GF(2^8) arithmetic at load time instead of pasting 2 KB of hex constants that nobody
// can review; the FIPS-197 vectors in the tests pin the result.
{
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  for (let i = 0, x = 1; i < 255; i++) {
    exp[i] = x;
    log[x] = i;
    x ^= (x << 1) ^ (x & 0x80 ? 0x11b : 0); // multiply by the generator 3
  }
  const mul = (a: number, b: number): number => (a === 0 || b === 0 ? 0 : exp[(log[a]! + log[b]!) % 255]!);

  for (let i = 0; i < 256; i++) {
    const inv = i === 0 ? 0 : exp[(255 - log[i]!) % 255]!;
    let s = inv;
    for (let r = 1; r < 5; r++) s ^= ((inv << r) | (inv >>> (8 - r))) & 0xff;
    s ^= 0x63;
    SBOX[i] = s;
    INV_SBOX[s] = i;
  }
  for (let i = 0; i < 256; i++) {
    const s = SBOX[i]!;
    const e = ((mul(s, 2) << 24) | (s << 16) | (s << 8) | mul(s, 3)) >>> 0;
    TE0[i] = e;
    TE1[i] = ((e >>> 8) | (e << 24)) >>> 0;
    TE2[i] = ((e >>> 16) | (e << 16)) >>> 0;
    TE3[i] = ((e >>> 24) | (e << 8)) >>> 0;
    const v = INV_SBOX[i]!;
    const d = ((mul(v, 14) << 24) | (mul(v, 9) << 16) | (mul(v, 13) << 8) | mul(v, 11)) >>> 0;
    TD0[i] = d;
    TD1[i] = ((d >>> 8) | (d << 24)) >>> 0;
    TD2[i] = ((d >>> 16) | (d << 16)) >>> 0;
    TD3[i] = ((d >>> 24) | (d << 8)) >>> 0;
  }
  for (let i = 0, x = 1; i < RCON.length; i++) {
    RCON[i] = (x << 24) >>> 0;
    x = mul(x, 2);
  }
}

const subWord = (w: number): number =>
  ((SBOX[w >>> 24]! << 24) | (SBOX[(w >>> 16) & 0xff]! << 16) | (SBOX[(w >>> 8) & 0xff]! << 8) | SBOX[w & 0xff]!) >>> 0;

const readWord = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

function writeWord(b: Uint8Array, at: number, w: number): void {
  b[at] = w >>> 24;
  b[at + 1] = w >>> 16;
  b[at + 2] = w >>> 8;
  b[at + 3] = w;
}

function checkBlock(what: string, bytes: Uint8Array, offset: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + BLOCK_SIZE > bytes.length) {
    throw new RangeError(`${what}: a 16-byte block does not fit at offset ${offset} of ${bytes.length} bytes`);
  }
}

export class Rijndael implements BlockCipher {
  readonly rounds: number;
  private readonly ek: Uint32Array;
  private readonly dk: Uint32Array;

  constructor(key: Uint8Array, options: RijndaelOptions = {}) {
    const nk = key.length / 4;
    if (nk !== 4 && nk !== 5 && nk !== 6 && nk !== 8) {
      throw new RangeError(`Rijndael key must be 16, 20, 24 or 32 bytes, got ${key.length}`);
    }
    this.rounds = Math.max(nk, 4) + 6;
    const words = 4 * (this.rounds + 1);

    const ek = new Uint32Array(words);
    for (let i = 0; i < nk; i++) ek[i] = readWord(key, 4 * i);
    for (let i = nk; i < words; i++) {
      let t = ek[i - 1]!;
      if (i % nk === 0) t = (subWord(((t << 8) | (t >>> 24)) >>> 0) ^ RCON[i / nk - 1]!) >>> 0;
      else if (nk > 6 && i % nk === 4) t = subWord(t);
      ek[i] = (ek[i - nk]! ^ t) >>> 0;
    }
    if (options.kmsV6Tweak) {
      // Byte offsets 64, 96, 128 are the most significant bytes of words 16, 24, 32 (big-endian words).
      ek[16] = (ek[16]! ^ 0x73000000) >>> 0;
      ek[24] = (ek[24]! ^ 0x09000000) >>> 0;
      ek[32] = (ek[32]! ^ 0xe4000000) >>> 0;
    }
    this.ek = ek;

    // Equivalent inverse cipher: round keys in reverse order, inner ones passed through
    // InvMixColumns (TD[SBOX[x]] strips the S-box the TD tables include) so decryption can reuse the
    // same table-lookup round structure. Built from the (possibly tweaked) schedule, as KMS V6 requires.
    const dk = new Uint32Array(words);
    for (let r = 0; r <= this.rounds; r++) {
      for (let c = 0; c < 4; c++) {
        const w = ek[4 * (this.rounds - r) + c]!;
        dk[4 * r + c] =
          r === 0 || r === this.rounds
            ? w
            : (TD0[SBOX[w >>> 24]!]! ^ TD1[SBOX[(w >>> 16) & 0xff]!]! ^ TD2[SBOX[(w >>> 8) & 0xff]!]! ^ TD3[SBOX[w & 0xff]!]!) >>> 0;
      }
    }
    this.dk = dk;
  }

  encryptBlock(input: Uint8Array, inOffset = 0, output: Uint8Array = new Uint8Array(BLOCK_SIZE), outOffset = 0): Uint8Array {
    checkBlock('encryptBlock input', input, inOffset);
    checkBlock('encryptBlock output', output, outOffset);
    const k = this.ek;
    let s0 = readWord(input, inOffset) ^ k[0]!;
    let s1 = readWord(input, inOffset + 4) ^ k[1]!;
    let s2 = readWord(input, inOffset + 8) ^ k[2]!;
    let s3 = readWord(input, inOffset + 12) ^ k[3]!;
    let ki = 4;
    for (let r = 1; r < this.rounds; r++, ki += 4) {
      const t0 = TE0[s0 >>> 24]! ^ TE1[(s1 >>> 16) & 0xff]! ^ TE2[(s2 >>> 8) & 0xff]! ^ TE3[s3 & 0xff]! ^ k[ki]!;
      const t1 = TE0[s1 >>> 24]! ^ TE1[(s2 >>> 16) & 0xff]! ^ TE2[(s3 >>> 8) & 0xff]! ^ TE3[s0 & 0xff]! ^ k[ki + 1]!;
      const t2 = TE0[s2 >>> 24]! ^ TE1[(s3 >>> 16) & 0xff]! ^ TE2[(s0 >>> 8) & 0xff]! ^ TE3[s1 & 0xff]! ^ k[ki + 2]!;
      const t3 = TE0[s3 >>> 24]! ^ TE1[(s0 >>> 16) & 0xff]! ^ TE2[(s1 >>> 8) & 0xff]! ^ TE3[s2 & 0xff]! ^ k[ki + 3]!;
      s0 = t0;
      s1 = t1;
      s2 = t2;
      s3 = t3;
    }
    const last = (a: number, b: number, c: number, d: number, rk: number): number =>
      ((SBOX[a >>> 24]! << 24) | (SBOX[(b >>> 16) & 0xff]! << 16) | (SBOX[(c >>> 8) & 0xff]! << 8) | SBOX[d & 0xff]!) ^ rk;
    writeWord(output, outOffset, last(s0, s1, s2, s3, k[ki]!));
    writeWord(output, outOffset + 4, last(s1, s2, s3, s0, k[ki + 1]!));
    writeWord(output, outOffset + 8, last(s2, s3, s0, s1, k[ki + 2]!));
    writeWord(output, outOffset + 12, last(s3, s0, s1, s2, k[ki + 3]!));
    return output;
  }

  decryptBlock(input: Uint8Array, inOffset = 0, output: Uint8Array = new Uint8Array(BLOCK_SIZE), outOffset = 0): Uint8Array {
    checkBlock('decryptBlock input', input, inOffset);
    checkBlock('decryptBlock output', output, outOffset);
    const k = this.dk;
    let s0 = readWord(input, inOffset) ^ k[0]!;
    let s1 = readWord(input, inOffset + 4) ^ k[1]!;
    let s2 = readWord(input, inOffset + 8) ^ k[2]!;
    let s3 = readWord(input, inOffset + 12) ^ k[3]!;
    let ki = 4;
    for (let r = 1; r < this.rounds; r++, ki += 4) {
      const t0 = TD0[s0 >>> 24]! ^ TD1[(s3 >>> 16) & 0xff]! ^ TD2[(s2 >>> 8) & 0xff]! ^ TD3[s1 & 0xff]! ^ k[ki]!;
      const t1 = TD0[s1 >>> 24]! ^ TD1[(s0 >>> 16) & 0xff]! ^ TD2[(s3 >>> 8) & 0xff]! ^ TD3[s2 & 0xff]! ^ k[ki + 1]!;
      const t2 = TD0[s2 >>> 24]! ^ TD1[(s1 >>> 16) & 0xff]! ^ TD2[(s0 >>> 8) & 0xff]! ^ TD3[s3 & 0xff]! ^ k[ki + 2]!;
      const t3 = TD0[s3 >>> 24]! ^ TD1[(s2 >>> 16) & 0xff]! ^ TD2[(s1 >>> 8) & 0xff]! ^ TD3[s0 & 0xff]! ^ k[ki + 3]!;
      s0 = t0;
      s1 = t1;
      s2 = t2;
      s3 = t3;
    }
    const last = (a: number, b: number, c: number, d: number, rk: number): number =>
      ((INV_SBOX[a >>> 24]! << 24) | (INV_SBOX[(b >>> 16) & 0xff]! << 16) | (INV_SBOX[(c >>> 8) & 0xff]! << 8) | INV_SBOX[d & 0xff]!) ^ rk;
    writeWord(output, outOffset, last(s0, s3, s2, s1, k[ki]!));
    writeWord(output, outOffset + 4, last(s1, s0, s3, s2, k[ki + 1]!));
    writeWord(output, outOffset + 8, last(s2, s1, s0, s3, k[ki + 2]!));
    writeWord(output, outOffset + 12, last(s3, s2, s1, s0, k[ki + 3]!));
    return output;
  }
}

function checkCbcArgs(iv: Uint8Array, data: Uint8Array): void {
  if (iv.length !== BLOCK_SIZE) throw new RangeError(`CBC IV must be 16 bytes, got ${iv.length}`);
  if (data.length % BLOCK_SIZE !== 0) throw new RangeError(`CBC data must be a multiple of 16 bytes, got ${data.length}`);
}

/** CBC without padding: the KMS layer pads (PKCS#7) itself, so the length must already be whole blocks. */
export function cbcEncrypt(cipher: BlockCipher, iv: Uint8Array, plaintext: Uint8Array): Buffer {
  checkCbcArgs(iv, plaintext);
  const out = Buffer.alloc(plaintext.length);
  const chain = Uint8Array.from(iv);
  for (let at = 0; at < plaintext.length; at += BLOCK_SIZE) {
    for (let i = 0; i < BLOCK_SIZE; i++) chain[i]! ^= plaintext[at + i]!;
    cipher.encryptBlock(chain, 0, chain, 0);
    out.set(chain, at);
  }
  return out;
}

/** Inverse of cbcEncrypt; leaves the padding in place for the caller to check. */
export function cbcDecrypt(cipher: BlockCipher, iv: Uint8Array, ciphertext: Uint8Array): Buffer {
  checkCbcArgs(iv, ciphertext);
  const out = Buffer.alloc(ciphertext.length);
  for (let at = 0; at < ciphertext.length; at += BLOCK_SIZE) {
    cipher.decryptBlock(ciphertext, at, out, at);
    const prev = at === 0 ? iv : ciphertext;
    const prevAt = at === 0 ? 0 : at - BLOCK_SIZE;
    for (let i = 0; i < BLOCK_SIZE; i++) out[at + i]! ^= prev[prevAt + i]!;
  }
  return out;
}
