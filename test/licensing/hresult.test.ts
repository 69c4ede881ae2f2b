import { describe, expect, it } from 'vitest';
import { SDK_MESSAGES, SLMGR_ERROR_TEXTS } from '../../src/licensing/hresult-data.js';
import {
  E_INVALIDARG,
  formatErrorLine,
  hex,
  RPC_S_SERVER_UNAVAILABLE,
  sdkMessage,
  signedHResult,
  SL_E_GRACE_TIME_EXPIRED,
  SL_E_INVALID_PRODUCT_KEY,
  SL_E_PKEY_INVALID_CONFIG,
  SL_E_PKEY_NOT_INSTALLED,
  SL_E_VL_BINDING_SERVICE_UNAVAILABLE,
  SL_REMAPPING_SP_PUB_TS_MAX_REARM_REACHED,
  slmgrErrorText,
} from '../../src/licensing/hresult.js';

const fallback = (hexCode: string): string =>
  `On a computer running Microsoft Windows non-core edition, run 'slui.exe 0x2a 0x${hexCode}' to display the error text.`;

describe('formatErrorLine', () => {
  it('prints slmgr’s built-in text (real output)', () => {
    expect(formatErrorLine(0xc004f074)).toBe(
      'Error: 0xC004F074 The Software Licensing Service reported that the computer could not be activated. No Key Management Service (KMS) could be contacted. Please see the Application Event Log for additional information.',
    );
  });

  it('prints the slui fallback where slmgr has no text (real output)', () => {
    expect(formatErrorLine(0xc004e016)).toBe(
      "Error: 0xC004E016 On a computer running Microsoft Windows non-core edition, run 'slui.exe 0x2a 0xC004E016' to display the error text.",
    );
    expect(formatErrorLine(0xc004d302)).toBe(
      "Error: 0xC004D302 On a computer running Microsoft Windows non-core edition, run 'slui.exe 0x2a 0xC004D302' to display the error text.",
    );
  });

  it('keeps slmgr’s wording, including missing periods and lower-case "software"', () => {
    expect(formatErrorLine(0xc004f050)).toBe(
      'Error: 0xC004F050 The Software Licensing Service reported that the product key is invalid',
    );
    expect(formatErrorLine(0xc004f009)).toBe(
      'Error: 0xC004F009 The software Licensing Service reported that the grace period expired',
    );
    expect(formatErrorLine(0xc004f025)).toBe(
      'Error: 0xC004F025 Access denied: the requested action requires elevated privileges',
    );
    expect(formatErrorLine(0x80070057)).toBe('Error: 0x80070057 The parameter is incorrect');
  });

  it('reproduces the 0xC004F066 / 0xC004F069 quirk of table 4.3', () => {
    expect(slmgrErrorText(0xc004f066)).toBe('The Software Licensing Service reported that the product SKU is not found');
    expect(slmgrErrorText(0xc004f069)).toBe(fallback('C004F069'));
    expect(slmgrErrorText(0xc004f06c)).toBe(fallback('C004F06C'));
    expect(slmgrErrorText(0xc004f056)).toBe(fallback('C004F056'));
  });

  it('prints non-negative numbers in decimal without 0x', () => {
    expect(formatErrorLine(5)).toBe('Error: 5 Access denied: the requested action requires elevated privileges');
    expect(formatErrorLine(0x80070005)).toBe(
      'Error: 0x80070005 Access denied: the requested action requires elevated privileges',
    );
    // slmgr builds the fallback from VBScript Hex(), which does not pad.
    expect(formatErrorLine(13)).toBe(`Error: 13 ${fallback('D')}`);
  });

  it('accepts signed and unsigned spellings of the same HRESULT', () => {
    expect(formatErrorLine(-1073418124)).toBe(formatErrorLine(0xc004f074));
    expect(slmgrErrorText(-1073418160)).toBe(slmgrErrorText(0xc004f050));
  });

  it('refuses values that are not 32-bit error numbers', () => {
    for (const bad of [0x1_0000_0000, -0x8000_0001, 1.5, Number.NaN]) {
      expect(() => formatErrorLine(bad)).toThrow(RangeError);
    }
  });
});

