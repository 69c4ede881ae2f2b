// The catalog of public GVLKs (KMS client setup keys) and the SKUs they install. The rows live in
// the generated catalog-data.ts (scripts/build-catalog.mjs, see docs/catalog.md); this module
// only indexes them.

import { CATALOG_ROWS } from './catalog-data.js';
import { normalizeProductKey, type ProductKeyFormat } from './product-key.js';

export { OFFICE2010_APP_ID, OFFICE_APP_ID, WINDOWS_APP_ID } from './applications.js';

export type CatalogKind = 'windows-client' | 'windows-server' | 'office';

export interface CatalogRow {
  /** Activation ID / SKU ID (lower-case GUID). */
  readonly skuId: string;
  readonly applicationId: string;
  /** The published KMS client setup key, normalised. */
  readonly gvlk: string;
  readonly keyFormat: ProductKeyFormat;
  /** Decoded key group and serial; null for pkey2005 keys, which cannot be decoded offline. */
  readonly groupId: number | null;
  readonly serial: number | null;
  /** pkeyconfig EditionId, e.g. "Professional", "ServerStandard", "ProPlusVolume". */
  readonly editionId: string;
  /** Edition names as Microsoft's key tables list them (one key may serve several releases). */
  readonly editionNames: readonly string[];
  readonly productFamily: string;
  /** KMS counted ID the client sends and the host counts against. */
  readonly kmsCountedId: string;
  readonly kmsCountedIdName: string;
  /** Count the KMS host must report before this product activates (25 client, 5 server/Office). */
  readonly minimumCount: number;
  readonly defaultKmsProtocol: '4.0' | '5.0' | '6.0';
  readonly kind: CatalogKind;
  /** SoftwareLicensingProduct.Name, e.g. "Windows(R), Professional edition". */
  readonly name: string;
  /** SoftwareLicensingProduct.Description, e.g. "Windows(R) Operating System, VOLUME_KMSCLIENT channel". */
  readonly description: string;
  readonly channel: 'Volume:GVLK';
}

export const catalogRows: readonly CatalogRow[] = CATALOG_ROWS;

let byKey: Map<string, CatalogRow> | undefined;
let bySkuId: Map<string, CatalogRow> | undefined;

function keyIndex(): Map<string, CatalogRow> {
  byKey ??= new Map(catalogRows.map((row) => [row.gvlk, row]));
  return byKey;
}

function skuIndex(): Map<string, CatalogRow> {
  if (!bySkuId) {
    bySkuId = new Map();
    // Two SKUs have two published keys each (Windows Server 1709 and 1803 share their SKU IDs);
    // the first row, i.e. the newer release as Microsoft lists it, represents the SKU.
    for (const row of catalogRows) if (!bySkuId.has(row.skuId)) bySkuId.set(row.skuId, row);
  }
  return bySkuId;
}

/** The catalog row of a published GVLK; any accepted spelling of the key finds it. */
export function findCatalogByKey(normalizedKey: string): CatalogRow | undefined {
  const key = normalizeProductKey(normalizedKey);
  return key === null ? undefined : keyIndex().get(key);
}

/** Looks an Activation ID up case-insensitively, with or without `{}` around it. */
export function findCatalogBySkuId(id: string): CatalogRow | undefined {
  const bare = id.trim().replace(/^\{(.*)\}$/, '$1').toLowerCase();
  return skuIndex().get(bare);
}

/** True when the key is one of Microsoft's published KMS client setup keys (safe to print in full). */
export function isPublicGvlk(normalizedKey: string): boolean {
  return findCatalogByKey(normalizedKey) !== undefined;
}
