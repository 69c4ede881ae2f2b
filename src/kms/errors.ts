// The one error type the KMS wire layer throws. The codec is fed bytes from the network, so every
// failure it can detect must surface as this type (never a RangeError from a Buffer read); the
// transport and the backend decide what an administrator sees.

export type KmsProtocolErrorCode =
  /** The bytes end before the structure they announce does (closed mid-PDU, short stub). */
  | 'truncated'
  /** A field holds a value the protocol does not allow (wrong ptype, drep, sizes that disagree). */
  | 'malformed'
  /** The host answered with an RPC fault PDU; `status` holds the fault status. */
  | 'rpc-fault'
  /** The host rejected every transfer syntax we offered, or answered the bind with bind_nak. */
  | 'bind-rejected'
  /** The host answered the KMS call with a failure HRESULT; `hresult` holds it. */
  | 'host-hresult'
  /** The response decoded, but a client-side check failed (MAC, hash, HMAC, echoes, padding). */
  | 'verification-failed'
  /** A PDU announces more bytes than the client accepts. */
  | 'pdu-too-large';

export class KmsProtocolError extends Error {
  override readonly name = 'KmsProtocolError';
  readonly code: KmsProtocolErrorCode;
  /** For `host-hresult`: the unsigned HRESULT the host returned. */
  readonly hresult: number | undefined;
  /** For `rpc-fault`: the unsigned fault status. */
  readonly status: number | undefined;
  /** For `verification-failed`: the names of the failed checks, e.g. `hmacOk`. */
  readonly failedChecks: readonly string[];

  constructor(
    code: KmsProtocolErrorCode,
    message: string,
    details: { hresult?: number; status?: number; failedChecks?: readonly string[]; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.hresult = details.hresult === undefined ? undefined : details.hresult >>> 0;
    this.status = details.status === undefined ? undefined : details.status >>> 0;
    this.failedChecks = details.failedChecks ?? [];
  }
}
