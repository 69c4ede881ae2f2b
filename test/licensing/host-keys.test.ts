import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catalogRows, findCatalogByKey, isPublicGvlk, OFFICE2010_APP_ID, OFFICE_APP_ID, WINDOWS_APP_ID } from '../../src/licensing/catalog.js';
import { HOST_KEY_ROWS, LAB_HOST_KEY_GROUPS } from '../../src/licensing/host-key-data.js';
import {
  classifyHostKey,
  findHostKeyType,
  hostKeyCovers,
  hostKeyTypes,
  isKmsHostDescription,
  isLabKeyGroup,
  LAB_KEY_GROUP_MAX,
  LAB_KEY_GROUP_MIN,
  labHostKeyTypes,
  type HostKeyType,
} from '../../src/licensing/host-keys.js';
import { decodePkey2009, maskProductKey, parseProductKey, pkey2009Checksum, type DecodedKey } from '../../src/licensing/product-key.js';
import { fixtureRows, isPkey2009Row } from './gvlk-fixture.js';

// ---- fixtures: the committed copies, so this file needs nothing outside the repository.

const repoUrl = new URL('../../', import.meta.url);
const readJson = <T>(path: string): T => JSON.parse(readFileSync(new URL(path, repoUrl), 'utf8')) as T;

interface LabKey {
  id: string;
  key: string;
  groupId: number;
  serial: number;
  behavesLike: string;
  displayName: string;
  note: string;
}
interface CsvlkEntry {
  csvlkActivationId: string;
  displayName: string;
  isLab: boolean;
  isPreview: boolean;
  groupId: number;
  keyIdRanges: { start: number; end: number; partNumber?: string }[];
  microsoftDescription?: string;
  activatesKmsCountedIds: { id: string; name: string }[];
}
interface Compat {
  csvlkCatalog: CsvlkEntry[];
  kmsCountedIds: { id: string; name: string; applicationId: string }[];
  microsoftActivationTable: { rows: { csvlkGroup: string; canBeHostedOn: string[]; activates: string[] }[] };
  office: { rows: { office: string; kmsHostActivationId: string; kmsCountedId: string; applicationId: string }[] };
}

const LAB_KEYS_PATH = 'fixtures/lab/host-keys.json';
const labKeys = readJson<LabKey[]>(LAB_KEYS_PATH);
const compat = readJson<Compat>('fixtures/reference/kms-host-compatibility.json');

// The generator is a plain .mjs script; import it by URL so the type checker does not need a
// declaration file for it, and describe the part of it the tests use.
interface LabKeyScript {
  LAB_KEY_GROUP_MIN: number;
  LAB_KEY_GROUP_MAX: number;
  LAB_KEY_TYPES: { id: string; groupId: number; behavesLike: string }[];
  encodeLabKey(fields: { groupId: number; serial: number; security: bigint }): string;
  decodeKey(key: string): DecodedKey;
  checksumOf(value: bigint): number;
  buildLabKeys(catalog: CsvlkEntry[]): LabKey[];
}
const scriptUrl = new URL('scripts/make-lab-keys.mjs', repoUrl).href;
const script = (await import(scriptUrl)) as LabKeyScript;

// ---- lookups by name in the reference, so the facts below are read from the JSON, not assumed.

function countedId(name: string): string {
  const hit = compat.kmsCountedIds.find((k) => k.name === name);
  if (!hit) throw new Error(`no counted ID named ${name}`);
  return hit.id;
}

function typeNamed(displayName: string): HostKeyType {
  const entry = compat.csvlkCatalog.find((e) => e.displayName === displayName);
  const type = entry && findHostKeyType(entry.csvlkActivationId);
  if (!type) throw new Error(`no host-key type ${displayName}`);
  return type;
}

function labType(id: string): HostKeyType {
  const type = labHostKeyTypes().find((t) => t.labKeyId === id);
  if (!type) throw new Error(`no lab type ${id}`);
  return type;
}

const classify = (groupId: number, serial: number): string | undefined => classifyHostKey({ groupId, serial })?.displayName;

