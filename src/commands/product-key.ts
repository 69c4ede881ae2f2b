// /ipk, /upk and /cpky. The full key never reaches the store: it is reduced to its partial key,
// digest and decoded group/serial before anything is written.

import { HResultError, SoftFailure } from '../errors.js';
import { findCatalogByKey, isPublicGvlk, WINDOWS_APP_ID } from '../licensing/catalog.js';
import { clientExtendedPid } from '../licensing/epid.js';
import { SL_E_INVALID_PRODUCT_KEY, SL_E_PKEY_INVALID_CONFIG } from '../licensing/hresult-codes.js';
import { labInstallationId } from '../licensing/installation-id.js';
import { GRACE_PERIOD_MS, LicenseStatus } from '../licensing/license-state.js';
import { maskProductKey, parseProductKey, productKeyDigest } from '../licensing/product-key.js';
import type { ProductRow } from '../store/types.js';
import { normaliseGuid, type CommandContext } from './context.js';

/** Rearm counts a volume-licensed Windows 10/11 reports out of the box (real `/dlv` output shows 1001). */
export const INITIAL_REARM_COUNT = 1001;

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

const UNKEYED: Partial<ProductRow> = {
  partialKey: null,
  keyDigest: null,
  keyGroup: null,
  keySerial: null,
  channel: null,
  extendedPid: null,
  installationId: null,
  installedAt: null,
  licenseStatus: LicenseStatus.Unlicensed,
  graceEndsAt: null,
  statusReason: null,
  activatedAt: null,
  kmsHostName: null,
  kmsHostPort: null,
  kmsHostIp: null,
  kmsHostEpid: null,
  vlActivationInterval: null,
  vlRenewalInterval: null,
};

/** The licence stays installed, as on Windows: `/dli All` then shows it as "not in use". */
function removeKey(ctx: CommandContext, product: ProductRow): UninstalledProduct {
  ctx.tx.updateProduct(ctx.machine.id, product.skuId, UNKEYED);
  return {
    activationId: product.skuId,
    name: product.name,
    partialProductKey: product.partialKey ?? '',
  };
}

export function installProductKey(ctx: CommandContext, args: readonly string[]): InstallProductKeyResult {
  const typed = args[0] as string;
  const parsed = parseProductKey(typed);
  const entry = findCatalogByKey(parsed.key);
  if (!entry) {
    // A well-formed pkey2009 key whose group no installed configuration knows is what SPP reports
    // as an invalid configuration; an older-format key cannot be verified at all offline.
    throw new HResultError(parsed.format === 'pkey2009' ? SL_E_PKEY_INVALID_CONFIG : SL_E_INVALID_PRODUCT_KEY);
  }
  const { tx, machine, now } = ctx;
  const digest = productKeyDigest(parsed.key);
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
  if (existing?.keyDigest !== digest) {
    tx.putProduct({
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
      extendedPid: clientExtendedPid({
        groupId: parsed.decoded?.groupId ?? 0,
        serial: parsed.decoded?.serial ?? 0,
        osBuild: machine.osBuild,
        lcid: machine.lcid,
        installedAt: new Date(now),
      }),
      installationId: labInstallationId(digest, machine.cmid),
      installedAt: now,
      licenseStatus: LicenseStatus.InitialGrace,
      graceEndsAt: now + GRACE_PERIOD_MS,
      statusReason: null,
      remainingSkuRearmCount: existing?.remainingSkuRearmCount ?? INITIAL_REARM_COUNT,
      remainingAppRearmCount: existing?.remainingAppRearmCount ?? INITIAL_REARM_COUNT,
      activationTypeEnabled: existing?.activationTypeEnabled ?? 0,
      kmsMachine: existing?.kmsMachine ?? null,
      kmsPort: existing?.kmsPort ?? null,
      kmsLookupDomain: existing?.kmsLookupDomain ?? null,
      activatedAt: null,
      kmsHostName: null,
      kmsHostPort: null,
      kmsHostIp: null,
      kmsHostEpid: null,
      vlActivationInterval: null,
      vlRenewalInterval: null,
    });
  }
  if (!machine.keyInRegistry) tx.updateMachine(machine.id, { keyInRegistry: true });

  return {
    kind: 'install-product-key',
    productKey: isPublicGvlk(parsed.key) ? typed : maskProductKey(parsed.key),
    partialProductKey: parsed.partialKey,
    activationId: entry.skuId,
    applicationId: entry.applicationId,
    name: entry.name,
    description: entry.description,
    productKeyChannel: entry.channel,
    replaced,
  };
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
