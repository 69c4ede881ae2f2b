// Installation IDs for the simulator ("Installation ID" in slmgr /dlv).
//
// A real Installation ID is derived by SPP from the installed product key and a hash of the
// machine's hardware through an undisclosed algorithm, and only Microsoft's activation service can
// interpret it. The lab IID is therefore only *shaped* like one: 63 digits in nine blocks of seven,
// each block six digits plus the check digit real IIDs and confirmation IDs carry. Its digits come
// from SHA-256 of the key digest and the CMID, so it is stable for a key on a machine and changes
// when either changes — the two properties scripts rely on — but it means nothing to Microsoft.

import { createHash } from 'node:crypto';

const BLOCKS = 9;
const PAYLOAD_DIGITS = 6;
const PAYLOAD_TOTAL = BLOCKS * PAYLOAD_DIGITS;

/** (d1 + 2·d2 + d3 + 2·d4 + d5 + 2·d6) mod 7, the check-digit rule of Microsoft IID/CID blocks. */
function checkDigit(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) sum += Number(payload[i]) * (i % 2 === 0 ? 1 : 2);
  return sum % 7;
}

/** True for a seven-digit block whose last digit is the check digit of the first six. */
export function isValidInstallationIdBlock(block: string): boolean {
  return /^\d{7}$/.test(block) && checkDigit(block.slice(0, PAYLOAD_DIGITS)) === Number(block[PAYLOAD_DIGITS]);
}

/**
 * The simulator's 63-digit Installation ID for a key (its SHA-256 digest, as the store keeps it)
 * on a machine (its CMID), without separators as slmgr prints it. Case of either input does not
 * matter, so a GUID typed in upper case yields the same IID.
 */
export function labInstallationId(keyDigest: string, cmid: string): string {
  const hash = createHash('sha256')
    .update(`slmgr-lab-installation-id\0${keyDigest.toLowerCase()}\0${cmid.toLowerCase()}`, 'utf8')
    .digest('hex');
  // 256 bits reduced to 54 decimal digits: the modulo bias is below 2^-75.
  const digits = (BigInt(`0x${hash}`) % 10n ** BigInt(PAYLOAD_TOTAL)).toString().padStart(PAYLOAD_TOTAL, '0');
  let iid = '';
  for (let i = 0; i < PAYLOAD_TOTAL; i += PAYLOAD_DIGITS) {
    const payload = digits.slice(i, i + PAYLOAD_DIGITS);
    iid += payload + String(checkDigit(payload));
  }
  return iid;
}
