// The committed copy of the reference GVLK table (written by scripts/build-catalog.mjs), so the
// licensing tests do not depend on the shared reference directory.

import { readFileSync } from 'node:fs';

export interface FixtureRow {
  productFamily: string;
  editionNames: string[];
  gvlk: string;
  applicationId: string;
  keyFormat: string;
  keyDecoded?: {
    groupId: number;
    serial: number;
    security: number;
    checksum: number;
    upgrade: number;
    extra: number;
    checksumValid: boolean;
  };
  skuId: string;
  pkeyconfigEditionId: string;
  pkeyconfigDescription: string;
  pkeyconfigKeyType: string;
  kmsCountedId: string;
  kmsCountedIdName: string;
  minimumCount: number;
  defaultKmsProtocol: string;
}

interface Fixture {
  applicationIds: Record<string, string>;
  rows: FixtureRow[];
}

export const gvlkFixture = JSON.parse(
  readFileSync(new URL('../../fixtures/reference/gvlk.json', import.meta.url), 'utf8'),
) as Fixture;

export const fixtureRows = gvlkFixture.rows;

export const isPkey2009Row = (row: FixtureRow): boolean => row.keyFormat === 'pkey2009';

export function rowByKey(gvlk: string): FixtureRow {
  const row = fixtureRows.find((r) => r.gvlk === gvlk);
  if (!row) throw new Error(`fixture has no row for ${gvlk}`);
  return row;
}
