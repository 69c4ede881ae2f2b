// /rearm, /rearm-app and /rearm-sku: reset the grace timers and spend one rearm of the matching
// counter. A counter at zero is SPP's "maximum allowed number of re-arms" error.

import { HResultError, SoftFailure } from '../errors.js';
import { WINDOWS_APP_ID } from '../licensing/applications.js';
import { E_INVALIDARG, SL_REMAPPING_SP_PUB_TS_MAX_REARM_REACHED } from '../licensing/hresult-codes.js';
import { GRACE_PERIOD_MS, LicenseStatus } from '../licensing/license-state.js';
import type { ProductRow } from '../store/types.js';
import { normaliseGuid, type CommandContext } from './context.js';

export interface RearmResult {
  kind: 'rearm';
  scope: 'windows' | 'application' | 'sku';
  /** The Application ID or Activation ID that was rearmed; null for /rearm. */
  target: string | null;
  remainingRearmCount: number;
  /** Products whose grace period was reset. */
  activationIds: string[];
  /** slmgr asks for a restart after /rearm only. */
  restartRequired: boolean;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function restartGrace(ctx: CommandContext, products: readonly ProductRow[]): string[] {
  const keyed = products.filter((p) => p.partialKey !== null);
  for (const p of keyed) {
    ctx.tx.updateProduct(ctx.machine.id, p.skuId, {
      licenseStatus: LicenseStatus.InitialGrace,
      graceEndsAt: ctx.now + GRACE_PERIOD_MS,
      statusReason: null,
      activatedAt: null,
    });
  }
  return keyed.map((p) => p.skuId);
}

function requireRearmLeft(count: number): void {
  if (count <= 0) throw new HResultError(SL_REMAPPING_SP_PUB_TS_MAX_REARM_REACHED);
}

export function rearmWindows(ctx: CommandContext): RearmResult {
  const { machine } = ctx;
  requireRearmLeft(machine.remainingWindowsRearmCount);
  const remaining = machine.remainingWindowsRearmCount - 1;
  ctx.tx.updateMachine(machine.id, { remainingWindowsRearmCount: remaining });
  const windows = ctx.tx.listProducts(machine.id).filter((p) => p.applicationId === WINDOWS_APP_ID);
  return { kind: 'rearm', scope: 'windows', target: null, remainingRearmCount: remaining, activationIds: restartGrace(ctx, windows), restartRequired: true };
}

export function rearmApplication(ctx: CommandContext, args: readonly string[]): RearmResult {
  const applicationId = normaliseGuid(args[0] as string);
  if (!GUID.test(applicationId)) throw new HResultError(E_INVALIDARG);
  const products = ctx.tx.listProducts(ctx.machine.id).filter((p) => p.applicationId === applicationId);
  if (products.length === 0) throw new SoftFailure('MsgErrorProductNotFound');
  const left = Math.min(...products.map((p) => p.remainingAppRearmCount));
  requireRearmLeft(left);
  for (const p of products) ctx.tx.updateProduct(ctx.machine.id, p.skuId, { remainingAppRearmCount: p.remainingAppRearmCount - 1 });
  return { kind: 'rearm', scope: 'application', target: applicationId, remainingRearmCount: left - 1, activationIds: restartGrace(ctx, products), restartRequired: false };
}

export function rearmSku(ctx: CommandContext, args: readonly string[]): RearmResult {
  const activationId = normaliseGuid(args[0] as string);
  const product = ctx.tx.getProduct(ctx.machine.id, activationId);
  if (!product) throw new SoftFailure('MsgErrorProductNotFound');
  requireRearmLeft(product.remainingSkuRearmCount);
  const remaining = product.remainingSkuRearmCount - 1;
  ctx.tx.updateProduct(ctx.machine.id, activationId, { remainingSkuRearmCount: remaining });
  return { kind: 'rearm', scope: 'sku', target: activationId, remainingRearmCount: remaining, activationIds: restartGrace(ctx, [product]), restartRequired: false };
}
