// KMS client settings: /skms, /ckms, /skms-domain, /ckms-domain, /skhc, /ckhc, /act-type.
// Without an Activation ID a setting goes to the licensing service (the machine); with one, to
// that product, exactly where slmgr puts it.

import { HResultError, SoftFailure } from '../errors.js';
import { E_INVALIDARG } from '../licensing/hresult-codes.js';
import type { Notice } from '../render/messages.js';
import type { MachineRow, ProductRow } from '../store/types.js';
import { productById, type CommandContext } from './context.js';

export interface KmsSettingResult {
  kind: 'kms-client-setting';
  /** Which slmgr confirmation this is. */
  setting: 'kms-machine-set' | 'kms-machine-cleared' | 'lookup-domain-set' | 'lookup-domain-cleared';
  /** The product the setting was applied to; null for the machine-wide setting. */
  activationId: string | null;
  kmsMachine: string | null;
  kmsPort: number | null;
  lookupDomain: string | null;
  /** The argument exactly as given, which slmgr echoes. */
  value: string | null;
  warnings: Notice[];
}

export interface HostCachingResult {
  kind: 'kms-host-caching';
  enabled: boolean;
}

export interface ActivationTypeResult {
  kind: 'activation-type';
  activationType: number;
  /** The product it was set on; null for the licensing service (every product without its own). */
  activationId: string | null;
}

type KmsTarget = Pick<ProductRow, 'kmsMachine' | 'kmsPort' | 'kmsLookupDomain'>;

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;
const BRACKETED_IPV6 = /^\[[0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?\]$/;

function invalid(): HResultError {
  return new HResultError(E_INVALIDARG);
}

export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw invalid();
  const port = Number(text);
  if (port < 1 || port > 65535) throw invalid();
  return port;
}

/**
 * slmgr's reading of `<Name[:Port] | :port>`: a value starting with `[` up to `]` is an IPv6 address
 * kept with its brackets; otherwise the first colon splits name and port. An empty name keeps the
 * current name; an empty port returns to the default.
 */
export function parseKmsMachineValue(value: string): { name: string | null; port: number | null } {
  let name: string;
  let portText: string;
  const close = value.indexOf(']');
  if (value.startsWith('[') && close > 0) {
    name = value.slice(0, close + 1);
    const rest = value.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) throw invalid();
    portText = rest.slice(1);
    if (!BRACKETED_IPV6.test(name)) throw invalid();
  } else {
    const colon = value.indexOf(':');
    name = colon < 0 ? value : value.slice(0, colon);
    portText = colon < 0 ? '' : value.slice(colon + 1);
    if (name !== '' && !HOSTNAME.test(name)) throw invalid();
  }
  if (name === '' && portText === '') throw invalid();
  return { name: name === '' ? null : name, port: portText === '' ? null : parsePort(portText) };
}

function validateDomain(fqdn: string): string {
  if (!HOSTNAME.test(fqdn)) throw invalid();
  return fqdn;
}

function machineLabel(target: KmsTarget): string {
  // slmgr prints the raw WMI port here, which is 0 when none was set.
  return `${target.kmsMachine}:${target.kmsPort ?? 0}`;
}

/** Applies a patch to the machine or to one product and returns the settings now in force there. */
function applyToTarget(ctx: CommandContext, activationId: string | undefined, patch: Partial<KmsTarget>): { target: KmsTarget; product: ProductRow | null } {
  if (activationId === undefined) {
    ctx.tx.updateMachine(ctx.machine.id, patch);
    const machine = ctx.tx.getMachine(ctx.machine.id) as MachineRow;
    return { target: machine, product: null };
  }
  const product = productById(ctx, activationId);
  ctx.tx.updateProduct(ctx.machine.id, product.skuId, patch);
  return { target: ctx.tx.getProduct(ctx.machine.id, product.skuId) as ProductRow, product };
}

