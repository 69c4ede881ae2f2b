import { describe, expect, it } from 'vitest';
import {
  catalogRows,
  findCatalogByKey,
  findCatalogBySkuId,
  isPublicGvlk,
  OFFICE2010_APP_ID,
  OFFICE_APP_ID,
  WINDOWS_APP_ID,
  type CatalogRow,
} from '../../src/licensing/catalog.js';
import { fixtureRows, gvlkFixture, type FixtureRow } from './gvlk-fixture.js';

const byKey = (gvlk: string): CatalogRow => {
  const row = findCatalogByKey(gvlk);
  if (!row) throw new Error(`${gvlk} not in catalog`);
  return row;
};

// The name rules of docs/catalog.md, restated independently of the generator.
function expectedNameAndDescription(row: FixtureRow): [string, string] {
  const edition = row.pkeyconfigEditionId;
  const family = row.productFamily;
  const office = /^Office(\d\d)_(.+)$/.exec(row.pkeyconfigDescription);
  const office2010 = /^RTM_(.+)_KMS_Client$/.exec(row.pkeyconfigDescription);
  if (row.applicationId === OFFICE_APP_ID && office) {
    const [, version, rest] = office;
    const name = version === '15' ? `Office${rest}` : `Office${version}${rest}`;
    return [`Office ${version}, ${name} edition`, `Office ${version}, VOLUME_KMSCLIENT channel`];
  }
  if (row.applicationId === OFFICE2010_APP_ID && office2010) {
    return [`Office 14, Office${office2010[1]}-KMS_Client edition`, 'Office 14, VOLUME_KMSCLIENT channel'];
  }
  if (family === 'Windows 7') {
    return [`Windows(R) 7, ${edition} edition`, 'Windows Operating System - Windows(R) 7, VOLUME_KMSCLIENT channel'];
  }
  if (family === 'Windows Vista') {
    return [`Windows(R) Vista, ${edition} edition`, 'Windows Operating System - Windows(R) Vista, VOLUME_KMSCLIENT channel'];
  }
  if (family.startsWith('Windows Server 2008')) {
    return [`Windows Server(R), ${edition} edition`, 'Windows Operating System - Windows Server(R), VOLUME_KMSCLIENT channel'];
  }
  if (row.keyFormat === 'pkey2009' && row.applicationId === WINDOWS_APP_ID) {
    return [`Windows(R), ${edition} edition`, 'Windows(R) Operating System, VOLUME_KMSCLIENT channel'];
  }
  throw new Error(`no name rule for ${row.gvlk}`);
}

describe('catalog rows', () => {
  it('has one row per fixture row, in order, with the fixture values', () => {
    expect(catalogRows).toHaveLength(162);
    catalogRows.forEach((row, i) => {
      const src = fixtureRows[i]!;
      expect(row).toMatchObject({
        skuId: src.skuId,
        applicationId: src.applicationId,
        gvlk: src.gvlk,
        keyFormat: src.keyFormat === 'pkey2009' ? 'pkey2009' : 'pkey2005',
        groupId: src.keyDecoded?.groupId ?? null,
        serial: src.keyDecoded?.serial ?? null,
        editionId: src.pkeyconfigEditionId,
        editionNames: src.editionNames,
        productFamily: src.productFamily,
        kmsCountedId: src.kmsCountedId,
        kmsCountedIdName: src.kmsCountedIdName,
        minimumCount: src.minimumCount,
        defaultKmsProtocol: src.defaultKmsProtocol,
        channel: 'Volume:GVLK',
      });
      expect(src.keyFormat.startsWith(row.keyFormat)).toBe(true);
    });
  });

  it('uses the application IDs of the reference table', () => {
    expect(Object.keys(gvlkFixture.applicationIds).sort()).toEqual([OFFICE_APP_ID, OFFICE2010_APP_ID, WINDOWS_APP_ID].sort());
  });

  it.each(fixtureRows.map((r) => [r.gvlk, r] as const))('%s has the Name/Description of its rule', (gvlk, src) => {
    const [name, description] = expectedNameAndDescription(src);
    expect(byKey(gvlk).name).toBe(name);
    expect(byKey(gvlk).description).toBe(description);
  });

  it('matches the names seen in real slmgr / ospp output', () => {
    const seen: [string, string, string][] = [
      ['W269N-WFGWX-YVC9B-4J6C9-T83GX', 'Windows(R), Professional edition', 'Windows(R) Operating System, VOLUME_KMSCLIENT channel'],
      ['M7XTQ-FN8P6-TTKYV-9D4CC-J462D', 'Windows(R), EnterpriseS edition', 'Windows(R) Operating System, VOLUME_KMSCLIENT channel'],
      ['N69G4-B89J2-4G8F4-WWYCC-J464C', 'Windows(R), ServerStandard edition', 'Windows(R) Operating System, VOLUME_KMSCLIENT channel'],
      ['33PXH-7Y6KF-2VJC9-XBBR8-HVTHH', 'Windows(R) 7, Enterprise edition', 'Windows Operating System - Windows(R) 7, VOLUME_KMSCLIENT channel'],
      ['489J6-VHDMP-X63PK-3K798-CPX3Y', 'Windows Server(R), ServerEnterprise edition', 'Windows Operating System - Windows Server(R), VOLUME_KMSCLIENT channel'],
      ['YC7DK-G2NP3-2QQC3-J6H88-GVGXT', 'Office 15, OfficeProPlusVL_KMS_Client edition', 'Office 15, VOLUME_KMSCLIENT channel'],
      ['XQNVK-8JYDB-WJ9W3-YJ8YR-WFG99', 'Office 16, Office16ProPlusVL_KMS_Client edition', 'Office 16, VOLUME_KMSCLIENT channel'],
      ['NMMKJ-6RK4F-KMJVX-8D9MJ-6MWKP', 'Office 19, Office19ProPlus2019VL_KMS_Client_AE edition', 'Office 19, VOLUME_KMSCLIENT channel'],
      ['FXYTK-NJJ8C-GB6DW-3DYQT-6F7TH', 'Office 21, Office21ProPlus2021VL_KMS_Client_AE edition', 'Office 21, VOLUME_KMSCLIENT channel'],
      ['XJ2XN-FW8RK-P4HMP-DKDBV-GCVGB', 'Office 24, Office24ProPlus2024VL_KMS_Client_AE edition', 'Office 24, VOLUME_KMSCLIENT channel'],
      ['VYBBJ-TRJPB-QFQRF-QFT4D-H3GVB', 'Office 14, OfficeProPlus-KMS_Client edition', 'Office 14, VOLUME_KMSCLIENT channel'],
    ];
    for (const [gvlk, name, description] of seen) {
      expect({ name: byKey(gvlk).name, description: byKey(gvlk).description }).toEqual({ name, description });
    }
  });

  it('classifies kinds and their minimum counts 25 / 5 / 5', () => {
    const counts = { 'windows-client': 0, 'windows-server': 0, office: 0 };
    for (const row of catalogRows) {
      counts[row.kind] += 1;
      expect(row.minimumCount).toBe(row.kind === 'windows-client' ? 25 : 5);
      expect(row.kind === 'office').toBe(row.applicationId !== WINDOWS_APP_ID);
      if (row.kind !== 'office') expect(row.productFamily.includes('Server')).toBe(row.kind === 'windows-server');
    }
    expect(counts).toEqual({ 'windows-client': 37, 'windows-server': 41, office: 84 });
    expect(byKey('W269N-WFGWX-YVC9B-4J6C9-T83GX').kind).toBe('windows-client');
    expect(byKey('TVRH6-WHNXV-R9WG3-9XRFY-MY832').kind).toBe('windows-server');
    expect(byKey('YC7DK-G2NP3-2QQC3-J6H88-GVGXT').kind).toBe('office');
  });

  it('marks every row as a KMS client (VOLUME_KMSCLIENT) GVLK', () => {
    for (const row of catalogRows) {
      expect(row.channel).toBe('Volume:GVLK');
      expect(row.description).toContain('VOLUME_KMSCLIENT');
    }
  });
});

