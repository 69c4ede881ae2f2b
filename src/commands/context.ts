// What every command gets: the open transaction, the machine it acts on and the clock. Commands
// never touch process, the console or the file system directly.

import type { StoreTx } from '../store/store.js';
import type { MachineRow, ProductRow } from '../store/types.js';
import { NotImplementedError, SoftFailure } from '../errors.js';

export interface CommandContext {
  readonly tx: StoreTx;
  readonly machine: MachineRow;
  /** The instant this command runs at, in ms: the --now clock or the real one, read once. */
  readonly now: number;
  readonly randomUUID: () => string;
}

/** Names that mean "this computer" to slmgr users. */
export function isLocalMachineName(name: string, hostname: string): boolean {
  const lower = name.toLowerCase();
  const host = hostname.toLowerCase();
  return ['.', 'localhost', '127.0.0.1', '::1', '[::1]', host].includes(lower) || lower.startsWith(`${host}.`);
}

export function resolveMachine(tx: StoreTx, name: string | undefined, hostname: string): MachineRow {
  if (name === undefined || isLocalMachineName(name, hostname)) return tx.localMachine();
  throw new NotImplementedError(
    'lab-machines',
    `MachineName "${name}" is not the local machine. Lab machines arrive with the simulated KMS world; until then only the local machine can be managed.`,
  );
}

export function normaliseGuid(value: string): string {
  return value.trim().replace(/^\{|\}$/g, '').toLowerCase();
}

/** A product addressed by Activation ID; slmgr's soft "Activation ID (…) not found." otherwise. */
export function productById(ctx: CommandContext, activationId: string): ProductRow {
  const product = ctx.tx.getProduct(ctx.machine.id, normaliseGuid(activationId));
  if (!product) throw new SoftFailure('MsgErrorActivationID', { ActID: activationId });
  return product;
}
