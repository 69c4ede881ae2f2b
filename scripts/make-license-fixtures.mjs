#!/usr/bin/env node
// Writes the lab's system licence set and the lab keys of its key ranges:
//   node scripts/make-license-fixtures.mjs
// Outputs:
//   fixtures/licenses/system/**.xrm-ms   the synthetic XrML licences `/rilc` reinstalls (and `/ilc`
//                                        installs one by one): a product-key configuration licence
//                                        for the lab key groups 990014-990016 and the product
//                                        licences of the three lab SKUs it names
//   fixtures/licenses/lab-keys.json      LAB KEYS in those ranges (made with make-lab-keys.mjs's
//                                        encoder, which refuses every group outside 990001-990016)
//   src/licensing/system-license-data.ts the same licence files as strings, for /rilc at run time
//                                        (no product key is in them, only groups and ranges)
// Deterministic: GUIDs are SHA-256 of fixed names, keys use make-lab-keys.mjs's security values, so
// re-running reproduces every file byte for byte (test/licensing/license-fixtures.test.ts checks it).
// docs/licenses.md explains the set. This module exports pure functions; it writes only when run.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { encodeLabKey, LAB_KEY_NOTE, labSecurityFor } from './make-lab-keys.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const WINDOWS_APP_ID = '55c92734-d682-4d71-983e-d6ec3f16059f';
const R_NS = 'urn:mpeg:mpeg21:2003:01-REL-R-NS';
const TM_NS = 'http://www.microsoft.com/DRM/XrML2/TM/v2';
const SL_NS = 'http://www.microsoft.com/DRM/XrML2/SL/v2';
const PKC_NS = 'http://www.microsoft.com/DRM/PKEY/Configuration/2.0';
const PKEY_2009 = 'msft:rm/algorithm/pkey/2009';

