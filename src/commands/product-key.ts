// /ipk, /upk and /cpky. The full key never reaches the store: it is reduced to its partial key,
// digest and decoded group/serial before anything is written.

import { HResultError, SoftFailure } from '../errors.js';
import { findCatalogByKey, WINDOWS_APP_ID } from '../licensing/catalog.js';
import { clientExtendedPid as extendedPid } from '../licensing/epid.js';
import { classifyHostKey, hostEpidKeyFields } from '../licensing/host-keys.js';
import { SL_E_INVALID_PRODUCT_KEY, SL_E_PKEY_INVALID_CONFIG } from '../licensing/hresult-codes.js';
import { labInstallationId } from '../licensing/installation-id.js';
import { GRACE_PERIOD_MS, LicenseStatus } from '../licensing/license-state.js';
import { maskProductKey, parseProductKey, productKeyDigest, secretProductKeyDigest, type DecodedKey, type ParsedProductKey } from '../licensing/product-key.js';
import { PRODUCT_DEFAULTS } from '../store/repository.js';
import type { ProductRow } from '../store/types.js';
import { normaliseGuid, type CommandContext } from './context.js';
import { licensedInstallable } from './license-store.js';

export interface InstallProductKeyResult {
  kind: 'install-product-key';
  /** The key as typed when it is a public GVLK, otherwise masked to its last group. */
  productKey: string;
  partialProductKey: string;
  activationId: string;
  applicationId: string;
  name: string;
  description: string;
  productKeyChannel: string;
  /** The key is a KMS host key: the machine becomes a KMS host once activated. */
  isKmsHost: boolean;
  /** Activation IDs whose key this one replaced. */
  replaced: string[];
}

export interface UninstalledProduct {
  activationId: string;
  name: string;
  partialProductKey: string;
}

export interface UninstallProductKeyResult {
  kind: 'uninstall-product-key';
  uninstalled: UninstalledProduct[];
}

export interface ClearProductKeyResult {
  kind: 'clear-product-key-from-registry';
}

/** What outlives a key change or removal on the same licence: rearm counts, settings, host counters. */
const SURVIVING_FIELDS = [
  'remainingSkuRearmCount', 'remainingAppRearmCount', 'activationTypeEnabled', 'kmsMachine', 'kmsPort', 'kmsLookupDomain',
  'kmsTotalRequests', 'kmsFailedRequests', 'kmsUnlicensedRequests', 'kmsLicensedRequests', 'kmsOobGraceRequests',
  'kmsOotGraceRequests', 'kmsNonGenuineGraceRequests', 'kmsNotificationRequests',
] as const satisfies readonly (keyof ProductRow)[];

function pick(row: Partial<ProductRow>, keep: boolean): Partial<ProductRow> {
  return Object.fromEntries(Object.entries(row).filter(([field]) => (SURVIVING_FIELDS as readonly string[]).includes(field) === keep));
}

/** Everything about the key goes; the licence and what outlives a key stay. */
const UNKEYED = pick(PRODUCT_DEFAULTS, false);

/** The licence stays installed, as on Windows: `/dli All` then shows it as "not in use". */
function removeKey(ctx: CommandContext, product: ProductRow): UninstalledProduct {
  ctx.tx.updateProduct(ctx.machine.id, product.skuId, UNKEYED);
  return {
    activationId: product.skuId,
    name: product.name,
    partialProductKey: product.partialKey ?? '',
  };
}

/** What a key installs: a KMS client product from the GVLK catalog, or a KMS host product. */
export interface Installable {
  /** The key group and ID the product's ePID carries. */
  epid: { groupId: number; serial: number };
  skuId: string;
  applicationId: string;
  name: string;
  description: string;
  channel: string;
  kmsCountedId: string | null;
  minimumCount: number | null;
  hostKeyType: string | null;
  /** Only Microsoft's published GVLKs may be echoed in full. */
  publicKey: boolean;
}

/** A further source of keys (installed product-key configuration licences, license-store.ts). */
export type KeyLookup = (key: { groupId: number; serial: number }) => Installable | undefined;

function installable(parsed: ParsedProductKey, lookup?: KeyLookup): Installable {
  const gvlk = findCatalogByKey(parsed.key);
  if (gvlk) {
    return {
      epid: { groupId: parsed.decoded?.groupId ?? 0, serial: parsed.decoded?.serial ?? 0 },
      skuId: gvlk.skuId, applicationId: gvlk.applicationId, name: gvlk.name, description: gvlk.description, channel: gvlk.channel,
      kmsCountedId: gvlk.kmsCountedId, minimumCount: gvlk.minimumCount, hostKeyType: null, publicKey: true,
    };
  }
  const host = parsed.decoded && classifyHostKey(parsed.decoded);
  if (host) {
    return {
      epid: hostEpidKeyFields(host, parsed.decoded as DecodedKey),
      skuId: host.csvlkActivationId, applicationId: host.applicationId, name: host.hostProductName, description: host.hostProductDescription,
      channel: 'Volume:CSVLK', kmsCountedId: null, minimumCount: null, hostKeyType: host.csvlkActivationId, publicKey: false,
    };
  }
  const configured = parsed.decoded && lookup?.(parsed.decoded);
  if (configured) return configured;
  // A well-formed pkey2009 key whose group no installed configuration knows is what SPP reports
  // as an invalid configuration; an older-format key cannot be verified at all offline.
  throw new HResultError(parsed.format === 'pkey2009' ? SL_E_PKEY_INVALID_CONFIG : SL_E_INVALID_PRODUCT_KEY);
}

