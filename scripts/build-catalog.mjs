#!/usr/bin/env node
// Regenerates the GVLK catalog from the reference table of public KMS client setup keys:
//   node scripts/build-catalog.mjs [path/to/gvlk.json]        (npm run catalog)
// Default input: ../shared/reference/gvlk.json relative to the repository root.
// Writes src/licensing/catalog-data.ts and a verbatim copy at fixtures/reference/gvlk.json, so the
// tests do not depend on the shared reference directory.
// Every row must satisfy the consistency checks below and land in exactly one Name/Description
// rule; otherwise nothing is written and the script exits 1.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const inputPath = process.argv[2]
  ? resolve(process.cwd(), process.argv[2])
  : resolve(repoRoot, '../shared/reference/gvlk.json');
const outputPath = resolve(repoRoot, 'src/licensing/catalog-data.ts');
const fixturePath = resolve(repoRoot, 'fixtures/reference/gvlk.json');

const WINDOWS_APP_ID = '55c92734-d682-4d71-983e-d6ec3f16059f';
const OFFICE2010_APP_ID = '59a52881-a989-479d-af46-f275c6370663';
const OFFICE_APP_ID = '0ff1ce15-a989-479d-af46-f275c6370663';

const KMS_CLIENT = 'VOLUME_KMSCLIENT channel';
const OFFICE_FAMILY_BY_VERSION = {
  15: 'Office 2013',
  16: 'Office 2016',
  19: 'Office 2019',
  21: 'Office LTSC 2021',
  24: 'Office LTSC 2024',
};

// SoftwareLicensingProduct Name/Description as slmgr /dli shows them. `match` returns truthy when
// the rule applies (for Office: the regex match of pkeyconfigDescription, whose version must then
// agree with the row's product family). docs/catalog.md says which rules real output confirms.
const RULES = [
  {
    id: 'windows-8-and-later',
    applicationId: WINDOWS_APP_ID,
    keyFormat: 'pkey2009',
    match: (r) =>
      /^(Windows (8|8\.1|10|11)( |$)|Windows IoT LTSC$|Windows Server (2012|2012 R2|2016|2019|2022|2025)$|Windows Server, versions? )/.test(
        r.productFamily,
      ),
    name: (r) => `Windows(R), ${r.pkeyconfigEditionId} edition`,
    description: () => `Windows(R) Operating System, ${KMS_CLIENT}`,
  },
  {
    id: 'windows-7',
    applicationId: WINDOWS_APP_ID,
    keyFormat: 'pkey2005',
    match: (r) => r.productFamily === 'Windows 7',
    name: (r) => `Windows(R) 7, ${r.pkeyconfigEditionId} edition`,
    description: () => `Windows Operating System - Windows(R) 7, ${KMS_CLIENT}`,
  },
  {
    id: 'windows-server-2008',
    applicationId: WINDOWS_APP_ID,
    keyFormat: 'pkey2005',
    match: (r) => /^Windows Server 2008( R2)?$/.test(r.productFamily),
    name: (r) => `Windows Server(R), ${r.pkeyconfigEditionId} edition`,
    description: () => `Windows Operating System - Windows Server(R), ${KMS_CLIENT}`,
  },
  {
    id: 'windows-vista',
    applicationId: WINDOWS_APP_ID,
    keyFormat: 'pkey2005',
    match: (r) => r.productFamily === 'Windows Vista',
    name: (r) => `Windows(R) Vista, ${r.pkeyconfigEditionId} edition`,
    description: () => `Windows Operating System - Windows(R) Vista, ${KMS_CLIENT}`,
  },
  {
    id: 'office-2013',
    applicationId: OFFICE_APP_ID,
    keyFormat: 'pkey2009',
    match: (r) => /^Office(15)_(\w+VL_KMS_Client)$/.exec(r.pkeyconfigDescription),
    family: (m) => OFFICE_FAMILY_BY_VERSION[m[1]],
    name: (_r, m) => `Office 15, Office${m[2]} edition`,
    description: () => `Office 15, ${KMS_CLIENT}`,
  },
  {
    id: 'office-2016-and-later',
    applicationId: OFFICE_APP_ID,
    keyFormat: 'pkey2009',
    match: (r) => /^Office(16|19|21|24)_(\w+VL_KMS_Client(?:_AE)?)$/.exec(r.pkeyconfigDescription),
    family: (m) => OFFICE_FAMILY_BY_VERSION[m[1]],
    name: (_r, m) => `Office ${m[1]}, Office${m[1]}${m[2]} edition`,
    description: (_r, m) => `Office ${m[1]}, ${KMS_CLIENT}`,
  },
  {
    id: 'office-2010',
    applicationId: OFFICE2010_APP_ID,
    keyFormat: 'pkey2005',
    match: (r) => /^RTM_(\w+)_KMS_Client$/.exec(r.pkeyconfigDescription),
    family: () => 'Office 2010',
    name: (_r, m) => `Office 14, Office${m[1]}-KMS_Client edition`,
    description: () => `Office 14, ${KMS_CLIENT}`,
  },
];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const GVLK_SHAPE = /^([BCDFGHJKMPQRTVWXY2-9N]{5}-){4}[BCDFGHJKMPQRTVWXY2-9N]{4}[BCDFGHJKMPQRTVWXY2-9]$/;
const PROTOCOLS = new Set(['4.0', '5.0', '6.0']);

