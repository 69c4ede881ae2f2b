// slmgr's token-based activation texts (/lil, /ril, /ltc, /fta and the token lines of /dli and
// /dlv), built from the message catalogue in slmgr.vbs's order.

import type { TokenActivationView, TokenResult } from '../commands/token.js';
import type { LabTokensInstalledResult } from '../commands/token-lab.js';
import { formatSlmgrDateTime } from './dates.js';
import { message, MESSAGES } from './messages.js';

const INDENT = '    ';

/**
 * VBScript's conversion of a date to text (en-US): the date and the time, but the date alone
 * when the time is midnight — what `"…" & objWmiDate.GetVarDate` gives in /lil.
 */
function vbDateText(ms: number): string {
  const d = new Date(ms);
  const midnight = d.getHours() === 0 && d.getMinutes() === 0 && d.getSeconds() === 0;
  return midnight ? vbShortDate(ms) : formatSlmgrDateTime(ms);
}

/** FormatDateTime(…, vbShortDate) in en-US: month/day/year, local time. */
function vbShortDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getMonth() + 1}/${d.getDate()}/${d.getFullYear()}`;
}

/** `Additional Information: …` after a token-activated product's Description. */
export function tokenAdditionalInformationLines(token: TokenActivationView | null): string[] {
  return token?.additionalInformation ? [message('MsgTkaInfoAdditionalInfo', { MOREINFO: token.additionalInformation })] : [];
}

/** The token block that replaces the KMS client block of a token-activated KMS client product. */
export function tokenActivationLines(token: TokenActivationView): string[] {
  return [
    '',
    MESSAGES.MsgVLMostRecentActivationInfo,
    MESSAGES.MsgTkaInfo,
    INDENT + message('MsgTkaInfoILID', { ILID: token.ilid }),
    INDENT + message('MsgTkaInfoILVID', { ILVID: token.ilvid }),
    INDENT + message('MsgTkaInfoGrantNo', { GRANTNO: token.grantNumber }),
    INDENT + message('MsgTkaInfoThumbprint', { THUMBPRINT: token.certificateThumbprint }),
  ];
}

/** A failure of /ltc or /fta with no keyed Windows product: slmgr's two lines. */
function failureLines(productKeyNotFound: boolean, hresult: number, errorLine: (hresult: number) => string): string[] {
  return productKeyNotFound ? [MESSAGES.MsgErrorPKey, errorLine(hresult)] : [errorLine(hresult)];
}

export function tokenLines(result: TokenResult, errorLine: (hresult: number) => string): string[] {
  switch (result.kind) {
    case 'token-licenses': {
      const lines = [MESSAGES.MsgTkaLicenses, ''];
      for (const l of result.licenses) {
        lines.push(message('MsgTkaLicenseHeader', { ILID: l.ilid, ILVID: l.ilvid }));
        lines.push(INDENT + message('MsgTkaLicenseILID', { ILID: l.ilid }), INDENT + message('MsgTkaLicenseILVID', { ILVID: l.ilvid }));
        if (l.validTo !== null) lines.push(INDENT + message('MsgTkaLicenseExpiration', { TODATE: vbDateText(Date.parse(l.validTo)) }));
        if (l.additionalInformation !== null) lines.push(INDENT + message('MsgTkaLicenseAdditionalInfo', { MOREINFO: l.additionalInformation }));
        // slmgr prints the hex without leading zeros (VBScript's Hex).
        lines.push(INDENT + (l.authorizationStatus !== null
          ? message('MsgTkaLicenseAuthZStatus', { ERRCODE: l.authorizationStatus.slice(2).replace(/^0+(?=.)/, '') })
          : message('MsgTkaLicenseDescr', { DESC: l.description })));
        lines.push('');
      }
      if (result.licenses.length === 0) lines.push(MESSAGES.MsgTkaLicenseNone);
      return lines;
    }
    case 'token-license-removal':
      return [
        MESSAGES.MsgTkaRemoving,
        '',
        ...(result.removed.length === 0 ? [MESSAGES.MsgTkaRemovedNone] : result.removed.map((slid) => message('MsgTkaRemovedItem', { SLID: slid }))),
      ];
    case 'token-certificates':
      if (result.failure) return failureLines(result.productKeyNotFound, result.failure.hresult, errorLine);
      return result.certificates.flatMap((c) => [
        '',
        message('MsgTkaCertThumbprint', { THUMBPRINT: c.thumbprint }),
        message('MsgTkaCertSubject', { SUBJECT: c.subject }),
        message('MsgTkaCertIssuer', { ISSUER: c.issuer }),
        message('MsgTkaCertValidFrom', { FROMDATE: vbShortDate(Date.parse(c.validFrom)) }),
        message('MsgTkaCertValidTo', { TODATE: vbShortDate(Date.parse(c.validTo)) }),
      ]);
    case 'token-activation': {
      if (result.product === null) return failureLines(result.productKeyNotFound, result.failure?.hresult ?? 0, errorLine);
      const lines = [message('MsgActivating', { PRODUCTNAME: result.product.name, PRODUCTID: result.product.activationId })];
      if (result.failure) lines.push(errorLine(result.failure.hresult));
      else lines.push(MESSAGES.MsgActivated);
      return lines;
    }
  }
}

/** `slmgr lab install-tokens` (an extension: our own wording). */
export function labTokensLines(result: LabTokensInstalledResult): string[] {
  return [
    `${result.machine}: installed ${result.licenses.length} token issuance license(s) and ${result.certificates.length} token certificate(s) from the lab token set (LAB ONLY)`,
    ...result.licenses.map((l) => `  issuance license ${l.ilid} ${l.ilvid}`),
    ...result.certificates.map((c) => `  certificate ${c.thumbprint} ${c.subject}${c.pinProtected ? ' (PIN)' : ''}`),
  ];
}