// Expected behaviour of each lab type (docs/lab-keys.md): the csvlkCatalog entry, by display name.
const LAB_TYPES: Record<string, string> = {
  ws2012r2: 'Windows Server 2012 R2 With Win 10',
  ws2016: 'Windows Server 2016',
  ws2019: 'Windows Server 2019',
  ws2022: 'Windows Server 2022',
  ws2025: 'Windows Server 2025',
  'win10-client': 'Windows 10 2019',
  office2021: 'Office 2021',
  office2024: 'Office 2024',
  office2019: 'Office 2019',
  office2016: 'Office 2016',
};

// ============================================================================================

describe('lab host keys (fixtures/lab/host-keys.json)', () => {
  it('lists the documented types, one lab-only group each, labelled as lab keys', () => {
    expect(labKeys.map((k) => k.id)).toEqual(Object.keys(LAB_TYPES));
    expect(labKeys.map((k) => k.groupId)).toEqual(labKeys.map((_, i) => LAB_KEY_GROUP_MIN + i));
    for (const k of labKeys) {
      expect(k.groupId).toBeGreaterThanOrEqual(990001);
      expect(k.groupId).toBeLessThanOrEqual(990016);
      expect(k.serial).toBe(1);
      expect(k.note).toBe('LAB KEY — lab-only key group, not a Microsoft key');
      const target = compat.csvlkCatalog.find((e) => e.csvlkActivationId === k.behavesLike);
      expect(target?.displayName, k.id).toBe(LAB_TYPES[k.id]);
      expect(k.displayName).toBe(`${target?.displayName} (lab key)`);
    }
    expect(new Set(labKeys.map((k) => k.key)).size).toBe(labKeys.length);
  });

  it.each(labKeys.map((k) => [k.id, k] as const))('%s parses as a valid pkey2009 key in its lab group', (_id, k) => {
    const parsed = parseProductKey(k.key);
    expect(parsed.key).toBe(k.key);
    expect(parsed.format).toBe('pkey2009');
    const d = parsed.decoded!;
    expect(d.groupId).toBe(k.groupId);
    expect(d.serial).toBe(k.serial);
    expect(d.checksum).toBe(pkey2009Checksum(d.value));
    expect(d.upgrade).toBe(0);
    expect(d.extra).toBe(0);
    expect(d.nPosition).toBeLessThan(24);
    expect(k.key.endsWith('N')).toBe(false);
    // The script's own decoder reads the same fields.
    const mine = script.decodeKey(k.key);
    expect(mine).toEqual({ ...d });
  });

  it.each(labKeys.map((k) => [k.id, k] as const))('%s is not a public GVLK and classifies as its lab type', (id, k) => {
    expect(findCatalogByKey(k.key)).toBeUndefined();
    expect(isPublicGvlk(k.key)).toBe(false);
    const type = classifyHostKey(parseProductKey(k.key).decoded!);
    expect(type).toBeDefined();
    expect(type).toMatchObject({
      csvlkActivationId: k.behavesLike,
      displayName: `${LAB_TYPES[id]} (lab key)`,
      lab: true,
      groupId: k.groupId,
      labKeyId: id,
    });
    // Shown only masked, like every key that is not a public GVLK.
    expect(maskProductKey(k.key)).toBe(`XXXXX-XXXXX-XXXXX-XXXXX-${k.key.slice(-5)}`);
  });

  it('is exactly what the generator produces (deterministic)', () => {
    const regenerated = `${JSON.stringify(script.buildLabKeys(compat.csvlkCatalog), null, 2)}\n`;
    expect(readFileSync(new URL(LAB_KEYS_PATH, repoUrl), 'utf8')).toBe(regenerated);
  });

  it('reaches src/ only as group → behaves-like, never as keys', () => {
    expect(LAB_HOST_KEY_GROUPS).toEqual(labKeys.map((k) => ({ id: k.id, groupId: k.groupId, behavesLike: k.behavesLike })));

    const srcDir = fileURLToPath(new URL('src/', repoUrl));
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else files.push(path);
      }
    };
    walk(srcDir);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const k of labKeys) {
        expect(text.includes(k.key), `${file} contains lab key ${k.id}`).toBe(false);
        expect(text.includes(k.key.replaceAll('-', '')), `${file} contains lab key ${k.id}`).toBe(false);
      }
    }
  });

  it('uses groups that no Microsoft key in the reference uses (all below 6000)', () => {
    const microsoftGroups = [
      ...compat.csvlkCatalog.map((e) => e.groupId),
      ...fixtureRows.filter(isPkey2009Row).map((r) => r.keyDecoded!.groupId),
    ];
    expect(Math.max(...microsoftGroups)).toBeLessThan(6000);
    for (const g of microsoftGroups) expect(isLabKeyGroup(g)).toBe(false);
    expect(LAB_KEY_GROUP_MIN).toBe(script.LAB_KEY_GROUP_MIN);
    expect(LAB_KEY_GROUP_MAX).toBe(script.LAB_KEY_GROUP_MAX);
  });

  it('lab types behave like their targets', () => {
    expect(labHostKeyTypes()).toHaveLength(labKeys.length);
    for (const t of labHostKeyTypes()) {
      const base = findHostKeyType(t.csvlkActivationId)!;
      expect(t).toEqual({ ...base, lab: true, displayName: `${base.displayName} (lab key)`, groupId: t.groupId, labKeyId: t.labKeyId });
      expect(base.lab).toBe(false);
      expect(t.csvlkGroupId).toBe(base.groupId);
      expect(t.csvlkGroupId).toBeLessThan(6000);
    }
    expect(labType('ws2019').application).toBe('windows');
    expect(labType('office2021')).toMatchObject({ application: 'office', applicationId: OFFICE_APP_ID });
    expect(labType('win10-client')).toMatchObject({ hostEditionId: 'Enterprise', hostProductName: 'Windows(R), Enterprise edition' });
  });
});

