#!/usr/bin/env node
// Regenerates src/licensing/lab-token-data.ts from the lab token fixtures:
//   node scripts/build-lab-tokens.mjs
// Inputs: fixtures/tokens/issuance-licenses.json and fixtures/tokens/certificates.json (synthetic,
// lab-only token-based activation material; see fixtures/tokens/README.md). The npm package ships
// dist/ but not fixtures/, so `slmgr lab install-tokens` reads the generated module. Every record
// is checked first; on any problem nothing is written and the script exits 1.

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const licensesPath = resolve(repoRoot, 'fixtures/tokens/issuance-licenses.json');
const certificatesPath = resolve(repoRoot, 'fixtures/tokens/certificates.json');
const outputPath = resolve(repoRoot, 'src/licensing/lab-token-data.ts');

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const THUMBPRINT = /^[0-9A-F]{40}$/;
const problems = [];
const check = (ok, what) => {
  if (!ok) problems.push(what);
};
const isoOrNull = (v) => v === null || (typeof v === 'string' && !Number.isNaN(Date.parse(v)) && new Date(v).toISOString() === v);

const licenses = JSON.parse(readFileSync(licensesPath, 'utf8'));
const certificates = JSON.parse(readFileSync(certificatesPath, 'utf8'));

const licenseOut = licenses.map((l, i) => {
  const at = `issuance-licenses.json[${i}]`;
  check(GUID.test(l.id), `${at}.id is not a lower-case GUID`);
  check(GUID.test(l.ilid), `${at}.ilid is not a lower-case GUID`);
  check(Number.isInteger(l.ilvid) && l.ilvid >= 0 && l.ilvid <= 0xfffffffe, `${at}.ilvid is not a uint32 below 0xFFFFFFFF`);
  check(isoOrNull(l.expirationDate), `${at}.expirationDate is not an ISO 8601 UTC time or null`);
  check(l.additionalInfo === null || typeof l.additionalInfo === 'string', `${at}.additionalInfo`);
  check(typeof l.description === 'string', `${at}.description`);
  check(Number.isInteger(l.authorizationStatus) && l.authorizationStatus >= 0 && l.authorizationStatus <= 0xffffffff, `${at}.authorizationStatus`);
  check(typeof l.certificateIssuer === 'string' && l.certificateIssuer.includes('LAB ONLY'), `${at}.certificateIssuer must name a lab CA (LAB ONLY)`);
  check(`${l.description}`.includes('LAB ONLY'), `${at}.description must say LAB ONLY`);
  check(Array.isArray(l.grants) && l.grants.length > 0, `${at}.grants`);
  for (const g of l.grants ?? []) {
    check(Number.isInteger(g.grantNumber) && g.grantNumber > 0, `${at} grant number`);
    check(Array.isArray(g.skuIds) && g.skuIds.every((s) => GUID.test(s)), `${at} grant ${g.grantNumber} skuIds`);
  }
  const { note: _note, ...rest } = l;
  return rest;
});
check(new Set(licenses.map((l) => `${l.ilid}/${l.ilvid}`)).size === licenses.length, 'two licences share an ILID and ILvID');
check(new Set(licenses.map((l) => l.id)).size === licenses.length, 'two licences share an id (SLID)');

const certificateOut = certificates.map((c, i) => {
  const at = `certificates.json[${i}]`;
  check(THUMBPRINT.test(c.thumbprint), `${at}.thumbprint is not 40 upper-case hex digits`);
  check(typeof c.subject === 'string' && c.subject.includes('LAB ONLY'), `${at}.subject must say LAB ONLY`);
  check(typeof c.issuer === 'string' && c.issuer.includes('LAB ONLY'), `${at}.issuer must say LAB ONLY`);
  check(isoOrNull(c.validFrom) && c.validFrom !== null, `${at}.validFrom`);
  check(isoOrNull(c.validTo) && c.validTo !== null, `${at}.validTo`);
  check(['smart card', 'virtual smart card', 'software'].includes(c.storage), `${at}.storage`);
  check(c.pin === null || (typeof c.pin === 'string' && c.pin.length > 0), `${at}.pin`);
  check(typeof c.exportablePrivateKey === 'boolean', `${at}.exportablePrivateKey`);
  const { note: _note, ...rest } = c;
  return rest;
});
check(new Set(certificates.map((c) => c.thumbprint)).size === certificates.length, 'two certificates share a thumbprint');

if (problems.length > 0) {
  for (const p of problems) process.stderr.write(`build-lab-tokens: ${p}\n`);
  process.exit(1);
}

const text = `// GENERATED FILE — do not edit. Regenerate with \`node scripts/build-lab-tokens.mjs\`.
// Source: fixtures/tokens/issuance-licenses.json and fixtures/tokens/certificates.json, without
// their notes. Synthetic, lab-only token-based activation material: no Microsoft licence, no real
// certificate or CA, no key. \`slmgr lab install-tokens <machine>\` installs it on a lab machine.

import type { LabTokenCertificate, TokenIssuanceLicense } from './tokens.js';

export const LAB_TOKEN_LICENSES: readonly TokenIssuanceLicense[] = ${JSON.stringify(licenseOut, null, 2)};

export const LAB_TOKEN_CERTIFICATES: readonly LabTokenCertificate[] = ${JSON.stringify(certificateOut, null, 2)};
`;
writeFileSync(outputPath, text);
process.stdout.write(`wrote ${outputPath}: ${licenseOut.length} licence(s), ${certificateOut.length} certificate(s)\n`);