describe('lookups', () => {
  it('finds a GVLK by any accepted spelling', () => {
    const pro = byKey('W269N-WFGWX-YVC9B-4J6C9-T83GX');
    expect(pro.skuId).toBe('2de67392-b7a7-462a-b1ca-108dd189f588');
    expect(findCatalogByKey('w269nwfgwxyvc9b4j6c9t83gx')).toBe(pro);
    expect(findCatalogByKey('not a key')).toBeUndefined();
    expect(findCatalogByKey('W269N-WFGWX-YVC9B-4J6C9-T83GB')).toBeUndefined();
  });

  it('finds a SKU case-insensitively, with or without braces', () => {
    const pro = byKey('W269N-WFGWX-YVC9B-4J6C9-T83GX');
    expect(findCatalogBySkuId('2de67392-b7a7-462a-b1ca-108dd189f588')).toBe(pro);
    expect(findCatalogBySkuId('2DE67392-B7A7-462A-B1CA-108DD189F588')).toBe(pro);
    expect(findCatalogBySkuId('{2de67392-B7A7-462a-b1ca-108dd189f588}')).toBe(pro);
    expect(findCatalogBySkuId(' {2de67392-b7a7-462a-b1ca-108dd189f588} ')).toBe(pro);
    expect(findCatalogBySkuId('00000000-0000-0000-0000-000000000000')).toBeUndefined();
    expect(findCatalogBySkuId('')).toBeUndefined();
  });

  it('finds every SKU ID; a SKU with two published keys resolves to the first listed', () => {
    for (const row of catalogRows) expect(findCatalogBySkuId(row.skuId)?.skuId).toBe(row.skuId);
    expect(new Set(catalogRows.map((r) => r.skuId)).size).toBe(160);
    // Windows Server 1803 and 1709 Standard share a SKU; 1803 is listed first.
    expect(findCatalogBySkuId('61c5ef22-f14f-4553-a824-c4b31e84b100')?.gvlk).toBe('PTXN8-JFHJM-4WC78-MPCBR-9W4KR');
    expect(byKey('DPCNP-XQFKJ-BJF7R-FRC8D-GF6G4').skuId).toBe('61c5ef22-f14f-4553-a824-c4b31e84b100');
  });

  it('tells published GVLKs from other keys', () => {
    for (const row of fixtureRows) expect(isPublicGvlk(row.gvlk)).toBe(true);
    expect(isPublicGvlk('w269n-wfgwx-yvc9b-4j6c9-t83gx')).toBe(true);
    expect(isPublicGvlk('W269N-WFGWX-YVC9B-4J6C9-T83GB')).toBe(false);
    expect(isPublicGvlk('')).toBe(false);
  });
});
