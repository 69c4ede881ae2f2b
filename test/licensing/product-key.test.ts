import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HResultError } from '../../src/errors.js';
import { findCatalogByKey } from '../../src/licensing/catalog.js';
import {
  decodePkey2009,
  hasValidChecksum,
  KEY_ALPHABET,
  maskProductKey,
  normalizeProductKey,
  parseProductKey,
  partialProductKey,
  pkey2009Checksum,
  productKeyDigest,
} from '../../src/licensing/product-key.js';
import { fixtureRows, isPkey2009Row } from './gvlk-fixture.js';

const WORKED_EXAMPLE = 'W269N-WFGWX-YVC9B-4J6C9-T83GX';
const CANONICAL = /^([BCDFGHJKMPQRTVWXY2346789N]{5}-){4}[BCDFGHJKMPQRTVWXY2346789N]{4}[BCDFGHJKMPQRTVWXY2346789]$/;

function expectInvalidKey(input: string): void {
  let thrown: unknown;
  try {
    parseProductKey(input);
  } catch (e) {
    thrown = e;
  }
  expect(thrown, input).toBeInstanceOf(HResultError);
  expect((thrown as HResultError).hresult).toBe(0xc004f050);
}

const bare = (key: string): string => key.replaceAll('-', '');
const dashed = (b: string): string => b.match(/.{5}/g)!.join('-');

describe('the published GVLKs', () => {
  it('fixture holds 162 rows, 121 of them pkey2009', () => {
    expect(fixtureRows).toHaveLength(162);
    expect(fixtureRows.filter(isPkey2009Row)).toHaveLength(121);
  });

  it.each(fixtureRows.map((r) => [r.gvlk, r] as const))('%s normalises, parses and is in the catalog', (gvlk, row) => {
    expect(normalizeProductKey(gvlk)).toBe(gvlk);
    expect(normalizeProductKey(`  ${bare(gvlk).toLowerCase()} `)).toBe(gvlk);

    const parsed = parseProductKey(gvlk);
    expect(parsed.key).toBe(gvlk);
    expect(parsed.partialKey).toBe(gvlk.slice(-5));
    expect(findCatalogByKey(parsed.key)?.skuId).toBe(row.skuId);

    if (isPkey2009Row(row)) {
      const recorded = row.keyDecoded!;
      expect(parsed.format).toBe('pkey2009');
      expect(parsed.decoded).not.toBeNull();
      const d = parsed.decoded!;
      expect({
        groupId: d.groupId,
        serial: d.serial,
        security: d.security,
        checksum: d.checksum,
        upgrade: d.upgrade,
        extra: d.extra,
      }).toEqual({
        groupId: recorded.groupId,
        serial: recorded.serial,
        security: BigInt(recorded.security),
        checksum: recorded.checksum,
        upgrade: recorded.upgrade,
        extra: recorded.extra,
      });
      expect(d.nPosition).toBe(bare(gvlk).indexOf('N'));
      expect(hasValidChecksum(d)).toBe(true);
    } else {
      expect(parsed.format).toBe('pkey2005');
      expect(parsed.decoded).toBeNull();
    }
  });
});

describe('decodePkey2009 — worked example of product-key-format.md §5', () => {
  const d = decodePkey2009(WORKED_EXAMPLE);

  it('decodes every field', () => {
    expect(d.nPosition).toBe(4);
    expect(d.value).toBe(6154343795018908688006397247360239n);
    expect(d.value).toBe(0x00012f6ebd4e39c53d34000000100cefn);
    expect(d.groupId).toBe(3311);
    expect(d.serial).toBe(1);
    expect(d.security).toBe(7792597778124621n);
    expect(d.checksum).toBe(606);
    expect(d.upgrade).toBe(0);
    expect(d.extra).toBe(0);
  });

  it('verifies the checksum', () => {
    expect(pkey2009Checksum(d.value)).toBe(606);
    expect(hasValidChecksum(d)).toBe(true);
  });

  it('decodes the other examples of the table', () => {
    const table: [string, number, number, number, number][] = [
      ['NPPR9-FWDCX-D2C8J-H872K-2YT43', 0, 3290, 3, 51],
      ['TVRH6-WHNXV-R9WG3-9XRFY-MY832', 7, 4929, 1, 989],
      ['YC7DK-G2NP3-2QQC3-J6H88-GVGXT', 7, 2164, 0, 1008],
      ['XJ2XN-FW8RK-P4HMP-DKDBV-GCVGB', 4, 5024, 0, 609],
    ];
    for (const [key, nPosition, groupId, serial, checksum] of table) {
      expect(decodePkey2009(key)).toMatchObject({ nPosition, groupId, serial, checksum });
    }
  });

  it('ignores the stored checksum bits when computing the checksum', () => {
    const cleared = d.value & ~(0x3ffn << 103n);
    expect(pkey2009Checksum(cleared)).toBe(606);
  });

  it('refuses values outside 128 bits and keys without N', () => {
    expect(() => pkey2009Checksum(-1n)).toThrow(RangeError);
    expect(() => pkey2009Checksum(1n << 128n)).toThrow(RangeError);
    expect(() => decodePkey2009('FJ82H-XT6CR-J8D7P-XQJJ2-GPDD4')).toThrow(HResultError);
    expect(() => decodePkey2009('not a key')).toThrow(HResultError);
  });
});

