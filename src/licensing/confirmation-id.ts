// The lab's telephone activation centre, as pure functions: which Confirmation ID (CID) it issues
// for an Installation ID (IID), and how the licensing service checks a CID typed into /atp or
// /ad-activation-apply-cid.
//
// Microsoft's phone centre turns an IID into a CID with an undisclosed, signed derivation. The lab
// only keeps the shape of a real one: 48 digits in eight groups of six, each group five payload
// digits plus a check digit (the same weighted rule as the blocks of an IID). The payload is an
// HMAC-SHA256 of the IID under a documented, lab-only key, so the licensing service can verify a
// CID without storing anything, and a CID issued for one IID (one key on one machine, or one key
// in one forest) fails on any other. The key is public on purpose: the lab protects nothing.

import { createHmac } from 'node:crypto';
import { isValidInstallationIdBlock } from './installation-id.js';

/** SL_E_CIDIID_INVALID_DATA: "the format for the offline activation data is incorrect" (slmgr has the text). */
export const SL_E_CIDIID_INVALID_DATA = 0xc004f02c;
/** SL_E_CIDIID_INVALID_CHECK_DIGITS: what SLDepositOfflineConfirmationId documents for an invalid IID or CID. */
export const SL_E_CIDIID_INVALID_CHECK_DIGITS = 0xc004f04d;
/** SL_E_CIDIID_MISMATCHED: "The Installation ID (IID) and the Confirmation ID (CID) do not match." */
export const SL_E_CIDIID_MISMATCHED = 0xc004f031;

/** The lab phone centre's HMAC key. Public, lab-only; real confirmation IDs are not made this way. */
export const LAB_PHONE_CENTRE_KEY = 'slmgr lab telephone activation centre v1';

const CID_GROUPS = 8;
const CID_GROUP_PAYLOAD = 5;
const CID_PAYLOAD_DIGITS = CID_GROUPS * CID_GROUP_PAYLOAD;
const IID_DIGITS = 63;
const IID_BLOCK = 7;

/** (d1 + 2·d2 + d3 + 2·d4 + d5) mod 7: the IID block rule, applied to a CID group's five digits. */
function groupCheckDigit(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) sum += Number(payload[i]) * (i % 2 === 0 ? 1 : 2);
  return sum % 7;
}

/** Digits only: the separators people type between groups (dashes, spaces) are dropped. */
function digitsOf(text: string): string | null {
  const stripped = text.trim().replace(/[\s-]+/g, '');
  return /^\d+$/.test(stripped) ? stripped : null;
}

/** The HRESULT a failed check stands for. */
export function checkFailure(check: Exclude<IdCheck, { ok: true }>): number {
  return check.problem === 'format' ? SL_E_CIDIID_INVALID_DATA : SL_E_CIDIID_INVALID_CHECK_DIGITS;
}

export type IdCheck =
  /** Not 63 (IID) or 48 (CID) digits with optional group separators: 0xC004F02C. */
  | { ok: false; problem: 'format' }
  /** A group whose check digit is wrong, the usual result of a typo: 0xC004F04D. */
  | { ok: false; problem: 'check-digit' }
  | { ok: true; digits: string };

/** An Installation ID as the phone centre reads it: 63 digits, nine blocks with valid check digits. */
export function checkInstallationId(text: string): IdCheck {
  const digits = digitsOf(text);
  if (digits === null || digits.length !== IID_DIGITS) return { ok: false, problem: 'format' };
  for (let i = 0; i < IID_DIGITS; i += IID_BLOCK) {
    if (!isValidInstallationIdBlock(digits.slice(i, i + IID_BLOCK))) return { ok: false, problem: 'check-digit' };
  }
  return { ok: true, digits };
}

/** A Confirmation ID as the licensing service reads it: 48 digits, eight groups with valid check digits. */
export function checkConfirmationId(text: string): IdCheck {
  const digits = digitsOf(text);
  const length = CID_GROUPS * (CID_GROUP_PAYLOAD + 1);
  if (digits === null || digits.length !== length) return { ok: false, problem: 'format' };
  for (let i = 0; i < length; i += CID_GROUP_PAYLOAD + 1) {
    const group = digits.slice(i, i + CID_GROUP_PAYLOAD + 1);
    if (groupCheckDigit(group.slice(0, CID_GROUP_PAYLOAD)) !== Number(group[CID_GROUP_PAYLOAD])) return { ok: false, problem: 'check-digit' };
  }
  return { ok: true, digits };
}

/**
 * The 48-digit CID the lab phone centre issues for an IID (63 digits, separators allowed), without
 * separators. Deterministic: the same IID always gets the same CID.
 */
export function labConfirmationId(installationId: string): string {
  const iid = digitsOf(installationId) ?? installationId;
  const mac = createHmac('sha256', LAB_PHONE_CENTRE_KEY).update(`cid\0${iid}`, 'utf8').digest('hex');
  // 256 bits reduced to 40 decimal digits: the modulo bias is far below anything observable.
  const payload = (BigInt(`0x${mac}`) % 10n ** BigInt(CID_PAYLOAD_DIGITS)).toString().padStart(CID_PAYLOAD_DIGITS, '0');
  let cid = '';
  for (let i = 0; i < CID_PAYLOAD_DIGITS; i += CID_GROUP_PAYLOAD) {
    const group = payload.slice(i, i + CID_GROUP_PAYLOAD);
    cid += group + String(groupCheckDigit(group));
  }
  return cid;
}

/** The CID in the eight groups (A–H) a phone centre reads out: `123456-234567-…`. */
export function groupConfirmationId(cid: string): string {
  return (cid.match(/\d{6}/g) ?? [cid]).join('-');
}