function settingResult(
  setting: KmsSettingResult['setting'],
  applied: { target: KmsTarget; product: ProductRow | null },
  value: string | null,
  warnings: Notice[],
): KmsSettingResult {
  return {
    kind: 'kms-client-setting',
    setting,
    activationId: applied.product?.skuId ?? null,
    kmsMachine: applied.target.kmsMachine,
    kmsPort: applied.target.kmsPort,
    lookupDomain: applied.target.kmsLookupDomain,
    value,
    warnings,
  };
}

export function setKmsMachine(ctx: CommandContext, args: readonly string[]): KmsSettingResult {
  const [value, activationId] = args as [string, string | undefined];
  const { name, port } = parseKmsMachineValue(value);
  const patch: Partial<KmsTarget> = { kmsPort: port };
  if (name !== null) patch.kmsMachine = name;
  const applied = applyToTarget(ctx, activationId, patch);
  const warnings: Notice[] = applied.target.kmsLookupDomain === null ? [] : [{ id: 'MsgKmsUseMachineNameOverrides', params: { KMS: value } }];
  return settingResult('kms-machine-set', applied, value, warnings);
}

export function clearKmsMachine(ctx: CommandContext, args: readonly string[]): KmsSettingResult {
  const applied = applyToTarget(ctx, args[0], { kmsMachine: null, kmsPort: null });
  const domain = applied.target.kmsLookupDomain;
  const warnings: Notice[] = domain === null ? [] : [{ id: 'MsgKmsUseLookupDomain', params: { FQDN: domain } }];
  return settingResult('kms-machine-cleared', applied, null, warnings);
}

export function setKmsLookupDomain(ctx: CommandContext, args: readonly string[]): KmsSettingResult {
  const [fqdn, activationId] = args as [string, string | undefined];
  const applied = applyToTarget(ctx, activationId, { kmsLookupDomain: validateDomain(fqdn) });
  const warnings: Notice[] = applied.target.kmsMachine === null ? [] : [{ id: 'MsgKmsUseMachineNameOverrides', params: { KMS: machineLabel(applied.target) } }];
  return settingResult('lookup-domain-set', applied, fqdn, warnings);
}

export function clearKmsLookupDomain(ctx: CommandContext, args: readonly string[]): KmsSettingResult {
  const applied = applyToTarget(ctx, args[0], { kmsLookupDomain: null });
  const warnings: Notice[] = applied.target.kmsMachine === null ? [] : [{ id: 'MsgKmsUseMachineName', params: { KMS: machineLabel(applied.target) } }];
  return settingResult('lookup-domain-cleared', applied, null, warnings);
}

function setHostCaching(ctx: CommandContext, enabled: boolean): HostCachingResult {
  ctx.tx.updateMachine(ctx.machine.id, { kmsHostCaching: enabled });
  return { kind: 'kms-host-caching', enabled };
}

export function enableKmsHostCaching(ctx: CommandContext): HostCachingResult {
  return setHostCaching(ctx, true);
}

export function disableKmsHostCaching(ctx: CommandContext): HostCachingResult {
  return setHostCaching(ctx, false);
}

export function setActivationType(ctx: CommandContext, args: readonly string[]): ActivationTypeResult {
  const [typeText, activationId] = args;
  if (typeText !== undefined && !/^[+-]?\d+$/.test(typeText)) throw invalid();
  const activationType = typeText === undefined ? 0 : Number(typeText);
  if (activationType < 0 || activationType > 3) throw new SoftFailure('MsgInvalidDataError');
  if (activationId === undefined) {
    ctx.tx.updateMachine(ctx.machine.id, { activationTypeEnabled: activationType });
    return { kind: 'activation-type', activationType, activationId: null };
  }
  const product = productById(ctx, activationId);
  ctx.tx.updateProduct(ctx.machine.id, product.skuId, { activationTypeEnabled: activationType });
  return { kind: 'activation-type', activationType, activationId: product.skuId };
}
