// HRESULTs as slmgr prints them: `Error: 0x<HEX> <text>` (slmgr-reference.md §4.1). The text is
// slmgr's own built-in string when it has one, otherwise the slui fallback sentence — never the SDK
// MessageText, which slmgr does not show. The SDK table is kept for callers that want to explain
// a fallback line, since slui.exe does not exist off Windows.

import { hex, signedHResult, toUint32 } from './hresult-codes.js';
import { SDK_MESSAGES, SLMGR_ERROR_TEXTS } from './hresult-data.js';

export * from './hresult-codes.js';

const slmgrTexts = new Map<number, string>(SLMGR_ERROR_TEXTS);
const sdkMessages = new Map(SDK_MESSAGES.map(([code, symbol, text]) => [code, { symbol, text }]));

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