const sourceText = readFileSync(inputPath, 'utf8');
const source = JSON.parse(sourceText);
const failures = [];

function keyFormatOf(raw) {
  // gvlk.json spells the old format "pkey2005 (pre-Windows 8 format; not decodable offline)".
  if (raw === 'pkey2009') return 'pkey2009';
  if (typeof raw === 'string' && raw.startsWith('pkey2005')) return 'pkey2005';
  return null;
}

function convert(r, index) {
  const where = `row ${index} (${r.productFamily} / ${r.pkeyconfigEditionId})`;
  const problems = [];
  const keyFormat = keyFormatOf(r.keyFormat);
  if (!keyFormat) problems.push(`unknown keyFormat ${JSON.stringify(r.keyFormat)}`);
  if (typeof r.gvlk !== 'string' || !GVLK_SHAPE.test(r.gvlk) || (r.gvlk.match(/N/g) ?? []).length > 1) {
    problems.push(`malformed gvlk`);
  } else if (r.gvlk.includes('N') !== (keyFormat === 'pkey2009')) {
    problems.push(`keyFormat ${keyFormat} disagrees with the key's N marker`);
  }
  for (const field of ['skuId', 'applicationId', 'kmsCountedId']) {
    if (!GUID.test(r[field] ?? '')) problems.push(`${field} is not a lower-case GUID`);
  }
  for (const field of ['productFamily', 'pkeyconfigEditionId', 'pkeyconfigDescription', 'kmsCountedIdName']) {
    if (typeof r[field] !== 'string' || r[field] === '') problems.push(`missing ${field}`);
  }
  if (!Array.isArray(r.editionNames) || r.editionNames.length === 0 || !r.editionNames.every((n) => typeof n === 'string')) {
    problems.push('editionNames must be a non-empty list of strings');
  }
  if (r.pkeyconfigKeyType !== 'Volume:GVLK') problems.push(`pkeyconfigKeyType ${r.pkeyconfigKeyType} is not Volume:GVLK`);
  if (!PROTOCOLS.has(r.defaultKmsProtocol)) problems.push(`defaultKmsProtocol ${r.defaultKmsProtocol}`);

  let groupId = null;
  let serial = null;
  if (keyFormat === 'pkey2009') {
    const d = r.keyDecoded;
    if (!d || d.checksumValid !== true || d.extra !== 0 || !Number.isInteger(d.groupId) || !Number.isInteger(d.serial)) {
      problems.push('pkey2009 row without a valid keyDecoded');
    } else {
      groupId = d.groupId;
      serial = d.serial;
    }
  } else if (r.keyDecoded !== undefined) {
    problems.push('pkey2005 row with keyDecoded');
  }

  let kind;
  if (r.applicationId === OFFICE_APP_ID || r.applicationId === OFFICE2010_APP_ID) {
    kind = 'office';
    if (r.minimumCount !== 5) problems.push(`office minimumCount ${r.minimumCount}`);
  } else if (r.applicationId === WINDOWS_APP_ID) {
    kind = r.minimumCount === 5 ? 'windows-server' : 'windows-client';
    if (r.minimumCount !== 5 && r.minimumCount !== 25) problems.push(`windows minimumCount ${r.minimumCount}`);
    if ((kind === 'windows-server') !== r.productFamily.includes('Server')) {
      problems.push(`minimumCount ${r.minimumCount} contradicts product family`);
    }
  } else {
    problems.push(`unknown applicationId ${r.applicationId}`);
  }

  const hits = RULES.map((rule) => ({ rule, m: rule.applicationId === r.applicationId && rule.match(r) })).filter((h) => h.m);
  if (hits.length !== 1) {
    problems.push(`matches ${hits.length} name rules (${hits.map((h) => h.rule.id).join(', ') || 'none'})`);
  }
  const hit = hits[0];
  if (hit && hit.rule.keyFormat !== keyFormat) problems.push(`rule ${hit.rule.id} expects ${hit.rule.keyFormat}`);
  if (hit?.rule.family && hit.rule.family(hit.m) !== r.productFamily) {
    problems.push(`rule ${hit.rule.id} expects product family ${hit.rule.family(hit.m)}`);
  }

  if (problems.length > 0 || !hit) {
    failures.push(...problems.map((p) => `${where}: ${p}`));
    return null;
  }
  return {
    skuId: r.skuId,
    applicationId: r.applicationId,
    gvlk: r.gvlk,
    keyFormat,
    groupId,
    serial,
    editionId: r.pkeyconfigEditionId,
    editionNames: r.editionNames,
    productFamily: r.productFamily,
    kmsCountedId: r.kmsCountedId,
    kmsCountedIdName: r.kmsCountedIdName,
    minimumCount: r.minimumCount,
    defaultKmsProtocol: r.defaultKmsProtocol,
    kind,
    name: hit.rule.name(r, hit.m),
    description: hit.rule.description(r, hit.m),
    channel: 'Volume:GVLK',
  };
}

