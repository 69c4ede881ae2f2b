#!/usr/bin/env node
// Regenerates the KMS host-key types from the reference compatibility table and the lab keys:
//   node scripts/build-host-keys.mjs [path/to/kms-host-compatibility.json]
// Default input: ../shared/reference/kms-host-compatibility.json relative to the repository root,
// plus fixtures/lab/host-keys.json (written by scripts/make-lab-keys.mjs).
// Writes src/licensing/host-key-data.ts and a verbatim copy of the reference at
// fixtures/reference/kms-host-compatibility.json, so the tests do not depend on the shared
// directory. Only the lab keys' group IDs and what they behave like reach src/: the keys stay in
// fixtures/ and docs/ (docs/lab-keys.md).
// Every csvlkCatalog entry must pass the checks below and land in exactly one Name/Description
// rule; otherwise nothing is written and the script exits 1.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const inputPath = process.argv[2]
  ? resolve(process.cwd(), process.argv[2])
  : resolve(repoRoot, '../shared/reference/kms-host-compatibility.json');
const labKeysPath = resolve(repoRoot, 'fixtures/lab/host-keys.json');
const outputPath = resolve(repoRoot, 'src/licensing/host-key-data.ts');
const fixturePath = resolve(repoRoot, 'fixtures/reference/kms-host-compatibility.json');

const WINDOWS_APP_ID = '55c92734-d682-4d71-983e-d6ec3f16059f';
const OFFICE2010_APP_ID = '59a52881-a989-479d-af46-f275c6370663';
const OFFICE_APP_ID = '0ff1ce15-a989-479d-af46-f275c6370663';
const LAB_KEY_GROUP_MIN = 990001;
const LAB_KEY_GROUP_MAX = 990016;

// ---- Windows host products. On a KMS host, SoftwareLicensingProduct is the host OS edition with
// the CSVLK's VOLUME_KMS_<X> channel. Keyed by displayName without the " (Microsoft Internal Lab)"
// / " (Azure Only)" suffix: those variants show the same strings as their base key.
// `confirmed`: the Description is seen in real output (slmgr-reference.md §3.7); every other
// channel is a reconstruction in one consistent scheme (docs/lab-keys.md).
const WINDOWS_FORMS = {
  // Windows 8 and later, Server 2012 and later: as the GVLK catalog's windows-8-and-later rule.
  win8: { name: (e) => `Windows(R), ${e} edition`, description: (c) => `Windows(R) Operating System, ${c} channel` },
  win7: { name: (e) => `Windows(R) 7, ${e} edition`, description: (c) => `Windows Operating System - Windows(R) 7, ${c} channel` },
  server2008: {
    name: (e) => `Windows Server(R), ${e} edition`,
    description: (c) => `Windows Operating System - Windows Server(R), ${c} channel`,
  },
  vista: { name: (e) => `Windows(R) Vista, ${e} edition`, description: (c) => `Windows Operating System - Windows(R) Vista, ${c} channel` },
};

