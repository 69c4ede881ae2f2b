// Fuzzing the licence-file parser: whatever the bytes, it returns a licence file or throws
// LicenseFileError (which /ilc turns into 0xC004F01F), never anything else, and never hangs.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LicenseFileError, parseLicenseFile } from '../../src/licensing/xrml.js';
import { mutation, xmlish } from '../helpers/xml-fuzz.js';

const fixture = (path: string) => readFileSync(new URL(`../../fixtures/licenses/system/${path}`, import.meta.url));
const SEEDS = [fixture('pkeyconfig/pkeyconfig-lab.xrm-ms'), fixture('skus/LabProfessional/LabProfessional-MAK.xrm-ms')];

/** Parses, and says how it ended; anything but a LicenseFileError propagates and fails the property. */
function outcome(bytes: Uint8Array): 'accepted' | string {
  try {
    parseLicenseFile(bytes);
    return 'accepted';
  } catch (error) {
    if (error instanceof LicenseFileError) return error.problem;
    throw error;
  }
}

describe('parseLicenseFile under fuzzing', () => {
  it('random bytes never escape as anything but a LicenseFileError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
      expect(typeof outcome(bytes)).toBe('string');
    }), { numRuns: 1000 });
  });

  it('mutations of the lab licences parse or are refused, nothing else', () => {
    fc.assert(fc.property(mutation(SEEDS), (bytes) => {
      expect(typeof outcome(bytes)).toBe('string');
    }), { numRuns: 1500 });
  });

  it('grammar-made documents parse or are refused, nothing else', () => {
    fc.assert(fc.property(xmlish, fc.constantFrom('', '\ufeff', '<?xml version="1.0"?>'), (doc, prefix) => {
      expect(typeof outcome(Buffer.from(prefix + doc, 'utf8'))).toBe('string');
    }), { numRuns: 1500 });
  });

  it('any markup declaration is refused before an entity could be expanded', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 2, max: 30 }), (levels, fanOut) => {
      const entities = ['<!ENTITY e0 "ha">', ...Array.from({ length: levels }, (_, i) => `<!ENTITY e${i + 1} "${`&e${i};`.repeat(fanOut)}">`)];
      const doc = `<!DOCTYPE r:license [${entities.join('')}]><r:license xmlns:r="urn:mpeg:mpeg21:2003:01-REL-R-NS" licenseId="{ced31da0-60e0-4a82-958d-8f8b17340ce3}"><r:title>&e${levels};</r:title></r:license>`;
      expect(outcome(Buffer.from(doc))).toBe('declaration');
    }), { numRuns: 200 });
  });

  it('nesting of any depth is refused past the limit, quickly', () => {
    fc.assert(fc.property(fc.integer({ min: 49, max: 200_000 }), (depth) => {
      const started = Date.now();
      const doc = `<r:license xmlns:r="urn:mpeg:mpeg21:2003:01-REL-R-NS" licenseId="{ced31da0-60e0-4a82-958d-8f8b17340ce3}">${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}</r:license>`;
      expect(outcome(Buffer.from(doc))).toBe('too-deep');
      expect(Date.now() - started).toBeLessThan(2000);
    }), { numRuns: 40 });
  });

  it('huge attributes and texts within the size cap end in a verdict in bounded time', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 4_000_000 }), fc.constantFrom('licenseId', 'name', 'other'), (size, attribute) => {
      const started = Date.now();
      const doc = `<r:license xmlns:r="urn:mpeg:mpeg21:2003:01-REL-R-NS" licenseId="{ced31da0-60e0-4a82-958d-8f8b17340ce3}" ${attribute === 'licenseId' ? 'x' : attribute}="${'A'.repeat(size)}"/>`;
      expect(typeof outcome(Buffer.from(doc))).toBe('string');
      expect(Date.now() - started).toBeLessThan(5000);
    }), { numRuns: 15 });
  });
});
