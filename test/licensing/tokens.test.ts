// Token-based activation's pure rules, and the lab token set the CLI ships against its fixtures.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATALOG_ROWS } from '../../src/licensing/catalog-data.js';
import { LAB_TOKEN_CERTIFICATES, LAB_TOKEN_LICENSES } from '../../src/licensing/lab-token-data.js';
import { formatErrorLine } from '../../src/licensing/hresult.js';
import {
  certificatesFor,
  decideTokenActivation,
  grantsFor,
  licenseIsUsable,
  normaliseThumbprint,
  tokenActivationAllowed,
  type TokenActivationRequest,
} from '../../src/licensing/tokens.js';

const fixture = <T = { note?: unknown }>(name: string): T[] => JSON.parse(readFileSync(new URL(`../../fixtures/tokens/${name}`, import.meta.url), 'utf8')) as T[];
const withoutNote = <T extends { note?: unknown }>(rows: T[]) => rows.map(({ note: _note, ...rest }) => rest);

const ENTERPRISE = '73111121-5638-40f6-bc11-f1d7b0d64300';
const SERVER_2022_STANDARD = '9bd77860-9b31-4b7b-96ad-2564017315bf';
const EDUCATION_OR_OTHER = '00000000-0000-0000-0000-000000000000';
const NOW = Date.parse('2026-11-25T12:00:00Z');
const PIN_CARD = '8C76F9C2107E34F9864CF75EDA132B5E7689A257';
const NO_PIN = '56EB115F0A4A63878249DE62A56B45E286BC7983';
const EXPORTABLE = '4BB0774A298DA508078EB15BDF1F9702CDF4D606';
const OTHER_CA = '6592FC3B842303CE2907BF4E1003888F6471177A';

function request(patch: Partial<TokenActivationRequest>): TokenActivationRequest {
  return {
    skuId: ENTERPRISE,
    description: 'Windows(R) Operating System, VOLUME_KMSCLIENT channel',
    activationType: 0,
    licenses: LAB_TOKEN_LICENSES,
    certificates: LAB_TOKEN_CERTIFICATES,
    thumbprint: NO_PIN,
    pin: undefined,
    now: NOW,
    ...patch,
  };
}

const hresultOf = (r: TokenActivationRequest) => {
  const d = decideTokenActivation(r);
  return d.ok ? 0 : d.hresult;
};

describe('the lab token set', () => {
  it('is the fixtures without their notes (regenerate with node scripts/build-lab-tokens.mjs)', () => {
    expect(LAB_TOKEN_LICENSES).toEqual(withoutNote(fixture('issuance-licenses.json')));
    expect(LAB_TOKEN_CERTIFICATES).toEqual(withoutNote(fixture('certificates.json')));
  });

  it('grants only editions of the GVLK catalog, and says LAB ONLY everywhere', () => {
    const skuIds = new Set(CATALOG_ROWS.map((r) => r.skuId));
    for (const l of LAB_TOKEN_LICENSES) {
      for (const g of l.grants) for (const s of g.skuIds) expect(skuIds.has(s), s).toBe(true);
      expect(l.description).toContain('LAB ONLY');
      expect(l.certificateIssuer).toContain('LAB ONLY');
    }
    for (const c of LAB_TOKEN_CERTIFICATES) {
      expect(c.subject).toContain('LAB ONLY');
      expect(c.issuer).toContain('LAB ONLY');
    }
  });
});

describe('issuance licences', () => {
  it('grant while authorized and unexpired, newest version first', () => {
    const [v1, v2, damaged] = LAB_TOKEN_LICENSES as [never, never, never];
    expect(licenseIsUsable(v1, Date.parse('2025-06-01T00:00:00Z'))).toBe(true);
    expect(licenseIsUsable(v1, NOW)).toBe(false);
    expect(licenseIsUsable(v2, NOW)).toBe(true);
    expect(licenseIsUsable(damaged, NOW)).toBe(false);
    const early = grantsFor(LAB_TOKEN_LICENSES, ENTERPRISE, Date.parse('2025-06-01T00:00:00Z'));
    expect(early.map((g) => [g.license.ilvid, g.grant.grantNumber])).toEqual([[2, 1], [1, 1]]);
    expect(grantsFor(LAB_TOKEN_LICENSES, SERVER_2022_STANDARD, NOW).map((g) => g.grant.grantNumber)).toEqual([2]);
    expect(grantsFor(LAB_TOKEN_LICENSES, EDUCATION_OR_OTHER, NOW)).toEqual([]);
  });

  it('accept the certificates of the CA they name', () => {
    const accepted = certificatesFor(grantsFor(LAB_TOKEN_LICENSES, ENTERPRISE, NOW), LAB_TOKEN_CERTIFICATES).map((c) => c.thumbprint);
    expect(accepted).toEqual([PIN_CARD, NO_PIN, EXPORTABLE]);
  });
});