describe('corrupted keys', () => {
  // The offline check is a 10-bit CRC, so roughly one typo in a thousand passes it (such a key is
  // then unknown to the catalog). These keys and positions are fixed, not random, and none of the
  // variants below happens to pass.
  const keys = [WORKED_EXAMPLE, 'TVRH6-WHNXV-R9WG3-9XRFY-MY832', 'YC7DK-G2NP3-2QQC3-J6H88-GVGXT', 'XJ2XN-FW8RK-P4HMP-DKDBV-GCVGB'];

  it.each(keys)('every substitution at positions 0, 6, 12, 18 and 24 of %s is rejected', (key) => {
    const b = bare(key);
    for (const position of [0, 6, 12, 18, 24]) {
      if (b[position] === 'N') continue;
      for (const c of KEY_ALPHABET) {
        if (c === b[position]) continue;
        expectInvalidKey(dashed(b.slice(0, position) + c + b.slice(position + 1)));
      }
    }
  });

  it.each(keys)('every swap of two different adjacent characters of %s is rejected', (key) => {
    const b = bare(key);
    for (let i = 0; i + 1 < b.length; i++) {
      if (b[i] === b[i + 1]) continue;
      expectInvalidKey(dashed(b.slice(0, i) + b[i + 1] + b[i] + b.slice(i + 2)));
    }
  });

  it('rejects a second N, a trailing N, wrong lengths, vowels and foreign characters', () => {
    const b = bare(WORKED_EXAMPLE);
    expectInvalidKey(dashed(`${b.slice(0, 10)}N${b.slice(11)}`));
    expectInvalidKey(dashed(`${b.slice(0, 4)}${b.slice(5)}N`));
    expectInvalidKey(dashed(`${bare('FJ82H-XT6CR-J8D7P-XQJJ2-GPDD4').slice(0, 24)}N`));
    expectInvalidKey(b.slice(0, 24));
    expectInvalidKey(`${b}B`);
    expectInvalidKey(`${WORKED_EXAMPLE}-B`);
    expectInvalidKey(WORKED_EXAMPLE.slice(0, -1));
    for (const c of ['A', 'E', 'I', 'O', 'U', 'L', 'S', 'Z', '0', '1', '5', ' ', '_', 'é']) {
      expectInvalidKey(dashed(`${c}${b.slice(1)}`.padEnd(25, 'B')));
    }
    expectInvalidKey('');
    expectInvalidKey('W269N-WFGWX-YVC9B-4J6C9');
  });

  it('rejects dashes in the wrong places but accepts lower case and missing dashes', () => {
    expectInvalidKey('W269NW-FGWX-YVC9B-4J6C9-T83GX');
    expectInvalidKey('W269N--WFGWX-YVC9B-4J6C9-T83GX');
    expectInvalidKey('W269N WFGWX YVC9B 4J6C9 T83GX');
    expect(parseProductKey('w269n-wfgwx-yvc9b-4j6c9-t83gx').key).toBe(WORKED_EXAMPLE);
    expect(parseProductKey('W269nWfGwXyVc9B4j6C9t83Gx').key).toBe(WORKED_EXAMPLE);
  });

  it('does not let Unicode case mapping smuggle characters in', () => {
    // 'ﬀ'.toUpperCase() is "FF": naive upper-casing would turn these 24 characters into a key.
    expect(normalizeProductKey(`${bare(WORKED_EXAMPLE).slice(0, 23)}ﬀ`)).toBeNull();
  });

  it('returns pkey2005 keys with a substituted character as pkey2005, unknown to the catalog', () => {
    const pkey2005 = fixtureRows.filter((r) => !isPkey2009Row(r)).slice(0, 8);
    expect(pkey2005.length).toBe(8);
    for (const row of pkey2005) {
      const b = bare(row.gvlk);
      for (const position of [0, 12, 24]) {
        const c = b[position] === 'B' ? 'C' : 'B';
        const variant = dashed(b.slice(0, position) + c + b.slice(position + 1));
        const parsed = parseProductKey(variant);
        expect(parsed.format).toBe('pkey2005');
        expect(parsed.decoded).toBeNull();
        expect(findCatalogByKey(parsed.key)).toBeUndefined();
      }
    }
  });

  it('treats a pkey2009 key whose N was replaced as pkey2005, unknown to the catalog', () => {
    const parsed = parseProductKey(WORKED_EXAMPLE.replace('N', 'B'));
    expect(parsed.format).toBe('pkey2005');
    expect(findCatalogByKey(parsed.key)).toBeUndefined();
  });

  it('rejects keys whose N sits at position 16 or later: their extra bit (114) is set', () => {
    // The N position is the leading base-24 digit: value >= 16 * 24^24 > 2^114 from position 16 on,
    // value < 15 * 24^24 < 2^114 up to position 14 (position 15 depends on the other digits).
    const withoutN = bare(WORKED_EXAMPLE).replace('N', '');
    for (const position of [16, 20, 23]) {
      const moved = dashed(withoutN.slice(0, position) + 'N' + withoutN.slice(position));
      expect(decodePkey2009(moved).extra).toBe(1);
      expectInvalidKey(moved);
    }
    expect(decodePkey2009(dashed(withoutN.slice(0, 14) + 'N' + withoutN.slice(14))).extra).toBe(0);
  });
});

