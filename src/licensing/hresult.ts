// HRESULTs as slmgr prints them: `Error: 0x<HEX> <text>` (slmgr-reference.md §4.1). The text is
// slmgr's own built-in string when it has one, otherwise the slui fallback sentence — never the SDK
// MessageText, which slmgr does not show. The SDK table is kept for callers that want to explain
// a fallback line, since slui.exe does not exist off Windows.

import { SDK_MESSAGES, SLMGR_ERROR_TEXTS } from './hresult-data.js';

// Codes the CLI raises itself; their SDK symbols double as the names.
export const SL_E_INVALID_PRODUCT_KEY = 0xc004f050;
export const SL_E_PKEY_INVALID_CONFIG = 0xc004e016;
export const SL_E_GRACE_TIME_EXPIRED = 0xc004f009;
export const SL_REMAPPING_SP_PUB_TS_MAX_REARM_REACHED = 0xc004d307;
export const E_INVALIDARG = 0x80070057;
export const RPC_S_SERVER_UNAVAILABLE = 0x800706ba;
export const SL_E_VL_BINDING_SERVICE_UNAVAILABLE = 0xc004f074;
export const SL_E_PKEY_NOT_INSTALLED = 0xc004f014;

const slmgrTexts = new Map<number, string>(SLMGR_ERROR_TEXTS);
const sdkMessages = new Map(SDK_MESSAGES.map(([code, symbol, text]) => [code, { symbol, text }]));

/** Accepts an HRESULT written signed (-1073418124) or unsigned (0xC004F074); returns it unsigned. */
function toUint32(h: number): number {
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

/**
 * What slmgr's VBScript `Hex()` yields: the same as `hex` for negative HRESULTs, but unpadded for
 * small non-negative numbers (5 → "5"). slmgr builds both the `L_MsgError_<HEX>` lookup and the
 * slui fallback from it.
 */
function vbHex(h: number): string {
  return toUint32(h).toString(16).toUpperCase();
}

const isNegative = (h: number): boolean => signedHResult(h) < 0;

/** slmgr's text for an error number: its built-in string, else the slui fallback sentence. */
export function slmgrErrorText(hresult: number): string {
  return (
    slmgrTexts.get(toUint32(hresult)) ??
    `On a computer running Microsoft Windows non-core edition, run 'slui.exe 0x2a 0x${vbHex(hresult)}' to display the error text.`
  );
}

/**
 * The single line slmgr prints when an SPP call fails. Negative HRESULTs are shown as `0x` + hex;
 * non-negative numbers (Win32 registry results such as 5) in decimal without `0x` (§4.1).
 */
export function formatErrorLine(hresult: number): string {
  const shown = isNegative(hresult) ? `0x${hex(hresult)}` : String(toUint32(hresult));
  return `Error: ${shown} ${slmgrErrorText(hresult)}`;
}

/** Windows SDK symbol and MessageText (what `slui.exe 0x2a <code>` would display), if known. */
export function sdkMessage(hresult: number): { symbol: string; text: string } | undefined {
  return sdkMessages.get(toUint32(hresult));
}
