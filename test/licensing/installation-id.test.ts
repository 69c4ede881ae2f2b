import { describe, expect, it } from 'vitest';
import { isValidInstallationIdBlock, labInstallationId } from '../../src/licensing/installation-id.js';
import { productKeyDigest } from '../../src/licensing/product-key.js';

const blocks = (iid: string): string[] => iid.match(/.{7}/g) ?? [];

const DIGEST = productKeyDigest('W269N-WFGWX-YVC9B-4J6C9-T83GX');
const CMID = '2ffcfc30-6a6a-49ec-92b8-f6150c7df211';

describe('labInstallationId', () => {
  it('is 63 digits in nine blocks with valid check digits', () => {
    const iid = labInstallationId(DIGEST, CMID);
    expect(iid).toMatch(/^\d{63}$/);
    expect(blocks(iid)).toHaveLength(9);
    for (const block of blocks(iid)) expect(isValidInstallationIdBlock(block), block).toBe(true);
  });

  it('is deterministic and ignores the case of its inputs', () => {
    const iid = labInstallationId(DIGEST, CMID);
    expect(labInstallationId(DIGEST, CMID)).toBe(iid);
    expect(labInstallationId(DIGEST.toUpperCase(), CMID.toUpperCase())).toBe(iid);
  });

  it('changes with the key and with the machine', () => {
    const iid = labInstallationId(DIGEST, CMID);
    expect(labInstallationId(productKeyDigest('NPPR9-FWDCX-D2C8J-H872K-2YT43'), CMID)).not.toBe(iid);
    expect(labInstallationId(DIGEST, '268127a6-0000-4000-8000-000000000000')).not.toBe(iid);
  });

  it('keeps every block valid across many inputs', () => {
    for (let i = 0; i < 200; i++) {
      const iid = labInstallationId(DIGEST, `cmid-${i}`);
      expect(iid).toMatch(/^\d{63}$/);
      expect(blocks(iid).every(isValidInstallationIdBlock)).toBe(true);
    }
  });
});

describe('isValidInstallationIdBlock', () => {
  it('accepts the blocks of a real Installation ID', () => {
    // From a real `slmgr /dlv` transcript (slmgr-reference.md §3.7): confirms the check-digit rule.
    const real = '489126343257012289105546522085205332958764158851011127139061121';
    for (const block of blocks(real)) expect(isValidInstallationIdBlock(block), block).toBe(true);
  });

  it('rejects a wrong check digit, wrong length and non-digits', () => {
    expect(isValidInstallationIdBlock('4891263')).toBe(true);
    expect(isValidInstallationIdBlock('4891264')).toBe(false);
    expect(isValidInstallationIdBlock('489126')).toBe(false);
    expect(isValidInstallationIdBlock('48912633')).toBe(false);
    expect(isValidInstallationIdBlock('48912a3')).toBe(false);
  });
});
