// Installed XrML licences in the store (kind 'license-file', one JSON document per licence ID and
// machine), and the /ipk step that classifies a key through them. Kept apart from /ilc's parser
// so that /ipk never loads the XML parser.

import { HResultError } from '../errors.js';
import { findCatalogBySkuId } from '../licensing/catalog.js';
import { findHostKeyType, hostEpidKeyFields } from '../licensing/host-keys.js';
import { SL_E_INVALID_PRODUCT_KEY, SL_E_PKEY_INVALID_CONFIG } from '../licensing/hresult-codes.js';
import { channelWord, epidKeyFields, hostKeyTypeOfProduct, matchKeyConfiguration } from '../licensing/key-configurations.js';
import type { KeyConfiguration, LicenseFileEncoding, XrmlLicense } from '../licensing/xrml.js';
import type { StoreTx } from '../store/store.js';
import type { CommandContext } from './context.js';
import type { Installable } from './product-key.js';

export const LICENSE_FILE_OBJECT = 'license-file';

/** SL_E_MISMATCHED_PRODUCT_SKU: a key of a SKU whose licence is not installed ("product SKU is not found"). */
export const SL_E_MISMATCHED_PRODUCT_SKU = 0xc004f069;

/** What the store keeps of one installed licence. */
export interface StoredLicense extends XrmlLicense {
  /** The file as given to /ilc, or its path in the lab's system licence set for /rilc. */
  file: string;
  fileSha256: string;
  encoding: LicenseFileEncoding;
  source: 'ilc' | 'rilc';
  installedAt: number;
}

function isStoredLicense(data: Record<string, unknown>): boolean {
  return typeof data.licenseId === 'string' && typeof data.kind === 'string' && typeof data.file === 'string';
}

/** The machine's installed licences, oldest first. */
export function installedLicenses(tx: StoreTx, machineId: number): StoredLicense[] {
  return tx
    .listObjects(LICENSE_FILE_OBJECT, machineId)
    .filter((o) => isStoredLicense(o.data))
    .map((o) => o.data as unknown as StoredLicense);
}

export function storeLicense(tx: StoreTx, machineId: number, license: StoredLicense): void {
  tx.putObject(LICENSE_FILE_OBJECT, machineId, license.licenseId, license as unknown as Record<string, unknown>);
}

/** The product licence installed for a SKU; the most recently installed when there are several. */
function skuLicense(licenses: readonly StoredLicense[], skuId: string): StoredLicense | undefined {
  return licenses.filter((l) => l.productSkuId === skuId).at(-1);
}

function installableFrom(configuration: KeyConfiguration, sku: StoredLicense, key: { groupId: number; serial: number }): Installable {
  const skuId = configuration.actConfigId;
  const type = configuration.productKeyType;
  const applicationId = sku.applicationId as string;
  const name = sku.productName ?? configuration.editionId;
  const description = `${sku.productDescription ?? configuration.productDescription}, ${channelWord(type)} channel`;
  const base = { skuId, applicationId, name, description, channel: type, publicKey: false };
  if (type === 'Volume:CSVLK') {
    // A host key: it runs the KMS host type its Activation ID names, as a lab key does.
    const host = hostKeyTypeOfProduct({ keyGroup: key.groupId, keySerial: key.serial, hostKeyType: findHostKeyType(skuId)?.csvlkActivationId ?? null });
    if (!host || key.serial > 999_999_999) throw new HResultError(SL_E_PKEY_INVALID_CONFIG);
    return { ...base, epid: hostEpidKeyFields(host, key), kmsCountedId: null, minimumCount: null, hostKeyType: host.csvlkActivationId };
  }
  // A KMS client key of a SKU the catalog knows counts and needs what the catalog says.
  const gvlk = type === 'Volume:GVLK' ? findCatalogBySkuId(skuId) : undefined;
  return { ...base, epid: epidKeyFields(key), kmsCountedId: gvlk?.kmsCountedId ?? null, minimumCount: gvlk?.minimumCount ?? null, hostKeyType: null };
}

/**
 * /ipk's lookup after the GVLK catalog and the host-key table: the product-key configuration
 * licences installed on the machine, in the order they were installed. Undefined when none knows
 * the key's group and serial. A serial in a range marked invalid is 0xC004F050; a configuration
 * whose SKU has no product licence installed is 0xC004F069 (a key for an edition this machine
 * does not have).
 */
export function licensedInstallable(ctx: CommandContext, key: { groupId: number; serial: number }): Installable | undefined {
  const licenses = installedLicenses(ctx.tx, ctx.machine.id);
  for (const license of licenses) {
    const config = license.productKeyConfiguration;
    if (!config || !Array.isArray(config.configurations) || !Array.isArray(config.keyRanges) || !Array.isArray(config.publicKeys)) continue;
    const match = matchKeyConfiguration(config, key);
    if (!match) continue;
    if (!match.valid) throw new HResultError(SL_E_INVALID_PRODUCT_KEY);
    const sku = skuLicense(licenses, match.configuration.actConfigId);
    if (!sku || sku.applicationId === null) throw new HResultError(SL_E_MISMATCHED_PRODUCT_SKU);
    return installableFrom(match.configuration, sku, key);
  }
  return undefined;
}
