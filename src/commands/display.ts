// /dli, /dlv and /xpr: read-only views of the machine's products. They build plain data; the
// text renderer lays it out as slmgr does and --json prints it as it is.

import { SoftFailure } from '../errors.js';
import { WINDOWS_APP_ID } from '../licensing/applications.js';
import { hex } from '../licensing/hresult-codes.js';
import { configuredActivationType, effectiveLicense, LICENSE_STATUS_NAMES, minutesToDays } from '../licensing/license-state.js';
import type { MachineRow, ProductRow } from '../store/types.js';
import { COUNT_CAP, COUNT_WINDOW_MS, DEFAULT_KMS_PORT } from '../licensing/kms.js';
import { normaliseGuid, type CommandContext } from './context.js';
import { currentTokenActivation, type TokenActivationView } from './token.js';
import { adActivationView, type AdActivationView } from '../backends/sim/ad-record.js';

const ACTIVATION_TYPES = ['All', 'AD', 'KMS', 'Token'] as const;
export type ActivationTypeName = (typeof ACTIVATION_TYPES)[number];

export interface KmsClientActivationView {
  clientMachineId: string;
  lookupDomain: string | null;
  /** "name:port" set with /skms, or null. */
  registeredKmsMachine: string | null;
  /** "name:port" of the host found through DNS at the last activation, or null. */
  kmsMachineFromDns: string | null;
  kmsMachineIpAddress: string | null;
  kmsMachineExtendedPid: string | null;
  activationIntervalMinutes: number;
  renewalIntervalMinutes: number;
  hostCachingEnabled: boolean;
  /** Both /skms and /skms-domain are set: the fixed host wins. */
  skmsOverridesDomain: boolean;
}

export interface KmsClientView {
  configuredActivationType: ActivationTypeName;
  /** Present once the product is Licensed; slmgr otherwise asks to run /ato first. */
  activation: KmsClientActivationView | null;
}

export interface KmsHostView {
  currentCount: number;
  listeningPort: number;
  dnsPublishing: boolean;
  lowPriority: boolean;
  activationIntervalMinutes: number;
  renewalIntervalMinutes: number;
  requests: {
    total: number;
    failed: number;
    unlicensed: number;
    licensed: number;
    initialGrace: number;
    licenseExpiredOrHardwareOutOfTolerance: number;
    nonGenuineGrace: number;
    notification: number;
  };
  /** The registry values the KMS host documentation names, as a monitoring tool would read them. */
  registry: Record<string, string | number>;
}

export interface ProductView {
  activationId: string;
  applicationId: string;
  name: string;
  description: string;
  extendedPid: string | null;
  productKeyChannel: string | null;
  installationId: string | null;
  partialProductKey: string | null;
  licenseStatus: number;
  licenseStatusName: string;
  graceRemainingMinutes: number;
  graceRemainingDays: number;
  /** When the current state ends (ISO 8601), as /xpr reports it. */
  expiresAt: string | null;
  /** LicenseStatusReason in the Notification state, e.g. "C004F009". */
  notificationReason: string | null;
  remainingWindowsRearmCount: number | null;
  remainingAppRearmCount: number | null;
  remainingSkuRearmCount: number;
  trustedTime: string;
  kmsClient: KmsClientView | null;
  /** Present when the product runs a KMS host key (IsKeyManagementServiceMachine). */
  kmsHost: KmsHostView | null;
  /** Present while the product's most recent activation is a token-based one (/fta). */
  tokenActivation: TokenActivationView | null;
  /** Present while the product's most recent activation went through Active Directory (an AO of its forest). */
  adActivation: AdActivationView | null;
}

export interface DisplayResult {
  kind: 'display';
  verbose: boolean;
  /** The products asked for by Activation ID get no trailing empty line in slmgr's layout. */
  specificActivationId: boolean;
  serviceVersion: string;
  products: ProductView[];
}

export interface ExpirationResult {
  kind: 'expiration';
  products: ProductView[];
}

function kmsMachineLabel(name: string | null, port: number | null): string | null {
  return name === null ? null : `${name}:${port ?? DEFAULT_KMS_PORT}`;
}

function kmsClientView(product: ProductRow, machine: MachineRow, status: number): KmsClientView {
  const registeredName = product.kmsMachine ?? machine.kmsMachine;
  const registeredPort = product.kmsMachine !== null ? product.kmsPort : machine.kmsPort;
  const lookupDomain = product.kmsLookupDomain ?? machine.kmsLookupDomain;
  const registeredKmsMachine = kmsMachineLabel(registeredName, registeredPort);
  return {
    configuredActivationType: ACTIVATION_TYPES[configuredActivationType(product, machine)] ?? 'All',
    activation: status !== 1 ? null : {
      clientMachineId: machine.cmid,
      lookupDomain,
      registeredKmsMachine,
      kmsMachineFromDns: registeredKmsMachine === null ? kmsMachineLabel(product.kmsHostName, product.kmsHostPort) : null,
      kmsMachineIpAddress: product.kmsHostIp,
      kmsMachineExtendedPid: product.kmsHostEpid,
      activationIntervalMinutes: product.vlActivationInterval ?? machine.vlActivationInterval,
      renewalIntervalMinutes: product.vlRenewalInterval ?? machine.vlRenewalInterval,
      hostCachingEnabled: machine.kmsHostCaching,
      skmsOverridesDomain: registeredKmsMachine !== null && lookupDomain !== null,
    },
  };
}

