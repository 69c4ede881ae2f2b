// /ilc with fuzzed files, through the CLI: it never crashes (no exit 70, no stack trace), and a
// file it refuses ends in slmgr's 0xC004F01F line, exit 2, and a store that is unchanged to the
// byte. A mutation that is still a valid licence installs, exit 0.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupLabs, INVALID_LICENSE, lab, out, PKEYCONFIG, SKU_MAK, type Lab } from '../helpers/license-lab.js';
import { mutation, xmlish } from '../helpers/xml-fuzz.js';

afterEach(cleanupLabs);

const SEEDS = [readFileSync(PKEYCONFIG), readFileSync(SKU_MAK)];

async function prepared(): Promise<Lab> {
  const l = lab();
  expect((await l.slmgr('/ipk', 'W269N-WFGWX-YVC9B-4J6C9-T83GX')).status).toBe(0);
  expect((await l.slmgr('kms01', '/rilc')).status).toBe(0);
  return l;
}

/** One /ilc of `bytes`: success installs; anything else is exactly the refusal, with the store untouched. */
async function check(l: Lab, bytes: Uint8Array, machine: string[] = []): Promise<number> {
  const file = l.file('fuzz.xrm-ms', bytes);
  const before = l.dump();
  const sha = l.sha();
  const r = await l.slmgr(...machine, '/ilc', file);
  if (r.status === 0) {
    expect(r.stdout).toBe(out(`License file ${file} installed successfully.`, ''));
    return 0;
  }
  expect(r.status).toBe(2);
  expect(r.stdout).toBe(out(INVALID_LICENSE));
  expect(r.stderr).toMatch(/^slmgr: license file .* was not installed \(/);
  expect(l.dump()).toBe(before);
  expect(l.sha()).toBe(sha);
  return 2;
}

describe('/ilc under fuzzing', () => {
  it('mutated licence files: installed, or refused with the store unchanged', async () => {
    const l = await prepared();
    const seen = new Set<number>();
    await fc.assert(fc.asyncProperty(mutation(SEEDS), async (bytes) => {
      seen.add(await check(l, bytes));
    }), { numRuns: 150 });
    // The mutations reach both outcomes, so the property is not vacuous.
    expect(seen).toEqual(new Set([0, 2]));
  });

  it('grammar-made XML on a lab machine: never a crash, never a half-written store', async () => {
    const l = await prepared();
    await fc.assert(fc.asyncProperty(xmlish, async (doc) => {
      await check(l, Buffer.from(doc, 'utf8'), ['kms01']);
    }), { numRuns: 100 });
  });

  it('entity bombs, deep nesting and huge attributes are refused and change nothing', async () => {
    const l = await prepared();
    const hostile = fc.oneof(
      fc.tuple(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 2, max: 20 })).map(([levels, fanOut]) => {
        const entities = ['<!ENTITY e0 "lol">', ...Array.from({ length: levels }, (_, i) => `<!ENTITY e${i + 1} "${`&e${i};`.repeat(fanOut)}">`)];
        return `<?xml version="1.0"?><!DOCTYPE rg:licenseGroup [${entities.join('')}]><rg:licenseGroup xmlns:rg="urn:mpeg:mpeg21:2003:01-REL-R-NS">&e${levels};</rg:licenseGroup>`;
      }),
      fc.integer({ min: 49, max: 50_000 }).map((depth) => `<rg:licenseGroup xmlns:rg="urn:mpeg:mpeg21:2003:01-REL-R-NS">${'<x>'.repeat(depth)}${'</x>'.repeat(depth)}</rg:licenseGroup>`),
      fc.integer({ min: 1_000, max: 3_000_000 }).map((size) => `<r:license xmlns:r="urn:mpeg:mpeg21:2003:01-REL-R-NS" licenseId="{${'f'.repeat(size)}}"/>`),
      fc.integer({ min: 0, max: 1000 }).map((extra) => `<r:license xmlns:r="urn:mpeg:mpeg21:2003:01-REL-R-NS" licenseId="{ced31da0-60e0-4a82-958d-8f8b17340ce3}"><!--${'x'.repeat(4 * 1024 * 1024 + extra)}--></r:license>`),
    );
    await fc.assert(fc.asyncProperty(hostile, async (doc) => {
      expect(await check(l, Buffer.from(doc, 'utf8'))).toBe(2);
    }), { numRuns: 40 });
  });
});
