// What every command gets: the open transaction, the machine it acts on and the clock. Commands
// never touch process, the console or the file system directly.

import type { StoreTx } from '../store/store.js';
import type { MachineRow, ProductRow } from '../store/types.js';
import { createLabMachine } from '../backends/sim/lab.js';
import { MachineUnreachableError, SoftFailure } from '../errors.js';
import { RPC_S_SERVER_UNAVAILABLE } from '../licensing/hresult-codes.js';

export interface CommandContext {
  readonly tx: StoreTx;
  readonly machine: MachineRow;
  /** The instant this command runs at, in ms: the --now clock or the real one, read once. */
  readonly now: number;
  readonly randomUUID: () => string;
  /** Uniform in [0, 1): RFC 2782's weighted choice among equal-priority KMS hosts. */
  readonly random: () => number;
  /**
   * Reads at most `limit` bytes of a file (a path relative to the working directory), for /ilc;
   * throws when it cannot be read. Absent where no file system is offered.
   */
  readonly readFile?: (path: string, limit: number) => Uint8Array;
}

/** Names that mean "this computer" to slmgr users (an empty name too: WMI connects locally for ""). */
export function isLocalMachineName(name: string, hostname: string): boolean {
  const lower = name.toLowerCase();
  const host = hostname.toLowerCase();
  return ['', '.', 'localhost', '127.0.0.1', '::1', '[::1]', host].includes(lower) || lower.startsWith(`${host}.`);
}

/**
 * The machine a command acts on. A lab machine is created by the first command that writes to it;
 * a command that only reads fails on an unknown name as slmgr fails on an unreachable computer.
 */
export function resolveMachine(tx: StoreTx, name: string | undefined, hostname: string, readOnly: boolean): MachineRow {
  if (name === undefined || isLocalMachineName(name, hostname)) return tx.localMachine();
  const existing = tx.findMachine(name) ?? tx.findMachineByAddress(name);
  if (existing) return existing;
  if (readOnly) throw new MachineUnreachableError(name, RPC_S_SERVER_UNAVAILABLE);
  // A fully qualified name says which domain the new machine joins, unless its short name is taken
  // by a machine elsewhere (kms01.corp.test while kms01 is in lab.test): then the full name is its name.
  const dot = /^[\d.]+$/.test(name) ? -1 : name.indexOf('.');
  if (dot > 0 && !tx.findMachine(name.slice(0, dot))) return createLabMachine(tx, name.slice(0, dot), name.slice(dot + 1).toLowerCase());
  return createLabMachine(tx, name);
}

export function normaliseGuid(value: string): string {
  return value.trim().replace(/^\{|\}$/g, '').toLowerCase();
}

/** A product addressed by Activation ID; slmgr's soft "Activation ID (…) not found." otherwise. */
export function productById(ctx: CommandContext, activationId: string): ProductRow {
  const product = ctx.tx.getProduct(ctx.machine.id, normaliseGuid(activationId));
  // slmgr lower-cases the ID before it compares, and echoes it that way.
  if (!product) throw new SoftFailure('MsgErrorActivationID', { ActID: activationId.toLowerCase() });
  return product;
}
