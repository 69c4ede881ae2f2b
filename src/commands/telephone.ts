// /dti and /atp: telephone (offline) activation. /dti shows the Installation ID of the default
// product (the keyed Windows licence) or of the one given; the lab's phone centre
// (`slmgr lab phone-activate <IID>`, src/commands/phone-centre.ts) answers it with a Confirmation
// ID, and /atp deposits that CID. The licensing service verifies the CID against the product's IID
// (src/licensing/confirmation-id.ts) and, when it matches, the product is activated — for good, as
// an activation by Microsoft is.
//
// Which products: every keyed product that Microsoft's activation service activates — KMS host
// keys (lab host keys included), MAK, retail and OEM keys. A phone activation uses one of the key's
// activations, exactly as /ato does (a host key: 6 hosts, 10 times each, 0xC004C008 beyond; a lab
// MAK: 10 machines, 0xC004C020; a retail or OEM key: one machine, 0xC004C008). A KMS client key (GVLK) is never activated by phone: the phone centre issues
// no CID for its IID, and /atp on it ends in 0xC004F031 whatever was typed.

import { activateHostKey } from '../backends/sim/activation.js';
import { activateOnline, activatesOnline } from '../backends/sim/online-activation.js';
import { HResultError, SoftFailure } from '../errors.js';
import { WINDOWS_APP_ID } from '../licensing/applications.js';
import { checkConfirmationId, checkFailure, labConfirmationId, SL_E_CIDIID_MISMATCHED } from '../licensing/confirmation-id.js';
import { effectiveLicense, LICENSE_STATUS_NAMES, LicenseStatus } from '../licensing/license-state.js';
import type { ProductRow } from '../store/types.js';
import { normaliseGuid, type CommandContext } from './context.js';

export interface InstallationIdResult {
  kind: 'installation-id';
  activationId: string;
  name: string;
  /** 63 digits, as slmgr prints them (no separators). */
  installationId: string;
}

export interface ConfirmationIdResult {
  kind: 'confirmation-id-deposited';
  activationId: string;
  name: string;
  /** The status after the deposit: 1 (Licensed) for every product the lab phone-activates. */
  licenseStatus: number;
  licenseStatusName: string;
}

export type TelephoneResult = InstallationIdResult | ConfirmationIdResult;

/**
 * The product /dti and /atp act on, as slmgr picks it: the keyed Windows licence, or the keyed
 * product with the Activation ID given (compared in lower case). None: `Error: product not found.`
 */
function offlineTarget(ctx: CommandContext, selector: string | undefined): ProductRow {
  const id = selector === undefined ? undefined : normaliseGuid(selector);
  const product = ctx.tx
    .listProducts(ctx.machine.id)
    .find((p) => p.partialKey !== null && (id === undefined ? p.applicationId === WINDOWS_APP_ID : p.skuId === id));
  if (!product) throw new SoftFailure('MsgErrorProductNotFound');
  return product;
}

/** A KMS client key: activated by a KMS host or AD, never by Microsoft's phone centre. */
export function isKmsClientProduct(product: ProductRow): boolean {
  return product.kmsCountedId !== null || product.channel === 'Volume:GVLK';
}

export function displayInstallationId(ctx: CommandContext, args: readonly string[]): InstallationIdResult {
  const product = offlineTarget(ctx, args[0]);
  return { kind: 'installation-id', activationId: product.skuId, name: product.name, installationId: product.installationId ?? '' };
}

export function depositConfirmationId(ctx: CommandContext, args: readonly string[]): ConfirmationIdResult {
  const [confirmationId, selector] = args as [string, string | undefined];
  const product = offlineTarget(ctx, selector);
  const check = checkConfirmationId(confirmationId);
  if (!check.ok) throw new HResultError(checkFailure(check));
  if (isKmsClientProduct(product) || check.digits !== labConfirmationId(product.installationId ?? '')) {
    throw new HResultError(SL_E_CIDIID_MISMATCHED);
  }
  // The activation service counts a phone activation as it counts an online one.
  const sim = { tx: ctx.tx, now: ctx.now, random: ctx.random };
  if (product.hostKeyType !== null || activatesOnline(product)) {
    const outcome = product.hostKeyType !== null ? activateHostKey(sim, ctx.machine, product) : activateOnline(sim, ctx.machine, product);
    if (!outcome.ok) throw new HResultError(outcome.hresult);
  } else if (effectiveLicense(product, ctx.now).status !== LicenseStatus.Licensed) {
    ctx.tx.updateProduct(ctx.machine.id, product.skuId, {
      licenseStatus: LicenseStatus.Licensed,
      graceEndsAt: null,
      statusReason: null,
      activatedAt: ctx.now,
      kmsNextAttemptAt: null,
    });
  }
  const status = effectiveLicense(ctx.tx.getProduct(ctx.machine.id, product.skuId) as ProductRow, ctx.now).status;
  return { kind: 'confirmation-id-deposited', activationId: product.skuId, name: product.name, licenseStatus: status, licenseStatusName: LICENSE_STATUS_NAMES[status] };
}