const WINDOWS_HOSTS = {
  'Windows Server 2025': { form: 'win8', edition: 'ServerStandard', channel: 'VOLUME_KMS_WS25' },
  'Windows Server 2022': { form: 'win8', edition: 'ServerStandard', channel: 'VOLUME_KMS_WS22' },
  'Windows Server 2019': { form: 'win8', edition: 'ServerStandard', channel: 'VOLUME_KMS_WS19' },
  'Windows Server 2016': { form: 'win8', edition: 'ServerStandard', channel: 'VOLUME_KMS_WS16' },
  'Windows Server Next (Pre-Release)': { form: 'win8', edition: 'ServerStandard', channel: 'VOLUME_KMS_WSNEXT' },
  'Windows 10 Enterprise G/Windows Server 1709/Windows Server 2016 KMS Host': {
    form: 'win8',
    edition: 'EnterpriseG',
    channel: 'VOLUME_KMS_W10_G',
  },
  'Windows 10 2019': { form: 'win8', edition: 'Enterprise', channel: 'VOLUME_KMS_W10' },
  'Windows 10 2016': { form: 'win8', edition: 'Enterprise', channel: 'VOLUME_KMS_W10' },
  'Windows 10 2015': { form: 'win8', edition: 'Enterprise', channel: 'VOLUME_KMS_W10' },
  'Windows 10 (Pre-Release)': { form: 'win8', edition: 'Enterprise', channel: 'VOLUME_KMS_W10' },
  'Windows Server 2012 R2 With Win 10': {
    form: 'win8',
    edition: 'ServerStandard',
    channel: 'VOLUME_KMS_2012-R2_WIN10',
    confirmed: true, // Microsoft Q&A /dlv of a Server 2012 R2 host [S16]
  },
  'Windows Server 2012 R2': { form: 'win8', edition: 'ServerStandard', channel: 'VOLUME_KMS_2012-R2' },
  'Windows 8.1': { form: 'win8', edition: 'Enterprise', channel: 'VOLUME_KMS_W81' },
  'Windows Server 2012': { form: 'win8', edition: 'ServerStandard', channel: 'VOLUME_KMS_2012' },
  'Windows 8': { form: 'win8', edition: 'Enterprise', channel: 'VOLUME_KMS_W8' },
  // Server 2008 (R2) host keys are graded A < B < C; a higher key installs on lower editions, so the
  // sample host below runs ServerEnterprise with a C key. ServerWeb for A: Standard is a B edition.
  'Windows Server 2008 R2 C (Datacenter)': {
    form: 'server2008',
    edition: 'ServerStandard',
    channel: 'VOLUME_KMS_C',
    confirmed: true, // TechNet /dli of a Server 2008 R2 host [S15]
  },
  'Windows Server 2008 R2 B (Standard & Enterprise)': { form: 'server2008', edition: 'ServerStandard', channel: 'VOLUME_KMS_B' },
  'Windows Server 2008 R2 A (Web & HPC)': { form: 'server2008', edition: 'ServerWeb', channel: 'VOLUME_KMS_A' },
  'Windows 7': { form: 'win7', edition: 'Enterprise', channel: 'VOLUME_KMS_W7' },
  'Windows Server 2008 C (Datacenter)': { form: 'server2008', edition: 'ServerStandard', channel: 'VOLUME_KMS_C' },
  'Windows Server 2008 B (Standard & Enterprise)': { form: 'server2008', edition: 'ServerStandard', channel: 'VOLUME_KMS_B' },
  'Windows Server 2008 A (Web & HPC)': { form: 'server2008', edition: 'ServerWeb', channel: 'VOLUME_KMS_A' },
  'Windows Vista (1 of 2)': { form: 'vista', edition: 'Enterprise', channel: 'VOLUME_KMS' },
  'Windows Vista (2 of 2)': { form: 'vista', edition: 'Enterprise', channel: 'VOLUME_KMS' },
};

// ---- Office host products, from pkeyconfig's description `OfficeNN_<X>_KMS_Host` by the same
// rule as the GVLK catalog's Office names (Office 2013 drops the version from the edition).
// Office 2024's entry has no pkeyconfig description: the one below is reconstructed by analogy
// with 2019/2021. Office 2010's strings are copied from Microsoft's sample output.
const OFFICE_MISSING_DESCRIPTION = {
  'f3d89bbf-c0ec-47ce-a8fa-e5a5f97e447f': 'Office24_KMSHost2024VL_KMS_Host',
};
const OFFICE_2010_HOST = {
  // "How to discover Office and Windows KMS hosts" (MicrosoftDocs/OfficeDocs-Support), /dlv sample.
  edition: 'KMSHost',
  name: 'Microsoft Office 2010, KMSHost edition',
  description: 'Microsoft Office 2010 KMS, VOLUME_KMS channel',
  confirmed: true,
};