/** A product key checked, decoded and looked up once, ready to install on any number of machines. */
export interface PreparedProductKey {
  /** The key as typed. */
  readonly typed: string;
  readonly parsed: ParsedProductKey;
  readonly entry: Installable;
  readonly digest: string;
}

/** Everything about a key that does not depend on the machine; throws for a key /ipk refuses. */
export function prepareProductKey(typed: string, lookup?: KeyLookup): PreparedProductKey {
  const parsed = parseProductKey(typed);
  const entry = installable(parsed, lookup);
  const digest = entry.publicKey ? productKeyDigest(parsed.key) : secretProductKeyDigest(parsed.key);
  return { typed, parsed, entry, digest };
}

export function installProductKey(ctx: CommandContext, args: readonly string[]): InstallProductKeyResult {
  return installPreparedKey(ctx, prepareProductKey(args[0] as string, (key) => licensedInstallable(ctx, key))).result;
}

/** /ipk with a prepared key; also returns the product row as it now is in the store. */
export function installPreparedKey(ctx: CommandContext, key: PreparedProductKey): { result: InstallProductKeyResult; product: ProductRow } {
  const { typed, parsed, entry, digest } = key;
  const { tx, machine, now } = ctx;
  const existing = tx.getProduct(machine.id, entry.skuId);

  const replaced: string[] = [];
  if (entry.applicationId === WINDOWS_APP_ID) {
    // One Windows edition is keyed at a time: a new Windows key replaces the installed one.
    for (const other of tx.listProducts(machine.id)) {
      if (other.skuId !== entry.skuId && other.partialKey !== null && other.applicationId === WINDOWS_APP_ID) {
        removeKey(ctx, other);
        replaced.push(other.skuId);
      }
    }
  }

  // Installing the key that is already installed keeps the licence state, so scripts can re-run /ipk.
  // Any other key starts over: a KMS host with a new host key must be activated again.
  const unchanged = existing !== undefined && existing.keyDigest === digest;
  const product: ProductRow = unchanged ? existing : {
    ...PRODUCT_DEFAULTS,
    ...(existing ? pick(existing, true) : {}),
    machineId: machine.id,
    skuId: entry.skuId,
    applicationId: entry.applicationId,
    name: entry.name,
    description: entry.description,
    partialKey: parsed.partialKey,
    keyDigest: digest,
    keyGroup: parsed.decoded?.groupId ?? null,
    keySerial: parsed.decoded?.serial ?? null,
    channel: entry.channel,
    extendedPid: extendedPid({
      ...entry.epid,
      osBuild: machine.osBuild,
      lcid: machine.lcid,
      installedAt: new Date(now),
    }),
    installationId: labInstallationId(digest, machine.cmid),
    installedAt: now,
    licenseStatus: LicenseStatus.InitialGrace,
    graceEndsAt: now + GRACE_PERIOD_MS,
    kmsCountedId: entry.kmsCountedId,
    minimumCount: entry.minimumCount,
    hostKeyType: entry.hostKeyType,
    // A KMS client tries to activate by itself right away, then every activation interval.
    kmsNextAttemptAt: entry.kmsCountedId === null ? null : now,
  };
  if (!unchanged) tx.putProduct(product);
  if (!machine.keyInRegistry) tx.updateMachine(machine.id, { keyInRegistry: true });

  const result: InstallProductKeyResult = {
    kind: 'install-product-key',
    productKey: entry.publicKey ? typed : maskProductKey(parsed.key),
    partialProductKey: parsed.partialKey,
    activationId: entry.skuId,
    applicationId: entry.applicationId,
    name: entry.name,
    description: entry.description,
    productKeyChannel: entry.channel,
    isKmsHost: entry.hostKeyType !== null,
    replaced,
  };
  return { result, product };
}


export function uninstallProductKey(ctx: CommandContext, args: readonly string[]): UninstallProductKeyResult {
  const [selector] = args;
  const id = selector === undefined ? undefined : normaliseGuid(selector);
  const targets = ctx.tx
    .listProducts(ctx.machine.id)
    .filter((p) => p.partialKey !== null && (id === undefined ? p.applicationId === WINDOWS_APP_ID : p.skuId === id));
  if (targets.length === 0) throw new SoftFailure('MsgErrorPKey');
  const uninstalled = targets.map((p) => removeKey(ctx, p));
  const windowsKeyLeft = ctx.tx
    .listProducts(ctx.machine.id)
    .some((p) => p.partialKey !== null && p.applicationId === WINDOWS_APP_ID);
  if (!windowsKeyLeft && ctx.machine.keyInRegistry) ctx.tx.updateMachine(ctx.machine.id, { keyInRegistry: false });
  return { kind: 'uninstall-product-key', uninstalled };
}

export function clearProductKeyFromRegistry(ctx: CommandContext): ClearProductKeyResult {
  if (ctx.machine.keyInRegistry) ctx.tx.updateMachine(ctx.machine.id, { keyInRegistry: false });
  return { kind: 'clear-product-key-from-registry' };
}