if (!Array.isArray(source.rows) || source.rows.length === 0) failures.push('no rows');
const rows = (source.rows ?? []).map(convert);
const seen = new Set();
for (const r of source.rows ?? []) {
  if (seen.has(r.gvlk)) failures.push(`duplicate gvlk ${r.gvlk}`);
  seen.add(r.gvlk);
}

if (failures.length > 0) {
  console.error(`build-catalog: ${failures.length} problem(s) in ${inputPath}:`);
  for (const f of failures) console.error(`  - ${f}`);
  process.exit(1);
}

const str = JSON.stringify;
const inputLabel = relative(repoRoot, inputPath).split('\\').join('/');
const digest = createHash('sha256').update(sourceText).digest('hex');
const body = rows
  .map((row) => {
    const fields = Object.entries(row).map(([k, v]) => `    ${k}: ${str(v)},`);
    return `  {\n${fields.join('\n')}\n  },`;
  })
  .join('\n');

const out = `// GENERATED FILE — do not edit. Regenerate with \`npm run catalog\` (scripts/build-catalog.mjs).
// Source: ${inputLabel} (schemaVersion ${source.schemaVersion}, sha256 ${digest}), one entry per row, in order.
// Only public GVLKs (KMS client setup keys) are listed: no KMS host keys, MAKs or retail keys.
//
// Fields are copied from gvlk.json (editionId = pkeyconfigEditionId; groupId/serial = keyDecoded,
// null for pkey2005 keys). kind: Office by applicationId; Windows with minimumCount 5 is a server.
// name/description are the SoftwareLicensingProduct Name/Description slmgr prints:
//   Windows 8 and later (10, 11, Server 2012+):  "Windows(R), <EditionId> edition"
//                                                "Windows(R) Operating System, VOLUME_KMSCLIENT channel"
//   Windows 7:                  "Windows(R) 7, <EditionId> edition"
//                               "Windows Operating System - Windows(R) 7, VOLUME_KMSCLIENT channel"
//   Windows Server 2008 / R2:   "Windows Server(R), <EditionId> edition"
//                               "Windows Operating System - Windows Server(R), VOLUME_KMSCLIENT channel"
//   Windows Vista:              "Windows(R) Vista, <EditionId> edition"   (approximation)
//                               "Windows Operating System - Windows(R) Vista, VOLUME_KMSCLIENT channel"
//   Office 2013 (Office15_X):   "Office 15, OfficeX edition"  /  "Office 15, VOLUME_KMSCLIENT channel"
//   Office 2016-2024 (OfficeNN_X): "Office NN, OfficeNNX edition"  /  "Office NN, VOLUME_KMSCLIENT channel"
//   Office 2010 (RTM_X_KMS_Client): "Office 14, OfficeX-KMS_Client edition"   (approximation)
//                               "Office 14, VOLUME_KMSCLIENT channel"
// (Office patterns apply to pkeyconfigDescription.) See docs/catalog.md for what is confirmed.

import type { CatalogRow } from './catalog.js';

export const CATALOG_ROWS: readonly CatalogRow[] = [
${body}
];
`;

writeFileSync(outputPath, out);
mkdirSync(dirname(fixturePath), { recursive: true });
writeFileSync(fixturePath, sourceText);
console.log(
  `build-catalog: wrote ${relative(repoRoot, outputPath)} (${rows.length} rows) and ${relative(repoRoot, fixturePath)}`,
);