// ============================================================================================

describe('the lab key generator (scripts/make-lab-keys.mjs)', () => {
  const REFUSED = [0, 206, 4573, 4919, 5038, 989999, 990017];

  it.each(REFUSED)('refuses group %i', (groupId) => {
    expect(() => script.encodeLabKey({ groupId, serial: 1, security: 12345n })).toThrow(RangeError);
    expect(() => script.encodeLabKey({ groupId, serial: 1, security: 12345n })).toThrow(/refusing key group/);
  });

  it('refuses every Microsoft group in the reference data, and non-integer groups', () => {
    const groups = new Set([
      ...compat.csvlkCatalog.map((e) => e.groupId),
      ...fixtureRows.filter(isPkey2009Row).map((r) => r.keyDecoded!.groupId),
    ]);
    for (const groupId of groups) expect(() => script.encodeLabKey({ groupId, serial: 0, security: 0n })).toThrow(RangeError);
    for (const groupId of [990001.5, Number.NaN, -990001, 0xfffff, 990000]) {
      expect(() => script.encodeLabKey({ groupId, serial: 0, security: 0n })).toThrow(RangeError);
    }
    expect(() => script.encodeLabKey({ groupId: '990001' as unknown as number, serial: 0, security: 0n })).toThrow(RangeError);
  });

  it('refuses fields that do not fit', () => {
    expect(() => script.encodeLabKey({ groupId: 990001, serial: 2 ** 30, security: 0n })).toThrow(RangeError);
    expect(() => script.encodeLabKey({ groupId: 990001, serial: -1, security: 0n })).toThrow(RangeError);
    expect(() => script.encodeLabKey({ groupId: 990001, serial: 0, security: 1n << 53n })).toThrow(RangeError);
    expect(() => script.encodeLabKey({ groupId: 990001, serial: 0, security: 5 as unknown as bigint })).toThrow(RangeError);
  });

  it('every lab group round-trips through the project parser, at the field limits too', () => {
    for (let groupId = 990001; groupId <= 990016; groupId++) {
      for (const [serial, security] of [
        [0, 0n],
        [2 ** 30 - 1, (1n << 53n) - 1n],
      ] as const) {
        const key = script.encodeLabKey({ groupId, serial, security });
        const d = parseProductKey(key).decoded!;
        expect([d.groupId, d.serial, d.security, d.upgrade, d.extra]).toEqual([groupId, serial, security, 0, 0]);
      }
    }
  });

  it('any lab-group fields round-trip (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 990001, max: 990016 }),
        fc.integer({ min: 0, max: 2 ** 30 - 1 }),
        fc.bigInt({ min: 0n, max: (1n << 53n) - 1n }),
        (groupId, serial, security) => {
          const key = script.encodeLabKey({ groupId, serial, security });
          const parsed = parseProductKey(key);
          expect(parsed.key).toBe(key);
          const d = parsed.decoded!;
          expect(d).toMatchObject({ groupId, serial, security, upgrade: 0, extra: 0 });
          expect(d.nPosition).toBeLessThan(24);
          expect(findCatalogByKey(key)).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('its decoder and checksum agree with src/licensing/product-key.ts on every pkey2009 GVLK', () => {
    for (const row of fixtureRows.filter(isPkey2009Row)) {
      const ours = decodePkey2009(row.gvlk);
      expect(script.decodeKey(row.gvlk)).toEqual({ ...ours });
      expect(script.checksumOf(ours.value)).toBe(pkey2009Checksum(ours.value));
    }
  });

  it('its type list is the fixture list', () => {
    expect(script.LAB_KEY_TYPES.map((t) => [t.id, t.groupId, t.behavesLike])).toEqual(
      labKeys.map((k) => [k.id, k.groupId, k.behavesLike]),
    );
  });
});

// ============================================================================================

describe('host-key types (csvlkCatalog)', () => {
  it('has one type per catalog entry, in order, with the reference values', () => {
    expect(hostKeyTypes).toHaveLength(45);
    expect(HOST_KEY_ROWS).toHaveLength(45);
    hostKeyTypes.forEach((t, i) => {
      const e = compat.csvlkCatalog[i]!;
      expect(t).toMatchObject({
        csvlkActivationId: e.csvlkActivationId,
        displayName: e.displayName,
        lab: false,
        microsoftInternalLab: e.isLab,
        preview: e.isPreview,
        groupId: e.groupId,
        csvlkGroupId: e.groupId,
        labKeyId: null,
      });
      expect(t.keyIdRanges).toEqual(e.keyIdRanges.map((r) => ({ start: r.start, end: r.end })));
      expect(t.activatesKmsCountedIds).toEqual(e.activatesKmsCountedIds.map((k) => k.id));
      expect(HOST_KEY_ROWS[i]!.microsoftDescription).toBe(e.microsoftDescription ?? null);
    });
  });

  it('no two key-ID ranges overlap within a group', () => {
    const byGroup = new Map<number, { start: number; end: number; who: string }[]>();
    for (const e of compat.csvlkCatalog) {
      const list = byGroup.get(e.groupId) ?? [];
      for (const r of e.keyIdRanges) list.push({ start: r.start, end: r.end, who: e.displayName });
      byGroup.set(e.groupId, list);
    }
    expect(byGroup.get(206)!.length).toBeGreaterThan(50);
    for (const [group, list] of byGroup) {
      for (let i = 0; i < list.length; i++) {
        for (let j = i + 1; j < list.length; j++) {
          const [a, b] = [list[i]!, list[j]!];
          const overlap = a.start <= b.end && b.start <= a.end;
          expect(overlap, `group ${group}: ${a.who} ${a.start}-${a.end} / ${b.who} ${b.start}-${b.end}`).toBe(false);
        }
      }
    }
  });

  it('every host Description reads as a KMS host to slmgr, and no client Description does', () => {
    for (const t of [...hostKeyTypes, ...labHostKeyTypes()]) {
      expect(t.hostProductDescription, t.displayName).toContain('VOLUME_KMS');
      expect(t.hostProductDescription, t.displayName).not.toContain('VOLUME_KMSCLIENT');
      expect(isKmsHostDescription(t.hostProductDescription)).toBe(true);
      expect(t.hostProductDescription).toMatch(/ channel$/);
      expect(t.hostProductName).toMatch(/ edition$/);
    }
    for (const row of catalogRows) expect(isKmsHostDescription(row.description)).toBe(false);
  });

  it('counts for the application of the counted IDs it activates', () => {
    const appOf = new Map(compat.kmsCountedIds.map((k) => [k.id, k.applicationId]));
    for (const t of hostKeyTypes) {
      for (const id of t.activatesKmsCountedIds) expect(appOf.get(id), `${t.displayName} ${id}`).toBe(t.applicationId);
      expect(t.application).toBe(t.applicationId === WINDOWS_APP_ID ? 'windows' : 'office');
      expect(t.displayName.startsWith('Office')).toBe(t.application === 'office');
    }
    expect(typeNamed('Office 2010').applicationId).toBe(OFFICE2010_APP_ID);
    for (const name of ['Office 2013', 'Office 2016', 'Office 2019', 'Office 2021', 'Office 2024']) {
      expect(typeNamed(name).applicationId).toBe(OFFICE_APP_ID);
    }
  });

  it('shows the host Name/Description confirmed by real output', () => {
    // Microsoft Q&A /dlv of a Server 2012 R2 KMS host (slmgr-reference.md §3.7).
    expect(typeNamed('Windows Server 2012 R2 With Win 10')).toMatchObject({
      hostProductName: 'Windows(R), ServerStandard edition',
      hostProductDescription: 'Windows(R) Operating System, VOLUME_KMS_2012-R2_WIN10 channel',
      hostEditionId: 'ServerStandard',
      hostStringsConfirmed: true,
    });
    // TechNet /dli of a Server 2008 R2 KMS host.
    expect(typeNamed('Windows Server 2008 R2 C (Datacenter)')).toMatchObject({
      hostProductDescription: 'Windows Operating System - Windows Server(R), VOLUME_KMS_C channel',
      hostStringsConfirmed: true,
    });
    // Microsoft support article's /dlv of an Office 2010 KMS host.
    expect(typeNamed('Office 2010')).toMatchObject({
      hostProductName: 'Microsoft Office 2010, KMSHost edition',
      hostProductDescription: 'Microsoft Office 2010 KMS, VOLUME_KMS channel',
      hostStringsConfirmed: true,
    });
    expect(hostKeyTypes.filter((t) => t.hostStringsConfirmed).map((t) => t.displayName)).toEqual([
      'Windows Server 2012 R2 With Win 10',
      'Windows Server 2008 R2 C (Datacenter)',
      'Office 2010',
    ]);
  });

  it('uses the documented reconstructed channels for the other Windows host keys', () => {
    const channel = (name: string): string => typeNamed(name).hostProductDescription;
    expect(channel('Windows Server 2025')).toBe('Windows(R) Operating System, VOLUME_KMS_WS25 channel');
    expect(channel('Windows Server 2022')).toBe('Windows(R) Operating System, VOLUME_KMS_WS22 channel');
    expect(channel('Windows Server 2019')).toBe('Windows(R) Operating System, VOLUME_KMS_WS19 channel');
    expect(channel('Windows Server 2016')).toBe('Windows(R) Operating System, VOLUME_KMS_WS16 channel');
    expect(channel('Windows 10 2019')).toBe('Windows(R) Operating System, VOLUME_KMS_W10 channel');
    expect(channel('Windows Server 2012 R2')).toBe('Windows(R) Operating System, VOLUME_KMS_2012-R2 channel');
    for (const name of ['Windows Server 2025', 'Windows Server 2022', 'Windows Server 2019', 'Windows Server 2016']) {
      expect(typeNamed(name)).toMatchObject({ hostProductName: 'Windows(R), ServerStandard edition', hostEditionId: 'ServerStandard' });
    }
    expect(typeNamed('Windows 10 2019')).toMatchObject({ hostProductName: 'Windows(R), Enterprise edition', hostEditionId: 'Enterprise' });
    // Lab and Azure-only variants show their base key's strings but are never "confirmed".
    expect(typeNamed('Windows Server 2012 R2 With Win 10 (Microsoft Internal Lab)')).toMatchObject({
      hostProductDescription: 'Windows(R) Operating System, VOLUME_KMS_2012-R2_WIN10 channel',
      hostStringsConfirmed: false,
    });
  });

  it('names Office host products after their pkeyconfig description', () => {
    // Restated independently of the generator: OfficeNN_<X> -> "Office NN, OfficeNN<X> edition"
    // (Office 15 drops the version from the edition), description "Office NN, VOLUME_KMS channel".
    for (const t of hostKeyTypes.filter((x) => x.applicationId === OFFICE_APP_ID)) {
      const source = HOST_KEY_ROWS.find((r) => r.csvlkActivationId === t.csvlkActivationId)!.microsoftDescription;
      const m = /^Office(\d\d)_(.+)$/.exec(source ?? 'Office24_KMSHost2024VL_KMS_Host')!;
      const [, version, rest] = m;
      const edition = version === '15' ? `Office${rest}` : `Office${version}${rest}`;
      expect(t.hostProductName).toBe(`Office ${version}, ${edition} edition`);
      expect(t.hostProductDescription).toBe(`Office ${version}, VOLUME_KMS channel`);
      expect(t.hostEditionId).toBe(edition);
    }
    expect(typeNamed('Office 2021')).toMatchObject({
      hostProductName: 'Office 21, Office21KMSHost2021VL_KMS_Host edition',
      hostProductDescription: 'Office 21, VOLUME_KMS channel',
    });
    // No pkeyconfig description in the reference: reconstructed, and flagged so.
    expect(typeNamed('Office 2024')).toMatchObject({
      hostProductName: 'Office 24, Office24KMSHost2024VL_KMS_Host edition',
      hostProductDescription: 'Office 24, VOLUME_KMS channel',
      hostStringsConfirmed: false,
    });
    expect(typeNamed('Office 2013').hostProductName).toBe('Office 15, OfficeKMSHostVL_KMS_Host edition');
  });

  it('finds a type by Activation ID in any spelling', () => {
    expect(findHostKeyType('{2E7A9AD1-A849-4B56-BABE-17D5A29FE4B4}')?.displayName).toBe('Windows Server 2019');
    expect(findHostKeyType(' 2e7a9ad1-a849-4b56-babe-17d5a29fe4b4 ')?.displayName).toBe('Windows Server 2019');
    expect(findHostKeyType('00000000-0000-0000-0000-000000000000')).toBeUndefined();
  });
});

// ============================================================================================

describe('classifyHostKey', () => {
  it.each([
    // Genuine host ePIDs from epid.md §4: group 206, serial = key ID.
    [206, 566260143, 'Windows Server 2019'],
    [206, 491411285, 'Windows Server 2016'],
    [206, 234001162, 'Office 2013'],
    [4573, 25, 'Windows Server 2022'],
    [4573, 30000, 'Windows Server 2022'],
    [4919, 20000, 'Windows Server 2025'],
    [4918, 49999, 'Windows Server 2025 (Azure Only)'],
    [206, 2835000, 'Windows Server 2019 (Microsoft Internal Lab)'],
    [206, 256000000, 'Windows 10 2019'],
    [206, 405000000, 'Windows Server 2012 R2 With Win 10'],
    [206, 591000000, 'Office 2024'],
    [206, 590999999, 'Office 2021'],
    [168, 305000000, 'Windows Server 2008 R2 C (Datacenter)'],
    [96, 199000000, 'Office 2010'],
  ] as const)('group %i serial %i is %s', (groupId, serial, name) => {
    expect(classify(groupId, serial)).toBe(name);
  });

  it.each([
    [4573, 20000], // the gap between Server 2022's two ranges
    [4573, 29999],
    [206, 0],
    [206, 999999999],
    [206, 611000000],
    [4919, 20020000],
    [3311, 1], // a GVLK group (Windows Pro)
    [990011, 1], // a lab-only group with no type assigned
    [990016, 1],
    [989999, 1],
  ] as const)('group %i serial %i is no host key', (groupId, serial) => {
    expect(classify(groupId, serial)).toBeUndefined();
  });

  it('every range end point classifies to its own entry', () => {
    for (const e of compat.csvlkCatalog) {
      for (const r of e.keyIdRanges) {
        expect(classifyHostKey({ groupId: e.groupId, serial: r.start })?.csvlkActivationId).toBe(e.csvlkActivationId);
        expect(classifyHostKey({ groupId: e.groupId, serial: r.end })?.csvlkActivationId).toBe(e.csvlkActivationId);
      }
    }
  });

  it('no published GVLK is a host key', () => {
    for (const row of fixtureRows.filter(isPkey2009Row)) {
      expect(classifyHostKey(parseProductKey(row.gvlk).decoded!), row.gvlk).toBeUndefined();
    }
  });

  it('takes a full DecodedKey as well', () => {
    const key = labKeys.find((k) => k.id === 'ws2022')!.key;
    expect(classifyHostKey(decodePkey2009(key))?.hostProductDescription).toBe(
      'Windows(R) Operating System, VOLUME_KMS_WS22 channel',
    );
  });
});

// ============================================================================================

describe('what host keys activate (checked against the reference JSON)', () => {
  const WIN10_11 = countedId('Windows 10/11 (Volume)');
  const LTSC = countedId('Windows 10/11 2019 (Volume, bundled with 2021 and 2024)');
  const WS = {
    2008: countedId('Windows Server 2008 C (Datacenter)'),
    '2008 R2': countedId('Windows Server 2008 R2 C (Datacenter)'),
    2012: countedId('Windows Server 2012'),
    '2012 R2': countedId('Windows Server 2012 R2'),
    2016: countedId('Windows Server 2016'),
    2019: countedId('Windows Server 2019'),
    2022: countedId('Windows Server 2022'),
    2025: countedId('Windows Server 2025'),
  };
  const OFFICE_2021 = countedId('Office 2021 (Volume)');
  const OFFICE_2024 = countedId('Office 2024 (Volume)');

  it('the IDs used here are the ones the brief names', () => {
    expect(WIN10_11).toBe('58e2134f-8e11-4d17-9cb2-91069c151148');
    expect(OFFICE_2021).toBe('86d50b16-4808-41af-b83b-b338274318b2');
    expect(OFFICE_2024).toBe('a8973cb5-bf03-0a4c-9cef-703099645ab3');
    // Windows 11 GVLKs send the Windows 10/11 counted ID (gvlk.json).
    const win11 = fixtureRows.filter((r) => r.productFamily.startsWith('Windows 11 /'));
    expect(win11.length).toBeGreaterThan(0);
    for (const r of win11.filter((x) => x.kmsCountedIdName === 'Windows 10/11 (Volume)')) expect(r.kmsCountedId).toBe(WIN10_11);
  });

  it('Server 2019 covers Windows 10/11 and Server 2019, not Server 2022', () => {
    for (const t of [typeNamed('Windows Server 2019'), labType('ws2019')]) {
      expect(hostKeyCovers(t, WIN10_11)).toBe(true);
      expect(hostKeyCovers(t, WS[2019])).toBe(true);
      expect(hostKeyCovers(t, WS[2022])).toBe(false);
      expect(hostKeyCovers(t, WS[2025])).toBe(false);
    }
  });

  it('Server 2022 covers Server 2022 and Windows 11, not Server 2025', () => {
    const t = labType('ws2022');
    expect(hostKeyCovers(t, WS[2022])).toBe(true);
    expect(hostKeyCovers(t, WIN10_11)).toBe(true);
    expect(hostKeyCovers(t, LTSC)).toBe(true);
    expect(hostKeyCovers(t, WS[2025])).toBe(false);
    expect(hostKeyCovers(labType('ws2025'), WS[2025])).toBe(true);
  });

  it('Server 2012 R2 (With Win 10) covers up to 2012 R2 and Windows 10, not Server 2016 or later', () => {
    const t = labType('ws2012r2');
    expect(hostKeyCovers(t, WS['2012 R2'])).toBe(true);
    expect(hostKeyCovers(t, WIN10_11)).toBe(true);
    for (const id of [WS[2016], WS[2019], WS[2022], WS[2025]]) expect(hostKeyCovers(t, id)).toBe(false);
  });

  it('the Windows 10 client host key covers clients only', () => {
    const t = labType('win10-client');
    for (const name of ['Windows 10/11 (Volume)', 'Windows 8.1 (Volume)', 'Windows 7']) expect(hostKeyCovers(t, countedId(name))).toBe(true);
    for (const id of Object.values(WS)) expect(hostKeyCovers(t, id)).toBe(false);
  });

  it('Office 2021 covers Office 2021 only, not Office 2024; Office 2024 covers Office 2024', () => {
    expect(hostKeyCovers(labType('office2021'), OFFICE_2021)).toBe(true);
    expect(hostKeyCovers(labType('office2021'), OFFICE_2024)).toBe(false);
    expect(hostKeyCovers(labType('office2024'), OFFICE_2024)).toBe(true);
    expect(hostKeyCovers(labType('office2024'), OFFICE_2021)).toBe(false);
    expect(hostKeyCovers(labType('office2021'), WIN10_11)).toBe(false);
  });

  it('accepts counted IDs in any spelling', () => {
    expect(hostKeyCovers(labType('ws2019'), `{${WIN10_11.toUpperCase()}}`)).toBe(true);
  });

  it("agrees with Microsoft's table on which Windows Server releases each Server CSVLK activates", () => {
    const releases = Object.keys(WS) as (keyof typeof WS)[];
    const serverRows = compat.microsoftActivationTable.rows.filter((r) => r.csvlkGroup.startsWith('Volume License for Windows Server'));
    expect(serverRows.map((r) => r.csvlkGroup)).toEqual([
      'Volume License for Windows Server 2025',
      'Volume License for Windows Server 2022',
      'Volume License for Windows Server 2019',
      'Volume License for Windows Server 2016',
    ]);
    for (const row of serverRows) {
      const type = typeNamed(row.csvlkGroup.replace('Volume License for ', ''));
      for (const release of releases) {
        const listed = row.activates.includes(`Windows Server ${release} (all editions)`);
        expect(hostKeyCovers(type, WS[release]), `${row.csvlkGroup} / Server ${release}`).toBe(listed);
      }
      // Client rows every Server CSVLK lists.
      expect(row.activates).toContain('Windows 8.1 Enterprise');
      expect(hostKeyCovers(type, countedId('Windows 8.1 (Volume)'))).toBe(true);
      expect(row.activates).toContain('Windows 7 Enterprise');
      expect(hostKeyCovers(type, countedId('Windows 7'))).toBe(true);
      expect(hostKeyCovers(type, WIN10_11)).toBe(true);
    }
  });

  it("agrees with Microsoft's Office table: each Office host key serves its own release", () => {
    for (const row of compat.office.rows) {
      const type = findHostKeyType(row.kmsHostActivationId);
      expect(type, row.office).toBeDefined();
      expect(type!.application).toBe('office');
      expect(type!.applicationId).toBe(row.applicationId);
      expect(hostKeyCovers(type!, row.kmsCountedId)).toBe(true);
      for (const other of compat.office.rows.filter((o) => o !== row)) {
        expect(hostKeyCovers(type!, other.kmsCountedId), `${row.office} / ${other.office}`).toBe(false);
      }
    }
  });

  // Where the data and Microsoft's prose disagree. Asserted so that a change in the reference data
  // is noticed; docs/lab-keys.md explains each one.
  describe('known disagreements in the reference', () => {
    it('Windows 11 shares its counted ID with Windows 10, so 2016/2019 host keys cover it too', () => {
      const rows = compat.microsoftActivationTable.rows;
      const listsWin11 = rows.filter((r) => r.activates.some((a) => a.startsWith('Windows 11'))).map((r) => r.csvlkGroup);
      expect(listsWin11).toEqual(['Volume License for Windows Server 2025', 'Volume License for Windows Server 2022']);
      expect(hostKeyCovers(labType('ws2019'), WIN10_11)).toBe(true);
      expect(hostKeyCovers(labType('ws2016'), WIN10_11)).toBe(true);
    });

    it('Windows 11 LTSC 2024 sends the LTSC 2019 counted ID, which the 2019 and 2022 host keys cover', () => {
      const ltsc2024 = fixtureRows.find((r) => r.productFamily.startsWith('Windows 11 LTSC 2024'));
      expect(ltsc2024?.kmsCountedId).toBe(LTSC);
      const listsLtsc2024 = compat.microsoftActivationTable.rows.filter((r) => r.activates.includes('Windows 11 Enterprise LTSC 2024'));
      expect(listsLtsc2024.map((r) => r.csvlkGroup)).toEqual(['Volume License for Windows Server 2025']);
      expect(hostKeyCovers(labType('ws2019'), LTSC)).toBe(true);
      expect(hostKeyCovers(labType('ws2022'), LTSC)).toBe(true);
    });

    it('Server 2016 lists the Semi-Annual Channel, but SAC 1809–20H2 send the Server 2019 counted ID', () => {
      const sac = fixtureRows.find((r) => r.productFamily.startsWith('Windows Server, versions 20H2'));
      expect(sac?.kmsCountedId).toBe(WS[2019]);
      const row2016 = compat.microsoftActivationTable.rows.find((r) => r.csvlkGroup === 'Volume License for Windows Server 2016');
      expect(row2016?.activates).toContain('Windows Server Semi-Annual Channel');
      expect(hostKeyCovers(labType('ws2016'), WS[2019])).toBe(false);
      expect(hostKeyCovers(labType('ws2016'), countedId('Windows Server 2016'))).toBe(true); // SAC 1709/1803
    });
  });
});