/** A stable GUID (version 4 layout) from a name, so the fixtures never change between runs. */
export function labGuid(name) {
  const h = createHash('sha256').update(`slmgr lab licence set: ${name}`, 'utf8').digest('hex');
  const variant = ((Number.parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The lab SKUs: one edition ("LabProfessional") in three channels, each in its own lab-only key
 * group. Groups 990011-990013 stay free for further lab host-key types (docs/lab-keys.md).
 */
export const LAB_SKUS = [
  { id: 'mak', file: 'LabProfessional-MAK.xrm-ms', keyType: 'Volume:MAK', groupId: 990014, eulaType: 'Volume' },
  { id: 'retail', file: 'LabProfessional-Retail.xrm-ms', keyType: 'Retail', groupId: 990015, eulaType: 'Retail' },
  { id: 'oem', file: 'LabProfessional-OEM-DM.xrm-ms', keyType: 'OEM:DM', groupId: 990016, eulaType: 'OEM' },
].map((s) => ({ ...s, skuId: labGuid(`sku LabProfessional ${s.keyType}`), licenseId: labGuid(`licence LabProfessional ${s.keyType}`) }));

export const EDITION = 'LabProfessional';
export const PRODUCT_NAME = 'Windows(R), LabProfessional edition';
export const PRODUCT_DESCRIPTION = 'Windows(R) Operating System';

/** Key ranges: serials 0-999999 of each group are keys; the MAK group also has an invalid range. */
export function labKeyRanges() {
  const ranges = LAB_SKUS.map((s) => ({ sku: s, partNumber: `LAB-${s.id.toUpperCase()}-00001`, isValid: true, start: 0, end: 999_999 }));
  const mak = LAB_SKUS[0];
  ranges.push({ sku: mak, partNumber: 'LAB-MAK-REVOKED', isValid: false, start: 1_000_000, end: 1_999_999 });
  return ranges;
}

/** The LAB KEYS the tests and docs use, one per case /ipk distinguishes. */
export const LAB_LICENSE_KEYS = [
  { id: 'lab-mak', group: 990014, serial: 1, expect: 'installs LabProfessional, channel Volume:MAK' },
  { id: 'lab-mak-2', group: 990014, serial: 2, expect: 'installs LabProfessional, channel Volume:MAK (a second key of the same SKU)' },
  { id: 'lab-retail', group: 990015, serial: 1, expect: 'installs LabProfessional, channel Retail' },
  { id: 'lab-oem', group: 990016, serial: 1, expect: 'installs LabProfessional, channel OEM:DM' },
  { id: 'lab-mak-revoked', group: 990014, serial: 1_000_001, expect: '0xC004F050: its serial is in a range marked IsValid=false' },
  { id: 'lab-mak-no-range', group: 990014, serial: 5_000_000, expect: '0xC004E016: no key range of the group holds its serial' },
];

export function buildLabLicenseKeys() {
  return LAB_LICENSE_KEYS.map((k) => ({
    id: k.id,
    key: encodeLabKey({ groupId: k.group, serial: k.serial, security: labSecurityFor(`licence-set:${k.id}`) }),
    groupId: k.group,
    serial: k.serial,
    expect: k.expect,
    note: LAB_KEY_NOTE,
  }));
}

const xmlHeader = '<?xml version="1.0" encoding="utf-8"?>';
const labComment = (what) =>
  `<!-- LAB LICENCE (slmgr): ${what}. Synthetic and unsigned; lab-only key groups 990014-990016; no Microsoft product accepts it. -->`;

function licenseOpen(licenseId) {
  return `<r:license xmlns:r="${R_NS}" licenseId="{${licenseId}}" xmlns:sl="${SL_NS}" xmlns:tm="${TM_NS}">`;
}

function infoList(entries) {
  const lines = entries.map(([tag, name, value]) => `          <tm:${tag} name="${name}">${value}</tm:${tag}>`);
  return [
    `    <r:otherInfo xmlns:r="${R_NS}">`,
    `      <tm:infoTables xmlns:tm="${TM_NS}">`,
    '        <tm:infoList tag="#global">',
    ...lines,
    '        </tm:infoList>',
    '      </tm:infoTables>',
    '    </r:otherInfo>',
  ];
}

/** The ProductKeyConfiguration document the pkeyconfig licence carries (before base64). */
export function productKeyConfigurationXml() {
  const lines = [xmlHeader, `<ProductKeyConfiguration xmlns="${PKC_NS}">`, '  <Configurations>'];
  for (const s of LAB_SKUS) {
    lines.push(
      '    <Configuration>',
      `      <ActConfigId>{${s.skuId}}</ActConfigId>`,
      `      <RefGroupId>${s.groupId}</RefGroupId>`,
      `      <EditionId>${EDITION}</EditionId>`,
      `      <ProductDescription>Lab ${EDITION} ${s.keyType} (LAB)</ProductDescription>`,
      `      <ProductKeyType>${s.keyType}</ProductKeyType>`,
      '      <IsRandomized>false</IsRandomized>',
      '    </Configuration>',
    );
  }
  lines.push('  </Configurations>', '  <KeyRanges>');
  for (const r of labKeyRanges()) {
    lines.push(
      '    <KeyRange>',
      `      <RefActConfigId>{${r.sku.skuId}}</RefActConfigId>`,
      `      <PartNumber>${r.partNumber}</PartNumber>`,
      `      <EulaType>${r.sku.eulaType}</EulaType>`,
      `      <IsValid>${r.isValid}</IsValid>`,
      `      <Start>${r.start}</Start>`,
      `      <End>${r.end}</End>`,
      '    </KeyRange>',
    );
  }
  lines.push('  </KeyRanges>', '  <PublicKeys>');
  for (const s of LAB_SKUS) {
    lines.push(
      '    <PublicKey>',
      `      <GroupId>${s.groupId}</GroupId>`,
      `      <AlgorithmId>${PKEY_2009}</AlgorithmId>`,
      '      <PublicKeyValue>msft:pkey/2009/cryptoprofile/hmac/sha256</PublicKeyValue>',
      '    </PublicKey>',
    );
  }
  lines.push('  </PublicKeys>', '</ProductKeyConfiguration>', '');
  return lines.join('\r\n');
}

export function pkeyConfigLicenseXml() {
  const payload = Buffer.from(productKeyConfigurationXml(), 'utf8').toString('base64').match(/.{1,76}/g).join('\r\n');
  return [
    xmlHeader,
    labComment('product-key configuration for the lab SKUs'),
    `<rg:licenseGroup xmlns:rg="${R_NS}">`,
    `  ${licenseOpen(labGuid('licence pkeyconfig-lab'))}`,
    '    <r:title>Lab Product Key Configuration (LAB)</r:title>',
    '    <r:grant>',
    '      <sl:runSoftware/>',
    '    </r:grant>',
    ...infoList([
      ['infoStr', 'licenseType', 'msft:sl/PKEYCONFIG/SIGNED'],
      ['infoStr', 'licenseVersion', '2.0'],
      ['infoBin', 'pkeyConfigData', `\r\n${payload}\r\n          `],
    ]),
    '  </r:license>',
    '</rg:licenseGroup>',
    '',
  ].join('\r\n');
}

export function skuLicenseXml(sku) {
  return [
    xmlHeader,
    labComment(`product licence of ${PRODUCT_NAME}, ${sku.keyType}`),
    `<rg:licenseGroup xmlns:rg="${R_NS}">`,
    `  ${licenseOpen(sku.licenseId)}`,
    `    <r:title>${EDITION} ${sku.keyType} Publishing License (LAB)</r:title>`,
    '    <r:grant>',
    '      <sl:runSoftware/>',
    '    </r:grant>',
    ...infoList([
      ['infoStr', 'licenseType', 'msft:sl/PL/GENERIC/PUBLIC'],
      ['infoStr', 'licenseVersion', '2.0'],
      ['infoStr', 'licenseCategory', 'msft:sl/PL/GENERIC/PUBLIC'],
      ['infoStr', 'productSkuId', `{${sku.skuId}}`],
      ['infoStr', 'applicationId', `{${WINDOWS_APP_ID}}`],
      ['infoStr', 'productName', PRODUCT_NAME],
      ['infoStr', 'Family', EDITION],
      ['infoStr', 'productAuthor', 'slmgr lab (not Microsoft)'],
      ['infoStr', 'productDescription', PRODUCT_DESCRIPTION],
    ]),
    '  </r:license>',
    '</rg:licenseGroup>',
    '',
  ].join('\r\n');
}

/**
 * The system licence set in the order slmgr /rilc installs it: each subfolder of
 * %SystemRoot%\system32\spp\tokens in name order, and in each folder its files before its
 * subfolders. Paths are relative to the tokens folder, with backslashes.
 */
export function systemLicenseFiles() {
  return [
    { path: 'pkeyconfig\\pkeyconfig-lab.xrm-ms', text: pkeyConfigLicenseXml() },
    ...[...LAB_SKUS].sort((a, b) => (a.file < b.file ? -1 : 1)).map((s) => ({ path: `skus\\${EDITION}\\${s.file}`, text: skuLicenseXml(s) })),
  ];
}

export function systemLicenseDataTs(files) {
  const body = files.map((f) => `  {\n    path: ${JSON.stringify(f.path)},\n    text: ${JSON.stringify(f.text)},\n  },`).join('\n');
  return [
    '// Generated by scripts/make-license-fixtures.mjs from the lab licence set (fixtures/licenses/system/).',
    '// Do not edit. Synthetic, unsigned LAB licences for lab-only key groups; no product key is in here.',
    '',
    '/** The lab\'s system licence files, in the order /rilc installs them; paths under spp\\\\tokens. */',
    'export const SYSTEM_LICENSE_FILES: readonly { readonly path: string; readonly text: string }[] = [',
    body,
    '];',
    '',
  ].join('\n');
}

/** Every output, path relative to the repository root → content. */
export function buildOutputs() {
  const files = systemLicenseFiles();
  const outputs = new Map();
  for (const f of files) outputs.set(join('fixtures/licenses/system', ...f.path.split('\\')), f.text);
  outputs.set('fixtures/licenses/lab-keys.json', `${JSON.stringify(buildLabLicenseKeys(), null, 2)}\n`);
  outputs.set('src/licensing/system-license-data.ts', systemLicenseDataTs(files));
  return outputs;
}

function main() {
  const outputs = buildOutputs();
  // No lab GUID may be a Microsoft Activation ID, and no lab key a published GVLK.
  const gvlkPath = resolve(repoRoot, 'fixtures/reference/gvlk.json');
  if (existsSync(gvlkPath)) {
    const rows = JSON.parse(readFileSync(gvlkPath, 'utf8')).rows;
    const skus = new Set(rows.map((r) => String(r.skuId ?? r.activationId ?? '').toLowerCase()));
    for (const s of LAB_SKUS) if (skus.has(s.skuId)) throw new Error(`${s.id}: SKU ID collides with the GVLK catalog`);
    const keys = new Set(rows.map((r) => r.gvlk));
    for (const k of buildLabLicenseKeys()) if (keys.has(k.key)) throw new Error(`${k.id}: collides with a published GVLK`);
  }
  for (const [path, content] of outputs) {
    const target = resolve(repoRoot, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  console.log(`make-license-fixtures: wrote ${[...outputs.keys()].join(', ')}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    main();
  } catch (e) {
    console.error(`make-license-fixtures: ${e.message}`);
    process.exit(1);
  }
}