describe('thumbprints', () => {
  it('are 40 hex digits, in any case, spaces allowed', () => {
    expect(normaliseThumbprint('8c 76 f9 c2 10 7e 34 f9 86 4c f7 5e da 13 2b 5e 76 89 a2 57')).toBe(PIN_CARD);
    expect(normaliseThumbprint(PIN_CARD.toLowerCase())).toBe(PIN_CARD);
    for (const bad of ['', 'abc', `${PIN_CARD}0`, PIN_CARD.slice(1), `${PIN_CARD.slice(1)}G`]) expect(normaliseThumbprint(bad)).toBeNull();
  });
});

describe('/fta decisions', () => {
  it('activates with a certificate the licence accepts, choosing the newest licence', () => {
    const d = decideTokenActivation(request({}));
    expect(d).toMatchObject({ ok: true, match: { license: { ilvid: 2 }, grant: { grantNumber: 1 } }, certificate: { thumbprint: NO_PIN } });
    expect(decideTokenActivation(request({ thumbprint: PIN_CARD, pin: '123456' })).ok).toBe(true);
  });

  it('follows the configured activation type: all and token allow it, AD and KMS do not', () => {
    expect([0, 1, 2, 3].map(tokenActivationAllowed)).toEqual([true, false, false, true]);
    expect(hresultOf(request({ activationType: 2 }))).toBe(0xc004f06a);
    expect(hresultOf(request({ activationType: 1 }))).toBe(0xc004f06a);
    expect(hresultOf(request({ activationType: 3 }))).toBe(0);
  });

  it('answers each failure with its HRESULT, in the order Windows meets them', () => {
    expect(hresultOf(request({ description: 'Windows(R) Operating System, VOLUME_KMS_2012-R2_WIN10 channel' }))).toBe(0xc004f306);
    expect(hresultOf(request({ skuId: EDUCATION_OR_OTHER }))).toBe(0xc004f304);
    expect(hresultOf(request({ licenses: [] }))).toBe(0xc004f304);
    expect(hresultOf(request({ thumbprint: 'not-a-thumbprint' }))).toBe(0xc004f30d);
    expect(hresultOf(request({ thumbprint: '0'.repeat(40) }))).toBe(0xc004f30e);
    expect(hresultOf(request({ thumbprint: PIN_CARD }))).toBe(0xc004f30b);
    expect(hresultOf(request({ thumbprint: PIN_CARD, pin: '000000' }))).toBe(0xc004f30b);
    expect(hresultOf(request({ thumbprint: EXPORTABLE }))).toBe(0xc004f312);
    expect(hresultOf(request({ thumbprint: OTHER_CA }))).toBe(0xc004f30f);
    expect(hresultOf(request({ now: Date.parse('2030-06-01T09:00:00Z') }))).toBe(0xc004f30a);
    expect(hresultOf(request({ now: Date.parse('2031-07-01T00:00:00Z'), thumbprint: PIN_CARD, pin: '123456' }))).toBe(0xc004f304);
  });

  it('gives slmgr its own texts where it has them, the slui line otherwise', () => {
    expect(formatErrorLine(0xc004f30e)).toBe('Error: 0xC004F30E The Software Licensing Service reported that the computer could not be activated. A certificate for the thumbprint could not be found.');
    expect(formatErrorLine(0xc004f30b)).toBe("Error: 0xC004F30B On a computer running Microsoft Windows non-core edition, run 'slui.exe 0x2a 0xC004F30B' to display the error text.");
  });
});
