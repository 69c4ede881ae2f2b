// The error kinds every layer may throw. Only src/cli turns them into exit codes and output;
// everything below it throws and returns data.

/** A bad command line for an extension command (slmgr's own usage errors are parsed, not thrown). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The message is slmgr's own line (stdout, exit 1), not our diagnostic. */
  readonly slmgrText: boolean;
  constructor(message: string, options: { slmgrText?: boolean } = {}) {
    super(message);
    this.slmgrText = options.slmgrText ?? false;
  }
}

/** An HRESULT from the (simulated) Software Licensing Service: slmgr's `Error: 0x… text` line. */
export class HResultError extends Error {
  override readonly name = 'HResultError';
  /** Unsigned 32-bit value, e.g. 0xC004F050. */
  readonly hresult: number;
  /**
   * The text slmgr prints after the code when it is not an SPP HRESULT but a COM error with its
   * own description (e.g. ADODB.Stream's "File could not be opened."); absent for SPP codes.
   */
  readonly slmgrText?: string;
  /** Why, for a person: printed on stderr after slmgr's line, never part of it. */
  readonly diagnostic?: string;
  constructor(hresult: number, detail?: string, options: { slmgrText?: string; diagnostic?: string } = {}) {
    super(detail ?? `HRESULT 0x${(hresult >>> 0).toString(16).toUpperCase().padStart(8, '0')}`);
    this.hresult = hresult >>> 0;
    if (options.slmgrText !== undefined) this.slmgrText = options.slmgrText;
    if (options.diagnostic !== undefined) this.diagnostic = options.diagnostic;
  }
}

/** The state store cannot be opened, read or written. Never recreated silently. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly path: string;
  readonly reason: 'unreadable' | 'corrupt' | 'newer-schema' | 'not-a-file' | 'busy' | 'unwritable' | 'invalid-path';
  constructor(reason: StoreError['reason'], path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
    this.path = path;
  }
}

/** Talking to a KMS host or a DNS server failed below the licensing layer. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  /** The HRESULT slmgr would surface for it (0xC004F074 when no host could be contacted). */
  readonly hresult: number;
  constructor(message: string, hresult = 0xc004f074, options?: { cause?: unknown }) {
    super(message, options);
    this.hresult = hresult >>> 0;
  }
}


/** A global option (--store, --now, …) or environment value is not acceptable. */
export class OptionError extends Error {
  override readonly name = 'OptionError';
}

/**
 * One of slmgr's "soft" errors (`Error: product not found.` and friends): slmgr prints the line and
 * exits 0; we print the same line and, in the default exit-code mode, exit with a distinct code.
 */
export class SoftFailure extends Error {
  override readonly name = 'SoftFailure';
  readonly messageId: import('./render/messages.js').MessageId;
  readonly params: Readonly<Record<string, string | number>>;
  constructor(messageId: SoftFailure['messageId'], params: SoftFailure['params'] = {}) {
    super(messageId);
    this.messageId = messageId;
    this.params = params;
  }
}

/** A named machine slmgr cannot connect to: `Error 0x800706BA occurred in connecting to server …`. */
export class MachineUnreachableError extends Error {
  override readonly name = 'MachineUnreachableError';
  readonly machine: string;
  readonly hresult: number;
  constructor(machine: string, hresult: number) {
    super(`cannot connect to ${machine}`);
    this.machine = machine;
    this.hresult = hresult >>> 0;
  }
}

/** The user pressed Ctrl-C (or the caller's AbortSignal fired) while the command waited on the network. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
  constructor(message = 'interrupted; nothing was changed') {
    super(message);
  }
}