function officeStrings(entry) {
  if (entry.microsoftDescription === 'RTM_ProPlus_KMS_Host') return { ...OFFICE_2010_HOST, applicationId: OFFICE2010_APP_ID };
  const source = entry.microsoftDescription ?? OFFICE_MISSING_DESCRIPTION[entry.csvlkActivationId];
  const m = /^Office(1[5-9]|2\d)_(\w+_KMS_Host)$/.exec(source ?? '');
  if (!m) return null;
  const [, version, rest] = m;
  const edition = version === '15' ? `Office${rest}` : `Office${version}${rest}`;
  return {
    edition,
    name: `Office ${version}, ${edition} edition`,
    description: `Office ${version}, VOLUME_KMS channel`,
    confirmed: false,
    applicationId: OFFICE_APP_ID,
  };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SERIAL_MAX = 0x3fffffff;
const GROUP_MAX = 0xfffff;
const baseName = (displayName) => displayName.replace(/ \((Microsoft Internal Lab|Azure Only)\)$/, '');

const sourceText = readFileSync(inputPath, 'utf8');
const source = JSON.parse(sourceText);
const labKeys = JSON.parse(readFileSync(labKeysPath, 'utf8'));
const failures = [];

const countedApp = new Map((source.kmsCountedIds ?? []).map((k) => [k.id, k.applicationId]));

function convert(e, index) {
  const where = `csvlkCatalog[${index}] (${e.displayName})`;
  const problems = [];
  if (!GUID.test(e.csvlkActivationId ?? '')) problems.push('csvlkActivationId is not a lower-case GUID');
  if (typeof e.displayName !== 'string' || e.displayName === '') problems.push('missing displayName');
  if (typeof e.isLab !== 'boolean' || typeof e.isPreview !== 'boolean') problems.push('isLab/isPreview must be booleans');
  if (!Number.isInteger(e.groupId) || e.groupId < 0 || e.groupId > GROUP_MAX) problems.push(`groupId ${e.groupId}`);
  if (e.groupId >= LAB_KEY_GROUP_MIN && e.groupId <= LAB_KEY_GROUP_MAX) problems.push(`groupId ${e.groupId} is a lab-only group`);
  const ranges = Array.isArray(e.keyIdRanges) ? e.keyIdRanges : [];
  if (ranges.length === 0) problems.push('no keyIdRanges');
  for (const r of ranges) {
    if (!Number.isInteger(r.start) || !Number.isInteger(r.end) || r.start < 0 || r.start > r.end || r.end > SERIAL_MAX) {
      problems.push(`bad key range ${JSON.stringify(r)}`);
    }
  }
  const counted = (e.activatesKmsCountedIds ?? []).map((k) => k.id);
  if (counted.length === 0) problems.push('activates nothing');
  const apps = new Set(counted.map((id) => countedApp.get(id)));
  if (apps.has(undefined)) problems.push('activates a counted ID missing from kmsCountedIds');
  if (apps.size !== 1) problems.push(`activates counted IDs of ${apps.size} applications`);
  const applicationId = [...apps][0];

  let strings = null;
  if (applicationId === WINDOWS_APP_ID) {
    const rule = WINDOWS_HOSTS[baseName(e.displayName)];
    if (rule) {
      const form = WINDOWS_FORMS[rule.form];
      strings = {
        edition: rule.edition,
        name: form.name(rule.edition),
        description: form.description(rule.channel),
        // Confirmed output belongs to the base key; its lab/Azure variants are assumed alike.
        confirmed: rule.confirmed === true && baseName(e.displayName) === e.displayName,
        applicationId: WINDOWS_APP_ID,
      };
    }
  } else if (applicationId === OFFICE_APP_ID || applicationId === OFFICE2010_APP_ID) {
    strings = officeStrings(e);
  }
  if (!strings) problems.push('matches no Name/Description rule');
  else {
    if (strings.applicationId !== applicationId) problems.push(`rule expects application ${strings.applicationId}`);
    // slmgr tells a host from a client by this substring test (slmgr-reference.md, /ipk).
    if (!strings.description.includes('VOLUME_KMS') || strings.description.includes('VOLUME_KMSCLIENT')) {
      problems.push(`description ${strings.description} does not read as a KMS host`);
    }
  }

  if (problems.length > 0 || !strings) {
    failures.push(...problems.map((p) => `${where}: ${p}`));
    return null;
  }
  return {
    csvlkActivationId: e.csvlkActivationId,
    displayName: e.displayName,
    isLab: e.isLab,
    isPreview: e.isPreview,
    groupId: e.groupId,
    keyIdRanges: ranges.map((r) => ({ start: r.start, end: r.end })),
    activatesKmsCountedIds: counted,
    microsoftDescription: e.microsoftDescription ?? null,
    application: applicationId === WINDOWS_APP_ID ? 'windows' : 'office',
    applicationId,
    hostEditionId: strings.edition,
    hostProductName: strings.name,
    hostProductDescription: strings.description,
    hostStringsConfirmed: strings.confirmed,
  };
}

const catalog = source.csvlkCatalog ?? [];
if (!Array.isArray(catalog) || catalog.length === 0) failures.push('no csvlkCatalog entries');
const rows = catalog.map(convert);

const seenIds = new Set();
for (const e of catalog) {
  if (seenIds.has(e.csvlkActivationId)) failures.push(`duplicate csvlkActivationId ${e.csvlkActivationId}`);
  seenIds.add(e.csvlkActivationId);
}

// Within a key group the serial range decides which CSVLK a key is (group 206 holds 27 of them),
// so ranges there must never overlap, or classification would depend on table order.
const byGroup = new Map();
for (const e of catalog) {
  for (const r of e.keyIdRanges ?? []) {
    const list = byGroup.get(e.groupId) ?? [];
    list.push({ ...r, who: e.displayName });
    byGroup.set(e.groupId, list);
  }
}
for (const [group, list] of byGroup) {
  list.sort((a, b) => a.start - b.start);
  for (let i = 1; i < list.length; i++) {
    if (list[i].start <= list[i - 1].end) {
      failures.push(`group ${group}: ranges of ${list[i - 1].who} and ${list[i].who} overlap`);
    }
  }
}

if (!Array.isArray(labKeys) || labKeys.length === 0) failures.push(`no lab keys in ${labKeysPath}`);
const labGroups = [];
const labSeen = new Set();
for (const k of labKeys ?? []) {
  const where = `lab key ${k.id}`;
  if (!Number.isInteger(k.groupId) || k.groupId < LAB_KEY_GROUP_MIN || k.groupId > LAB_KEY_GROUP_MAX) {
    failures.push(`${where}: group ${k.groupId} is not a lab-only group`);
  }
  if (!seenIds.has(k.behavesLike)) failures.push(`${where}: behavesLike ${k.behavesLike} is not in csvlkCatalog`);
  if (labSeen.has(k.groupId) || labSeen.has(k.id)) failures.push(`${where}: duplicate id or group`);
  if (k.note !== 'LAB KEY — lab-only key group, not a Microsoft key') failures.push(`${where}: missing LAB KEY note`);
  labSeen.add(k.groupId);
  labSeen.add(k.id);
  labGroups.push({ id: k.id, groupId: k.groupId, behavesLike: k.behavesLike });
}

if (failures.length > 0) {
  console.error(`build-host-keys: ${failures.length} problem(s):`);
  for (const f of failures) console.error(`  - ${f}`);
  process.exit(1);
}

const str = JSON.stringify;
const inputLabel = relative(repoRoot, inputPath).split('\\').join('/');
const digest = createHash('sha256').update(sourceText).digest('hex');
const rowBody = rows
  .map((row) => {
    const fields = Object.entries(row).map(([k, v]) => `    ${k}: ${str(v)},`);
    return `  {\n${fields.join('\n')}\n  },`;
  })
  .join('\n');
const labBody = labGroups.map((g) => `  { id: ${str(g.id)}, groupId: ${g.groupId}, behavesLike: ${str(g.behavesLike)} },`).join('\n');

const out = `// GENERATED FILE — do not edit. Regenerate with scripts/make-lab-keys.mjs then scripts/build-host-keys.mjs.
// Source: ${inputLabel} (schemaVersion ${source.schemaVersion}, sha256 ${digest}),
// csvlkCatalog in order, and fixtures/lab/host-keys.json (lab groups only).
// No product keys are listed: CSVLKs appear only as Activation IDs, key groups and key-ID ranges;
// the lab host keys live in fixtures/lab/ and docs/lab-keys.md, only their groups are here.
//
// Fields are copied from csvlkCatalog (activatesKmsCountedIds reduced to the IDs; microsoftDescription
// null where the reference has none). application/applicationId: the application of the counted IDs
// the key activates. hostProductName/Description: SoftwareLicensingProduct Name/Description of the
// host OS product once the key is installed (hostStringsConfirmed: seen in real output):
//   Windows 8+ / Server 2012+:  "Windows(R), <HostEditionId> edition"
//                               "Windows(R) Operating System, VOLUME_KMS_<X> channel"
//   Windows 7:                  "Windows(R) 7, Enterprise edition"
//                               "Windows Operating System - Windows(R) 7, VOLUME_KMS_W7 channel"
//   Server 2008 / 2008 R2:      "Windows Server(R), <HostEditionId> edition"
//                               "Windows Operating System - Windows Server(R), VOLUME_KMS_<A|B|C> channel"
//   Windows Vista:              "Windows(R) Vista, Enterprise edition"
//                               "Windows Operating System - Windows(R) Vista, VOLUME_KMS channel"
//   Office 2013 (Office15_X):   "Office 15, OfficeX edition"  /  "Office 15, VOLUME_KMS channel"
//   Office 2016+ (OfficeNN_X):  "Office NN, OfficeNNX edition"  /  "Office NN, VOLUME_KMS channel"
//   Office 2010:                "Microsoft Office 2010, KMSHost edition"
//                               "Microsoft Office 2010 KMS, VOLUME_KMS channel"
// <X> per key type and what real output confirms: docs/lab-keys.md.

import type { HostKeyRow, LabHostKeyGroup } from './host-keys.js';

export const HOST_KEY_ROWS: readonly HostKeyRow[] = [
${rowBody}
];

/** Lab-only key groups (990001–990016) and the csvlkActivationId each behaves like. */
export const LAB_HOST_KEY_GROUPS: readonly LabHostKeyGroup[] = [
${labBody}
];
`;

writeFileSync(outputPath, out);
mkdirSync(dirname(fixturePath), { recursive: true });
writeFileSync(fixturePath, sourceText);
console.log(
  `build-host-keys: wrote ${relative(repoRoot, outputPath)} (${rows.length} host-key types, ${labGroups.length} lab groups) ` +
    `and ${relative(repoRoot, fixturePath)}`,
);