describe('signedHResult and hex', () => {
  it('gives the exit codes of table 4.3', () => {
    const table: [number, number][] = [
      [0xc004f042, -1073418174],
      [0xc004f074, -1073418124],
      [0xc004f050, -1073418160],
      [0xc004e016, -1073422314],
      [0xc004f025, -1073418203],
      [0xc004d307, -1073425657],
      [0x80070005, -2147024891],
      [0x800706ba, -2147023174],
      [0x8007251d, -2147015395],
      [0x8004fe21, -2147156447],
    ];
    for (const [code, exit] of table) expect(signedHResult(code)).toBe(exit);
    expect(signedHResult(0x4004f00c)).toBe(1074065420);
    expect(signedHResult(5)).toBe(5);
    expect(signedHResult(-1073418124)).toBe(-1073418124);
  });

  it('formats eight upper-case hex digits', () => {
    expect(hex(0xc004f074)).toBe('C004F074');
    expect(hex(-1073418124)).toBe('C004F074');
    expect(hex(0x8007232a)).toBe('8007232A');
    expect(hex(5)).toBe('00000005');
  });
});

describe('generated tables', () => {
  it('holds every L_MsgError_<HEX> string of Appendix A', () => {
    expect(SLMGR_ERROR_TEXTS).toHaveLength(42);
    const codes = SLMGR_ERROR_TEXTS.map(([code]) => code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes).toContain(5);
    expect(slmgrErrorText(0xc004f304)).toBe('The Software Licensing Service reported that required license could not be found.');
    expect(slmgrErrorText(0x8007251d)).toBe('No records found for DNS query');
    for (const [, text] of SLMGR_ERROR_TEXTS) expect(text).toBe(text.trim());
  });

  it('holds the 414 slerror.h codes plus 8 winerror.h codes', () => {
    expect(SDK_MESSAGES).toHaveLength(414 + 8);
    const codes = SDK_MESSAGES.map(([code]) => code);
    expect(new Set(codes).size).toBe(codes.length);
    const winerror = [0x80070005, 0x80070057, 0x800706ba, 0x8007232a, 0x8007232b, 0x8007251d, 0x8007007b, 0x80070490];
    for (const code of winerror) expect(sdkMessage(code), hex(code)).toBeDefined();
    expect(sdkMessage(0x80070490)).toEqual({ symbol: 'ERROR_NOT_FOUND', text: 'Element not found.' });
    expect(sdkMessage(0x8007251d)).toEqual({ symbol: 'DNS_INFO_NO_RECORDS', text: 'No records found for given DNS query.' });
  });

  it('gives SDK symbol and MessageText', () => {
    expect(sdkMessage(0xc004e016)).toEqual({
      symbol: 'SL_E_PKEY_INVALID_CONFIG',
      text: 'The Software Licensing Service reported that the product key is invalid.',
    });
    expect(sdkMessage(0xc004d302)?.text).toBe('The security processor reported that the trusted data store was rearmed.');
    expect(sdkMessage(-1073418124)?.symbol).toBe('SL_E_VL_BINDING_SERVICE_UNAVAILABLE');
    expect(sdkMessage(0x12345678)).toBeUndefined();
    expect(sdkMessage(5)).toBeUndefined();
  });

  it('names each constant after its SDK symbol', () => {
    const named: [string, number][] = [
      ['SL_E_INVALID_PRODUCT_KEY', SL_E_INVALID_PRODUCT_KEY],
      ['SL_E_PKEY_INVALID_CONFIG', SL_E_PKEY_INVALID_CONFIG],
      ['SL_E_GRACE_TIME_EXPIRED', SL_E_GRACE_TIME_EXPIRED],
      ['SL_REMAPPING_SP_PUB_TS_MAX_REARM_REACHED', SL_REMAPPING_SP_PUB_TS_MAX_REARM_REACHED],
      ['RPC_S_SERVER_UNAVAILABLE', RPC_S_SERVER_UNAVAILABLE],
      ['SL_E_VL_BINDING_SERVICE_UNAVAILABLE', SL_E_VL_BINDING_SERVICE_UNAVAILABLE],
      ['SL_E_PKEY_NOT_INSTALLED', SL_E_PKEY_NOT_INSTALLED],
    ];
    for (const [symbol, code] of named) expect(sdkMessage(code)?.symbol).toBe(symbol);
    expect(sdkMessage(E_INVALIDARG)?.symbol.split(' / ')).toContain('E_INVALIDARG');
  });
});