function kmsHostView(product: ProductRow, machine: MachineRow, currentCount: number): KmsHostView {
  return {
    currentCount,
    listeningPort: machine.kmsListeningPort,
    dnsPublishing: machine.kmsDnsPublishing,
    lowPriority: machine.kmsLowPriority,
    activationIntervalMinutes: machine.vlActivationInterval,
    renewalIntervalMinutes: machine.vlRenewalInterval,
    requests: {
      total: product.kmsTotalRequests,
      failed: product.kmsFailedRequests,
      unlicensed: product.kmsUnlicensedRequests,
      licensed: product.kmsLicensedRequests,
      initialGrace: product.kmsOobGraceRequests,
      licenseExpiredOrHardwareOutOfTolerance: product.kmsOotGraceRequests,
      nonGenuineGrace: product.kmsNonGenuineGraceRequests,
      notification: product.kmsNotificationRequests,
    },
    registry: {
      KeyManagementServiceVersion: machine.serviceVersion,
      KeyManagementServiceCurrentCount: currentCount,
      KeyManagementServiceTotalRequests: product.kmsTotalRequests,
      KeyManagementServiceListeningPort: String(machine.kmsListeningPort),
      DisableDnsPublishing: machine.kmsDnsPublishing ? 0 : 1,
      EnableKmsLowPriority: machine.kmsLowPriority ? 1 : 0,
      VLActivationInterval: machine.vlActivationInterval,
      VLRenewalInterval: machine.vlRenewalInterval,
    },
  };
}

/** `currentCount` is the host's count for this product's application; null for a non-host product. */
export function productView(product: ProductRow, machine: MachineRow, now: number, currentCount: number | null = null, tokenActivation: TokenActivationView | null = null): ProductView {
  const license = effectiveLicense(product, now);
  const isWindows = product.applicationId === WINDOWS_APP_ID;
  return {
    activationId: product.skuId,
    applicationId: product.applicationId,
    name: product.name,
    description: product.description,
    extendedPid: product.extendedPid,
    productKeyChannel: product.channel,
    installationId: product.installationId,
    partialProductKey: product.partialKey,
    licenseStatus: license.status,
    licenseStatusName: LICENSE_STATUS_NAMES[license.status],
    graceRemainingMinutes: license.graceRemainingMinutes,
    graceRemainingDays: minutesToDays(license.graceRemainingMinutes),
    expiresAt: license.endsAt === null ? null : new Date(license.endsAt).toISOString(),
    notificationReason: license.reason === null || license.status !== 5 ? null : hex(license.reason),
    remainingWindowsRearmCount: isWindows ? machine.remainingWindowsRearmCount : null,
    remainingAppRearmCount: isWindows ? null : product.remainingAppRearmCount,
    remainingSkuRearmCount: product.remainingSkuRearmCount,
    trustedTime: new Date(now).toISOString(),
    kmsClient: product.description.includes('VOLUME_KMSCLIENT') ? kmsClientView(product, machine, license.status) : null,
    kmsHost: product.hostKeyType !== null && currentCount !== null ? kmsHostView(product, machine, currentCount) : null,
    tokenActivation,
    adActivation: null,
  };
}

/** The products slmgr shows for `[Activation ID | All]`: by default the keyed Windows licences. */
function selectProducts(ctx: CommandContext, selector: string | undefined): ProductRow[] {
  const all = ctx.tx.listProducts(ctx.machine.id);
  if (selector === undefined) return all.filter((p) => p.partialKey !== null && p.applicationId === WINDOWS_APP_ID);
  if (selector.toLowerCase() === 'all') return all;
  const id = normaliseGuid(selector);
  return all.filter((p) => p.skuId === id);
}

function display(ctx: CommandContext, args: readonly string[], verbose: boolean): DisplayResult {
  const [selector] = args;
  const products = selectProducts(ctx, selector);
  if (products.length === 0) throw new SoftFailure('MsgErrorPKey');
  return {
    kind: 'display',
    verbose,
    specificActivationId: selector !== undefined && selector.toLowerCase() !== 'all',
    serviceVersion: ctx.machine.serviceVersion,
    products: products.map((p) => viewWithCount(ctx, p)),
  };
}

function viewWithCount(ctx: CommandContext, product: ProductRow): ProductView {
  const count = product.hostKeyType === null
    ? null
    : ctx.tx.countKmsClients(ctx.machine.id, product.applicationId, ctx.now - COUNT_WINDOW_MS, COUNT_CAP);
  const view = productView(product, ctx.machine, ctx.now, count, currentTokenActivation(ctx.tx, product));
  // AD-based activation (src/backends/sim/ad.ts): the AD client block replaces the KMS one.
  const adActivation = view.kmsClient === null ? null : adActivationView(ctx.tx, product);
  return adActivation === null ? view : { ...view, adActivation, kmsClient: view.kmsClient && { ...view.kmsClient, activation: null } };
}

export function displayLicenseInformation(ctx: CommandContext, args: readonly string[]): DisplayResult {
  return display(ctx, args, false);
}

export function displayDetailedLicenseInformation(ctx: CommandContext, args: readonly string[]): DisplayResult {
  return display(ctx, args, true);
}

export function expirationDate(ctx: CommandContext, args: readonly string[]): ExpirationResult {
  const [selector] = args;
  const id = selector === undefined ? undefined : normaliseGuid(selector);
  const products = ctx.tx
    .listProducts(ctx.machine.id)
    .filter((p) => p.partialKey !== null && (id === undefined ? p.applicationId === WINDOWS_APP_ID : p.skuId === id));
  if (products.length === 0) throw new SoftFailure('MsgErrorPKey');
  return { kind: 'expiration', products: products.map((p) => viewWithCount(ctx, p)) };
}
