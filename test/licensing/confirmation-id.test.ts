import { describe, expect, it } from 'vitest';
import {
  checkConfirmationId,
  checkFailure,
  checkInstallationId,
  groupConfirmationId,
  labConfirmationId,
  SL_E_CIDIID_INVALID_CHECK_DIGITS,
  SL_E_CIDIID_INVALID_DATA,
} from '../../src/licensing/confirmation-id.js';
import { isValidInstallationIdBlock, labInstallationId } from '../../src/licensing/installation-id.js';

const IID = labInstallationId('a'.repeat(64), '2ffcfc30-6a6a-49ec-92b8-f6150c7df211');

/** Flips one digit of a group so that its check digit no longer holds. */
function typo(cid: string, index: number): string {
  const digit = Number(cid[index]);
  return cid.slice(0, index) + String((digit + 1) % 10) + cid.slice(index + 1);
}

describe('the lab phone centre', () => {
  it('issues 48 digits in eight groups of six, each ending in its check digit', () => {
    const cid = labConfirmationId(IID);
    expect(cid).toMatch(/^\d{48}$/);
    expect(checkConfirmationId(cid)).toEqual({ ok: true, digits: cid });
    expect(groupConfirmationId(cid)).toMatch(/^\d{6}(-\d{6}){7}$/);
  });

  it('is a deterministic function of the Installation ID alone', () => {
    expect(labConfirmationId(IID)).toBe(labConfirmationId(IID));
    const dashed = (IID.match(/\d{7}/g) as string[]).join('-');
    expect(labConfirmationId(dashed)).toBe(labConfirmationId(IID));
    const other = labInstallationId('b'.repeat(64), '2ffcfc30-6a6a-49ec-92b8-f6150c7df211');
    expect(labConfirmationId(other)).not.toBe(labConfirmationId(IID));
  });

  it('has a golden value, so a change of the derivation is never silent', () => {
    expect(labConfirmationId('0'.repeat(63))).toBe('585075967525127855454891200863465915666255320092');
    expect(groupConfirmationId(labConfirmationId('123456012345601234560123456012345601234560123456012345601234560')))
      .toBe('607481-494166-212076-237862-704212-688702-807563-140301');
  });
});

describe('checking typed IDs', () => {
  it('accepts groups separated by dashes or spaces', () => {
    const cid = labConfirmationId(IID);
    expect(checkConfirmationId(groupConfirmationId(cid))).toEqual({ ok: true, digits: cid });
    expect(checkConfirmationId(` ${groupConfirmationId(cid).replace(/-/g, ' ')} `)).toEqual({ ok: true, digits: cid });
  });

  it('reports a wrong length or a non-digit as a format error (0xC004F02C)', () => {
    for (const bad of ['', '123', '1'.repeat(47), '1'.repeat(49), `${'1'.repeat(47)}x`, 'A'.repeat(48)]) {
      const check = checkConfirmationId(bad);
      expect(check.ok, bad).toBe(false);
      if (!check.ok) expect(checkFailure(check)).toBe(SL_E_CIDIID_INVALID_DATA);
    }
  });

  it('reports a typo in any group as bad check digits (0xC004F04D)', () => {
    const cid = labConfirmationId(IID);
    for (let group = 0; group < 8; group++) {
      const check = checkConfirmationId(typo(cid, group * 6 + 2));
      expect(check).toEqual({ ok: false, problem: 'check-digit' });
      if (!check.ok) expect(checkFailure(check)).toBe(SL_E_CIDIID_INVALID_CHECK_DIGITS);
    }
  });

  it('checks Installation IDs the same way: 63 digits, nine blocks with check digits', () => {
    expect(checkInstallationId(IID)).toEqual({ ok: true, digits: IID });
    expect((IID.match(/\d{7}/g) as string[]).every(isValidInstallationIdBlock)).toBe(true);
    expect(checkInstallationId(IID.slice(1))).toEqual({ ok: false, problem: 'format' });
    expect(checkInstallationId(typo(IID, 3))).toEqual({ ok: false, problem: 'check-digit' });
  });
});
