import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { cbcDecrypt, cbcEncrypt, Rijndael } from '../../src/kms/rijndael.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => Buffer.from(text, 'hex');
const counting = (length: number) => Buffer.from(Array.from({ length }, (_, i) => i));

function nodeEcb(key: Buffer, block: Buffer): Buffer {
  const cipher = createCipheriv(`aes-${key.length * 8}-ecb`, key, null).setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]);
}

describe('FIPS-197 Appendix C example vectors', () => {
  const plaintext = fromHex('00112233445566778899aabbccddeeff');
  test.each([
    ['C.1 AES-128', 16, '69c4e0d86a7b0430d8cdb78070b4c55a'],
    ['C.2 AES-192', 24, 'dda97ca4864cdfe06eaf70a0ec0d7191'],
    ['C.3 AES-256', 32, '8ea2b7ca516745bfeafc49904b496089'],
  ])('%s', (_name, keyLength, expected) => {
    const cipher = new Rijndael(counting(keyLength));
    expect(hex(cipher.encryptBlock(plaintext))).toBe(expected);
    expect(hex(cipher.decryptBlock(fromHex(expected)))).toBe(hex(plaintext));
  });

  test('rounds follow max(Nk, 4) + 6', () => {
    expect([16, 20, 24, 32].map((n) => new Rijndael(counting(n)).rounds)).toEqual([10, 11, 12, 14]);
  });
});

describe('160-bit keys (not AES; the KMS V4 MAC uses one)', () => {
  // Brian Gladman's Rijndael reference values for a 128-bit block and a 160-bit key, also used by
  // phpseclib's and DCPcrypt's test suites.
  test('reference vector', () => {
    const cipher = new Rijndael(fromHex('2b7e151628aed2a6abf7158809cf4f3c762e7160'));
    expect(hex(cipher.encryptBlock(fromHex('3243f6a8885a308d313198a2e0370734')))).toBe('231d844639b31b412211cfe93712b880');
  });

  test('decrypt inverts encrypt on random keys and blocks', () => {
    for (let i = 0; i < 50; i++) {
      const cipher = new Rijndael(randomBytes(20));
      const block = randomBytes(16);
      expect(hex(cipher.decryptBlock(cipher.encryptBlock(block)))).toBe(hex(block));
    }
  });
});

describe('agreement with node:crypto', () => {
  test.each([16, 24, 32])('ECB with %i-byte keys on random blocks', (keyLength) => {
    for (let i = 0; i < 40; i++) {
      const key = randomBytes(keyLength);
      const block = randomBytes(16);
      const cipher = new Rijndael(key);
      const expected = nodeEcb(key, block);
      expect(hex(cipher.encryptBlock(block))).toBe(hex(expected));
      expect(hex(cipher.decryptBlock(expected))).toBe(hex(block));
    }
  });

  test('CBC helpers equal aes-128-cbc without padding', () => {
    for (const blocks of [1, 2, 15]) {
      const key = randomBytes(16);
      const iv = randomBytes(16);
      const data = randomBytes(16 * blocks);
      const node = createCipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
      const expected = Buffer.concat([node.update(data), node.final()]);
      const cipher = new Rijndael(key);
      expect(hex(cbcEncrypt(cipher, iv, data))).toBe(hex(expected));
      expect(hex(cbcDecrypt(cipher, iv, expected))).toBe(hex(data));
    }
  });

  test('CBC of nothing is nothing', () => {
    const cipher = new Rijndael(counting(16));
    expect(cbcEncrypt(cipher, counting(16), new Uint8Array(0))).toHaveLength(0);
  });
});

describe('KMS V6 key-schedule tweak', () => {
  const key = fromHex('a94a4195e201432d9bcb460405d84a21');

  test('changes the output', () => {
    const block = counting(16);
    const plain = new Rijndael(key);
    const tweaked = new Rijndael(key, { kmsV6Tweak: true });
    expect(hex(tweaked.encryptBlock(block))).not.toBe(hex(plain.encryptBlock(block)));
    expect(hex(tweaked.decryptBlock(block))).not.toBe(hex(plain.decryptBlock(block)));
  });

  test('decrypt inverts encrypt, for blocks and CBC', () => {
    const cipher = new Rijndael(key, { kmsV6Tweak: true });
    for (let i = 0; i < 50; i++) {
      const block = randomBytes(16);
      expect(hex(cipher.decryptBlock(cipher.encryptBlock(block)))).toBe(hex(block));
    }
    const iv = randomBytes(16);
    const data = randomBytes(256);
    expect(hex(cbcDecrypt(cipher, iv, cbcEncrypt(cipher, iv, data)))).toBe(hex(data));
  });
});

describe('block placement and misuse', () => {
  test('reads and writes at offsets, in place too', () => {
    const cipher = new Rijndael(counting(16));
    const buffer = Buffer.concat([Buffer.alloc(5), fromHex('00112233445566778899aabbccddeeff'), Buffer.alloc(3)]);
    cipher.encryptBlock(buffer, 5, buffer, 5);
    expect(hex(buffer.subarray(5, 21))).toBe('69c4e0d86a7b0430d8cdb78070b4c55a');
    expect(hex(buffer.subarray(0, 5))).toBe('0000000000');
    expect(hex(buffer.subarray(21))).toBe('000000');
    const out = new Uint8Array(20);
    cipher.decryptBlock(buffer, 5, out, 4);
    expect(hex(out.subarray(4))).toBe('00112233445566778899aabbccddeeff');
  });

  test('rejects bad key sizes and out-of-range blocks', () => {
    expect(() => new Rijndael(new Uint8Array(17))).toThrow(RangeError);
    expect(() => new Rijndael(new Uint8Array(28))).toThrow(RangeError);
    const cipher = new Rijndael(counting(16));
    expect(() => cipher.encryptBlock(new Uint8Array(15))).toThrow(RangeError);
    expect(() => cipher.decryptBlock(new Uint8Array(32), 17)).toThrow(RangeError);
    expect(() => cipher.encryptBlock(new Uint8Array(16), 0, new Uint8Array(16), 1)).toThrow(RangeError);
    expect(() => cbcEncrypt(cipher, new Uint8Array(16), new Uint8Array(17))).toThrow(RangeError);
    expect(() => cbcDecrypt(cipher, new Uint8Array(8), new Uint8Array(16))).toThrow(RangeError);
  });
});
