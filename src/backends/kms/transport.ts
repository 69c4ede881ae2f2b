// TCP to a KMS host: connect with a timeout, send a PDU, read back exactly one PDU. The host is
// untrusted, so the reader never buffers more than one PDU's worth and gives up at the cap a
// fragment header may announce; every wait ends when the caller's signal fires.

import { connect as tcpConnect, type Socket } from 'node:net';
import { InterruptedError, NetworkError } from '../../errors.js';
import { KmsProtocolError } from '../../kms/errors.js';
import { pduLength } from '../../kms/rpc.js';

export interface KmsEndpoint {
  /** A DNS name, an IPv4 address or an IPv6 address (with or without brackets). */
  host: string;
  port: number;
}

export interface ConnectOptions {
  connectTimeoutMs: number;
  /** Ends the connection attempt: the overall timeout or Ctrl-C (see `abortReason`). */
  signal: AbortSignal;
  /** The largest PDU accepted from the host, in bytes. */
  maxPduSize: number;
}

export interface KmsConnection {
  /** The address actually connected to, e.g. "192.0.2.10" (what /dlv shows as the IP address). */
  readonly remoteAddress: string | null;
  /**
   * Sends one PDU and resolves with the next whole PDU the host sends. When `signal` fires first
   * the connection is torn down: a half-finished exchange leaves nothing reusable.
   */
  exchange(pdu: Uint8Array, signal: AbortSignal): Promise<Buffer>;
  close(): void;
}

/** How the client reaches a host; tests and API users may pass their own. */
export type KmsTransport = (endpoint: KmsEndpoint, options: ConnectOptions) => Promise<KmsConnection>;

export type KmsConnectionFailure = 'refused' | 'unreachable' | 'name-not-found' | 'connect-timeout' | 'timeout' | 'reset' | 'closed';

/** The host could not be reached or stopped talking: slmgr's 0xC004F074 once no host is left. */
export class KmsConnectionError extends NetworkError {
  readonly reason: KmsConnectionFailure;
  readonly endpoint: KmsEndpoint;
  constructor(reason: KmsConnectionFailure, endpoint: KmsEndpoint, message: string, options?: { cause?: unknown }) {
    super(`${formatEndpoint(endpoint)}: ${message}`, undefined, options);
    this.reason = reason;
    this.endpoint = endpoint;
  }
}

export function formatEndpoint({ host, port }: KmsEndpoint): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** What a fired signal means: our own overall timeout, or the user giving up. */
export function abortReason(signal: AbortSignal, endpoint: KmsEndpoint): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new KmsConnectionError('timeout', endpoint, 'no complete answer before the timeout');
  }
  return new InterruptedError();
}

const SOCKET_FAILURES: Readonly<Record<string, [KmsConnectionFailure, string]>> = {
  ECONNREFUSED: ['refused', 'connection refused (nothing listens on the port, or a firewall rejects it)'],
  ECONNRESET: ['reset', 'connection reset by the host'],
  EPIPE: ['reset', 'connection reset by the host'],
  EHOSTUNREACH: ['unreachable', 'host unreachable'],
  ENETUNREACH: ['unreachable', 'network unreachable'],
  EADDRNOTAVAIL: ['unreachable', 'address not available'],
  ENOTFOUND: ['name-not-found', 'the name does not resolve'],
  EAI_AGAIN: ['name-not-found', 'the name could not be resolved (temporary DNS failure)'],
  ETIMEDOUT: ['connect-timeout', 'the connection timed out'],
};

function socketFailure(error: NodeJS.ErrnoException, endpoint: KmsEndpoint): KmsConnectionError {
  const [reason, text] = SOCKET_FAILURES[error.code ?? ''] ?? ['unreachable', error.message];
  return new KmsConnectionError(reason, endpoint, text, { cause: error });
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

class TcpKmsConnection implements KmsConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private waiter: { resolve: (pdu: Buffer) => void; reject: (error: Error) => void } | null = null;
  private failure: Error | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly endpoint: KmsEndpoint,
    private readonly maxPduSize: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => this.fail(socketFailure(error, endpoint)));
    socket.on('close', () => {
      const partial = this.buffered.length > 0 ? ` after ${this.buffered.length} bytes of a PDU` : '';
      this.fail(partial
        ? new KmsProtocolError('truncated', `${formatEndpoint(endpoint)}: the host closed the connection${partial} (incomplete response)`)
        : new KmsConnectionError('closed', endpoint, 'the host closed the connection without answering'));
    });
  }

  get remoteAddress(): string | null {
    return this.socket.remoteAddress ?? null;
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    this.deliver();
  }

  /** Hands a whole PDU to the waiting exchange, or fails on a header no honest host sends. */
  private deliver(): void {
    if (this.waiter === null || this.failure !== null) return;
    let length: number | undefined;
    try {
      length = pduLength(this.buffered, this.maxPduSize);
    } catch (error) {
      this.fail(error as Error);
      this.socket.destroy();
      return;
    }
    if (length === undefined || this.buffered.length < length) return;
    const pdu = Buffer.from(this.buffered.subarray(0, length));
    this.buffered = this.buffered.subarray(length);
    const { resolve } = this.waiter;
    this.waiter = null;
    resolve(pdu);
  }

  private fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(error);
  }

  exchange(pdu: Uint8Array, signal: AbortSignal): Promise<Buffer> {
    if (signal.aborted) this.abort(signal);
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.waiter !== null) return Promise.reject(new Error('one exchange at a time on a KMS connection'));
    const onAbort = (): void => this.abort(signal);
    signal.addEventListener('abort', onAbort, { once: true });
    return new Promise<Buffer>((resolve, reject) => {
      this.waiter = {
        resolve: (answer) => { signal.removeEventListener('abort', onAbort); resolve(answer); },
        reject: (error) => { signal.removeEventListener('abort', onAbort); reject(error); },
      };
      this.socket.write(pdu);
      // A host may have sent unsolicited bytes already; they are part of (or are) the answer.
      this.deliver();
    });
  }

  private abort(signal: AbortSignal): void {
    this.fail(abortReason(signal, this.endpoint));
    this.socket.destroy();
  }

  close(): void {
    this.fail(new KmsConnectionError('closed', this.endpoint, 'connection closed'));
    this.socket.destroy();
  }
}

export const tcpTransport: KmsTransport = (endpoint, options) => {
  if (options.signal.aborted) return Promise.reject(abortReason(options.signal, endpoint));
  return new Promise<KmsConnection>((resolve, reject) => {
    const socket = tcpConnect({ host: unbracket(endpoint.host), port: endpoint.port });
    socket.setNoDelay(true);
    const settle = (error: Error | null): void => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off('connect', onConnect);
      if (error) {
        socket.destroy();
        reject(error);
      } else {
        resolve(new TcpKmsConnection(socket, endpoint, options.maxPduSize));
      }
    };
    const onConnect = (): void => settle(null);
    const onError = (error: NodeJS.ErrnoException): void => settle(socketFailure(error, endpoint));
    const onAbort = (): void => settle(abortReason(options.signal, endpoint));
    const timer = setTimeout(
      () => settle(new KmsConnectionError('connect-timeout', endpoint, `no TCP connection within ${options.connectTimeoutMs} ms (host down, or a firewall drops the port)`)),
      options.connectTimeoutMs,
    );
    socket.once('connect', onConnect);
    socket.once('error', onError);
    options.signal.addEventListener('abort', onAbort, { once: true });
  });
};
