// /ato: activate the default product (the keyed Windows licence) or the one given. A KMS host
// product activates its host key with the simulated activation service; a KMS client product
// finds a KMS host and asks it. slmgr stops at the first product that fails.
//
// With the kms backend the network sits between two short transactions, so no store lock is held
// while a host is awaited: `planKmsActivation` reads what the request needs, the backend talks to
// the hosts, and `recordKmsActivation` writes the answers — nothing at all when the first fails.

import type { KmsActivationOutcome, KmsActivationTarget, KmsAttempt } from '../backends/kms/activation.js';
import { activateProduct, type ActivationOutcome, type ReachedHost } from '../backends/sim/activation.js';
import { cachedKmsHost, fixedKmsHost, kmsLookupDomain } from '../discovery/candidates.js';
import { OptionError, SoftFailure } from '../errors.js';
import type { KmsProtocolVersion } from '../kms/messages.js';
import { WINDOWS_APP_ID } from '../licensing/applications.js';
import { findCatalogBySkuId } from '../licensing/catalog.js';
import { hex, SL_E_VL_BINDING_SERVICE_UNAVAILABLE } from '../licensing/hresult-codes.js';
import { configuredActivationType, effectiveLicense, KMS_ACTIVATION_VALIDITY_MS, LicenseStatus } from '../licensing/license-state.js';
import type { ProductRow } from '../store/types.js';
import { normaliseGuid, type CommandContext } from './context.js';

export interface ProductActivation {
  activationId: string;
  name: string;
  activated: boolean;
  /** "0xC004F038" when the activation failed. */
  hresult: string | null;
  /** The KMS host that answered a KMS client, with the count it reported. */
  kmsHost: ReachedHost | null;
  /** kms backend: every host tried, in order, and why the ones before the last did not serve. */
  attempts: KmsAttempt[] | null;
}

export interface ActivationResult {
  kind: 'activation';
  /** Volume activation type 3: slmgr refuses KMS activation and points at /fta. */
  tokenOnly: boolean;
  products: ProductActivation[];
  /** The failure that ended the command, as an unsigned HRESULT, and whether the network was to blame. */
  failure: { hresult: number; network: boolean } | null;
}

const TOKEN_ONLY = 3;

/** The products /ato acts on: the keyed Windows licence by default, or the one Activation ID given. */
function activationTargets(ctx: CommandContext, args: readonly string[]): ProductRow[] {
  const [selector] = args;
  const id = selector === undefined ? undefined : normaliseGuid(selector);
  const targets = ctx.tx
    .listProducts(ctx.machine.id)
    .filter((p) => p.partialKey !== null && (id === undefined ? p.applicationId === WINDOWS_APP_ID : p.skuId === id));
  if (targets.length === 0) throw new SoftFailure('MsgErrorProductNotFound');
  return targets;
}

function failureOf(hresult: number): ActivationResult['failure'] {
  return { hresult, network: hresult === SL_E_VL_BINDING_SERVICE_UNAVAILABLE };
}

export function activate(ctx: CommandContext, args: readonly string[]): ActivationResult {
  const sim = { tx: ctx.tx, now: ctx.now, random: ctx.random };
  const products: ProductActivation[] = [];
  for (const product of activationTargets(ctx, args)) {
    if (configuredActivationType(product, ctx.machine) === TOKEN_ONLY) return { kind: 'activation', tokenOnly: true, products, failure: null };
    const outcome: ActivationOutcome = activateProduct(sim, ctx.machine, product);
    products.push({
      activationId: product.skuId,
      name: product.name,
      activated: outcome.ok,
      hresult: outcome.ok ? null : `0x${hex(outcome.hresult)}`,
      kmsHost: outcome.host,
      attempts: null,
    });
    if (!outcome.ok) return { kind: 'activation', tokenOnly: false, products, failure: failureOf(outcome.hresult) };
  }
  return { kind: 'activation', tokenOnly: false, products, failure: null };
}

export interface KmsActivationPlan {
  /** Products in slmgr's order, up to (not including) a token-only one. */
  targets: Array<{ activationId: string; name: string; target: KmsActivationTarget }>;
  /** A product configured for token-based activation only ends the run, as slmgr does. */
  tokenOnly: boolean;
}

