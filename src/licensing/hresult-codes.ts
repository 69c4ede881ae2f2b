// HRESULT numbers and their two spellings. Kept apart from the message tables (hresult.ts) so the
// commands that only raise a code do not load every text at start-up.

// Codes the CLI raises itself; their SDK symbols double as the names.
export const SL_E_INVALID_PRODUCT_KEY = 0xc004f050;
export const SL_E_PKEY_INVALID_CONFIG = 0xc004e016;
export const SL_E_GRACE_TIME_EXPIRED = 0xc004f009;
export const SL_REMAPPING_SP_PUB_TS_MAX_REARM_REACHED = 0xc004d307;
export const E_INVALIDARG = 0x80070057;
export const RPC_S_SERVER_UNAVAILABLE = 0x800706ba;
export const SL_E_VL_BINDING_SERVICE_UNAVAILABLE = 0xc004f074;
export const SL_E_PKEY_NOT_INSTALLED = 0xc004f014;
export const SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED = 0xc004c008;
export const SL_E_VL_NOT_ENOUGH_COUNT = 0xc004f038;
export const SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH = 0xc004f042;

/** Accepts an HRESULT written signed (-1073418124) or unsigned (0xC004F074); returns it unsigned. */
export function toUint32(h: number): number {
  if (!Number.isInteger(h) || h < -0x80000000 || h > 0xffffffff) {
    throw new RangeError(`not a 32-bit error number: ${h}`);
  }
  return h >>> 0;
}

/** The value a process exit code / %ERRORLEVEL% shows: 0xC004F074 → -1073418124. */
export function signedHResult(h: number): number {
  return toUint32(h) | 0;
}

/** Eight upper-case hex digits without `0x`: 0xC004F074 → "C004F074". */
export function hex(h: number): string {
  return toUint32(h).toString(16).toUpperCase().padStart(8, '0');
}