describe('normalizeProductKey properties', () => {
  const keyish = fc
    .array(fc.constantFrom(...`${KEY_ALPHABET}${KEY_ALPHABET.toLowerCase()}NnAE015-- `), { minLength: 20, maxLength: 32 })
    .map((chars) => chars.join(''));
  const anyString = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), keyish);

  it('returns the canonical form or null, and is idempotent', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const n = normalizeProductKey(s);
        if (n === null) return;
        expect(n).toMatch(CANONICAL);
        expect((n.match(/N/g) ?? []).length).toBeLessThanOrEqual(1);
        expect(normalizeProductKey(n)).toBe(n);
        expect(bare(n)).toBe(bare(s.trim().toUpperCase()));
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every 25-symbol string with at most one non-final N, with or without dashes', () => {
    const symbols = fc.array(fc.constantFrom(...KEY_ALPHABET), { minLength: 25, maxLength: 25 });
    fc.assert(
      fc.property(symbols, fc.option(fc.nat(23)), fc.boolean(), (chars, nAt, withDashes) => {
        if (nAt !== null) chars[nAt] = 'N';
        const b = chars.join('');
        const n = normalizeProductKey(withDashes ? dashed(b) : b.toLowerCase());
        expect(n).toBe(dashed(b));
      }),
    );
  });
});

describe('partial, mask and digest', () => {
  it('shows only the last five characters', () => {
    expect(partialProductKey(WORKED_EXAMPLE)).toBe('T83GX');
    expect(partialProductKey('w269nwfgwxyvc9b4j6c9t83gx')).toBe('T83GX');
    expect(maskProductKey(WORKED_EXAMPLE)).toBe('XXXXX-XXXXX-XXXXX-XXXXX-T83GX');
    expect(maskProductKey('FJ82H-XT6CR-J8D7P-XQJJ2-GPDD4')).toBe('XXXXX-XXXXX-XXXXX-XXXXX-GPDD4');
    expect(() => maskProductKey('nonsense')).toThrow(HResultError);
  });

  it('masks never reveal more than the partial key', () => {
    for (const row of fixtureRows) {
      const masked = maskProductKey(row.gvlk);
      expect(masked.replace('XXXXX-XXXXX-XXXXX-XXXXX-', '')).toBe(row.gvlk.slice(-5));
    }
  });

  it('digests the canonical form with SHA-256, whatever the spelling', () => {
    const expected = createHash('sha256').update(WORKED_EXAMPLE).digest('hex');
    expect(productKeyDigest(WORKED_EXAMPLE)).toBe(expected);
    expect(productKeyDigest(' w269nwfgwxyvc9b4j6c9t83gx ')).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
    expect(productKeyDigest('NPPR9-FWDCX-D2C8J-H872K-2YT43')).not.toBe(expected);
    expect(() => productKeyDigest('nonsense')).toThrow(HResultError);
  });
});