export interface KmsClientIdentity {
  workstationName: string;
  /** The store's CMID unless a test or API caller fixes one. */
  clientMachineId?: string;
  /** Used when neither /skms, /skms-domain nor the machine's DNS suffix names a domain (--domain). */
  fallbackDomain?: string | null;
  protocolVersion?: KmsProtocolVersion;
}

const PROTOCOL_VERSIONS: Record<string, KmsProtocolVersion> = { '4.0': 4, '5.0': 5, '6.0': 6 };

/** Reads, and writes nothing: what the kms backend needs to ask real hosts for each product. */
export function planKmsActivation(ctx: CommandContext, args: readonly string[], identity: KmsClientIdentity): KmsActivationPlan {
  const targets: KmsActivationPlan['targets'] = [];
  for (const product of activationTargets(ctx, args)) {
    if (configuredActivationType(product, ctx.machine) === TOKEN_ONLY) return { targets, tokenOnly: true };
    if (product.hostKeyType !== null || product.kmsCountedId === null) {
      const what = product.hostKeyType !== null ? 'a KMS host key: host keys' : `a ${product.channel ?? 'non-KMS'} key: such keys`;
      throw new OptionError(`${product.name} has ${what} activate with Microsoft, which the kms backend does not contact (use the lab, --backend sim); nothing was changed`);
    }
    const license = effectiveLicense(product, ctx.now);
    targets.push({
      activationId: product.skuId,
      name: product.name,
      target: {
        product: { applicationId: product.applicationId, skuId: product.skuId, kmsCountedId: product.kmsCountedId, requiredClientCount: product.minimumCount ?? 0 },
        protocolVersion: identity.protocolVersion ?? PROTOCOL_VERSIONS[findCatalogBySkuId(product.skuId)?.defaultKmsProtocol ?? '6.0'] ?? 6,
        fixedHost: fixedKmsHost(product, ctx.machine),
        cachedHost: cachedKmsHost(product, ctx.machine),
        lookupDomain: kmsLookupDomain(product, ctx.machine) ?? identity.fallbackDomain ?? null,
        clientMachineId: identity.clientMachineId ?? ctx.machine.cmid,
        workstationName: identity.workstationName,
        licenseStatus: license.status,
        bindingExpirationMinutes: license.endsAt === null ? 0 : license.graceRemainingMinutes,
      },
    });
  }
  return { targets, tokenOnly: false };
}

/** Writes what the hosts answered, for the products that activated; the first failure ends the run. */
export function recordKmsActivation(ctx: CommandContext, plan: KmsActivationPlan, outcomes: readonly KmsActivationOutcome[]): ActivationResult {
  const products: ProductActivation[] = [];
  for (const [index, outcome] of outcomes.entries()) {
    const planned = plan.targets[index] as KmsActivationPlan['targets'][number];
    const response = outcome.response;
    products.push({
      activationId: planned.activationId,
      name: planned.name,
      activated: outcome.ok,
      hresult: outcome.ok ? null : `0x${hex(outcome.hresult)}`,
      kmsHost: response && {
        name: response.host,
        port: response.port,
        ipAddress: response.ipAddress,
        extendedPid: response.extendedPid,
        currentCount: response.currentCount,
      },
      attempts: outcome.attempts,
    });
    if (!outcome.ok) return { kind: 'activation', tokenOnly: false, products, failure: failureOf(outcome.hresult) };
    // Another process may have removed the key while the host was asked: then there is nothing to record.
    if (!ctx.tx.getProduct(ctx.machine.id, planned.activationId)) throw new SoftFailure('MsgErrorProductNotFound');
    ctx.tx.updateProduct(ctx.machine.id, planned.activationId, {
      licenseStatus: LicenseStatus.Licensed,
      graceEndsAt: ctx.now + KMS_ACTIVATION_VALIDITY_MS,
      statusReason: null,
      activatedAt: ctx.now,
      kmsHostName: outcome.response.host,
      kmsHostPort: outcome.response.port,
      kmsHostIp: outcome.response.ipAddress,
      kmsHostEpid: outcome.response.extendedPid,
      vlActivationInterval: outcome.response.activationIntervalMinutes,
      vlRenewalInterval: outcome.response.renewalIntervalMinutes,
      // Renewal on the real network is Windows' job; the lab's clock never drives this product.
      kmsNextAttemptAt: null,
    });
  }
  return { kind: 'activation', tokenOnly: plan.tokenOnly, products, failure: null };
}
