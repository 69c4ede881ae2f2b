// What an installed product-key configuration licence teaches /ipk: the Configuration and
// KeyRange a decoded pkey2009 key falls in (product-key-format.md §4), and how such a product is
// named and channelled. Pure; the licences themselves come from the store (commands/license-store.ts).
// Types only from xrml.ts, so /ipk does not load the XML parser.

import type { KeyConfiguration, KeyGroupAlgorithm, KeyRange, ProductKeyConfiguration } from './xrml.js';
import { classifyHostKey, findHostKeyType, type HostKeyType } from './host-keys.js';

const PKEY_2009_ALGORITHM = 'msft:rm/algorithm/pkey/2009';

export type KeyConfigurationMatch =
  | { valid: true; configuration: KeyConfiguration; range: KeyRange }
  /** The key's serial is in a range marked IsValid=false: SPP refuses such a key as invalid. */
  | { valid: false; configuration: KeyConfiguration; range: KeyRange };

function groupUsesPkey2009(publicKeys: readonly KeyGroupAlgorithm[], groupId: number): boolean {
  const entry = publicKeys.find((k) => k.groupId === groupId);
  return entry === undefined || entry.algorithmId === PKEY_2009_ALGORITHM;
}

/**
 * The configuration of `config` whose RefGroupId is the key's group and which owns a key range
 * holding the key's serial; undefined when none does. Configurations are tried in file order, and
 * so are their ranges: the first range that holds the serial decides, valid or not.
 */
export function matchKeyConfiguration(config: ProductKeyConfiguration, key: { groupId: number; serial: number }): KeyConfigurationMatch | undefined {
  if (!groupUsesPkey2009(config.publicKeys, key.groupId)) return undefined;
  for (const configuration of config.configurations) {
    if (configuration.refGroupId !== key.groupId) continue;
    const range = config.keyRanges.find((r) => r.refActConfigId === configuration.actConfigId && key.serial >= r.start && key.serial <= r.end);
    if (range) return { valid: range.isValid, configuration, range };
  }
  return undefined;
}

/**
 * The channel word of a product's Description (`Windows(R) Operating System, VOLUME_MAK channel`)
 * for a ProductKeyType: Volume:GVLK is VOLUME_KMSCLIENT and Volume:CSVLK VOLUME_KMS (what slmgr
 * tests for KMS clients and hosts); any other type upper-cased with `:` as `_` (RETAIL, OEM_DM).
 */
export function channelWord(productKeyType: string): string {
  if (productKeyType === 'Volume:GVLK') return 'VOLUME_KMSCLIENT';
  if (productKeyType === 'Volume:CSVLK') return 'VOLUME_KMS';
  return productKeyType.toUpperCase().replace(/:/g, '_');
}

/**
 * The group and key ID a product's Extended PID carries. The ePID's group field has five digits and
 * its key-ID fields nine, while a key's group has 20 bits and its serial 30: a lab group
 * (990001+) is written modulo 100000 (990014 → 90014, still no Microsoft group), a serial above
 * 999999999 modulo 10^9.
 */
export function epidKeyFields(key: { groupId: number; serial: number }): { groupId: number; serial: number } {
  return { groupId: key.groupId > 99_999 ? key.groupId % 100_000 : key.groupId, serial: key.serial > 999_999_999 ? key.serial % 1_000_000_000 : key.serial };
}

/**
 * The host-key type a KMS host product runs. A key that classifyHostKey knows (a lab host key or
 * a Microsoft CSVLK range) keeps that type; a CSVLK that only an installed product-key
 * configuration licence made known runs the type its Activation ID names, treated like a lab key:
 * its ePID carries that type's CSVLK group and the key's own serial (host-keys.ts hostEpidKeyFields).
 */
export function hostKeyTypeOfProduct(product: { keyGroup: number | null; keySerial: number | null; hostKeyType: string | null }): HostKeyType | undefined {
  const classified = classifyHostKey({ groupId: product.keyGroup ?? -1, serial: product.keySerial ?? -1 });
  if (classified || product.hostKeyType === null) return classified;
  const named = findHostKeyType(product.hostKeyType);
  return named && { ...named, lab: true, groupId: product.keyGroup ?? named.groupId, labKeyId: null, keyIdRanges: [{ start: 0, end: 0x3fffffff }] };
}
