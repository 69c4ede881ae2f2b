// KMS host settings: /sprt, /sai, /sri, /sdns, /cdns, /spri, /cpri. slmgr checks only that the
// machine has a KMS host key installed (not that it is activated, despite its warning text), and
// otherwise prints the warning and changes nothing.

import { HResultError, SoftFailure } from '../errors.js';
import { E_INVALIDARG } from '../licensing/hresult-codes.js';
import type { MessageId } from '../render/messages.js';
import type { MachineRow } from '../store/types.js';
import type { CommandContext } from './context.js';
import { parsePort } from './kms-client.js';

export const MIN_INTERVAL_MINUTES = 15;
export const MAX_INTERVAL_MINUTES = 43200;

export interface KmsHostSettingResult {
  kind: 'kms-host-setting';
  setting: 'listening-port' | 'activation-interval' | 'renewal-interval' | 'dns-publishing' | 'low-priority';
  value: number | boolean;
  /** The argument as given, which slmgr echoes. */
  text: string | null;
}

function requireHost(ctx: CommandContext, warning: MessageId): void {
  const isHost = ctx.tx.listProducts(ctx.machine.id).some((p) => p.partialKey !== null && p.hostKeyType !== null);
  if (!isHost) throw new SoftFailure(warning);
}

/**
 * slmgr itself rejects a negative interval, before it even looks for a KMS host key; the
 * licensing service then rejects the rest of what is out of range.
 */
function parseInterval(ctx: CommandContext, text: string, warning: MessageId): number {
  if (/^-\d+$/.test(text) && Number(text) < 0) throw new SoftFailure('MsgInvalidDataError');
  requireHost(ctx, warning);
  if (!/^[+-]?\d+$/.test(text)) throw new HResultError(E_INVALIDARG);
  const minutes = Number(text);
  if (minutes < MIN_INTERVAL_MINUTES || minutes > MAX_INTERVAL_MINUTES) throw new HResultError(E_INVALIDARG);
  return minutes;
}

function apply(ctx: CommandContext, patch: Partial<MachineRow>, result: Omit<KmsHostSettingResult, 'kind'>): KmsHostSettingResult {
  ctx.tx.updateMachine(ctx.machine.id, patch);
  return { kind: 'kms-host-setting', ...result };
}

export function setListeningPort(ctx: CommandContext, args: readonly string[]): KmsHostSettingResult {
  const text = args[0] as string;
  requireHost(ctx, 'MsgWarningKmsPort');
  const port = parsePort(text);
  return apply(ctx, { kmsListeningPort: port }, { setting: 'listening-port', value: port, text });
}

export function setActivationInterval(ctx: CommandContext, args: readonly string[]): KmsHostSettingResult {
  const text = args[0] as string;
  const minutes = parseInterval(ctx, text, 'MsgWarningActivation');
  return apply(ctx, { vlActivationInterval: minutes }, { setting: 'activation-interval', value: minutes, text });
}

export function setRenewalInterval(ctx: CommandContext, args: readonly string[]): KmsHostSettingResult {
  const text = args[0] as string;
  const minutes = parseInterval(ctx, text, 'MsgWarningRenewal');
  return apply(ctx, { vlRenewalInterval: minutes }, { setting: 'renewal-interval', value: minutes, text });
}

function setDnsPublishing(ctx: CommandContext, enabled: boolean): KmsHostSettingResult {
  requireHost(ctx, 'MsgKmsDnsPublishingWarning');
  return apply(ctx, { kmsDnsPublishing: enabled }, { setting: 'dns-publishing', value: enabled, text: null });
}

export function enableDnsPublishing(ctx: CommandContext): KmsHostSettingResult {
  return setDnsPublishing(ctx, true);
}

export function disableDnsPublishing(ctx: CommandContext): KmsHostSettingResult {
  return setDnsPublishing(ctx, false);
}

function setPriority(ctx: CommandContext, low: boolean): KmsHostSettingResult {
  requireHost(ctx, 'MsgWarningKmsPri');
  return apply(ctx, { kmsLowPriority: low }, { setting: 'low-priority', value: low, text: null });
}

export function setNormalPriority(ctx: CommandContext): KmsHostSettingResult {
  return setPriority(ctx, false);
}

export function setLowPriority(ctx: CommandContext): KmsHostSettingResult {
  return setPriority(ctx, true);
}
