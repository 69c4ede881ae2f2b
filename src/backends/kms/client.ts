// The KMS client: one connection to one host, bound the way Windows binds (NDR32, NDR64 and
// bind-time feature negotiation offered together, NDR32 added by alter_context when the host
// only took NDR64), then activation requests. Every input a test or an API user may want to fix
// (clock, randomness, CMID, workstation name, transport) is a parameter; the CLI passes the real ones.

import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { KMS_CONNECT_TIMEOUT_MS, KMS_EXCHANGE_TIMEOUT_MS } from '../../licensing/kms.js';
import { dateToFiletime, filetimeToDate } from '../../kms/bytes.js';
import { KmsProtocolError } from '../../kms/errors.js';
import { buildKmsRequest, parseKmsResponse, type KmsProtocolVersion } from '../../kms/messages.js';
import { buildAlterContext, buildBind, buildRequest, DEFAULT_MAX_FRAG, parseBindResponse, parseResponse, type TransferSyntax } from '../../kms/rpc.js';
import { tcpTransport, type KmsConnection, type KmsEndpoint, type KmsTransport } from './transport.js';

/** What identifies the product to the host (the catalog's IDs and the product's N-count policy). */
export interface KmsProductIdentity {
  applicationId: string;
  skuId: string;
  kmsCountedId: string;
  /** The N-count policy: 25 for Windows clients, 5 for servers and Office. */
  requiredClientCount: number;
}

export interface KmsConnectionOptions {
  transport?: KmsTransport;
  /** Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Connect plus bind, and then each request: none waits longer. Default 15000 ms. */
  timeoutMs?: number;
  /** Ctrl-C: aborts cleanly with an InterruptedError. */
  signal?: AbortSignal;
  /** Default 5840, the fragment size the client announces: an honest host never sends more. */
  maxPduSize?: number;
  /** `windows` (default) offers NDR32, NDR64 and BTFN; `ndr32` offers NDR32 alone. */
  bind?: 'windows' | 'ndr32';
  /** The concurrent-multiplexing flag on bind and alter_context (PFC_CONC_MPX). Default true. */
  multiplex?: boolean;
  /** Called once the TCP connection stands, before the bind: lets a probe time the two apart. */
  onConnected?: () => void;
}

export interface KmsRequestInput {
  product: KmsProductIdentity;
  clientMachineId: string;
  /** The FQDN Windows sends; at most 63 UTF-16 units are used. */
  workstationName: string;
  /** Default: the product's catalog version, else 6. */
  protocolVersion?: KmsProtocolVersion;
  /** Retry with the next lower version when the host says it only speaks older ones. Default true. */
  versionFallback?: boolean;
  /** The client's licence state (0–6, as in the request). Default 2, out-of-box grace. */
  licenseStatus?: number;
  /** Minutes left in the current state. Default 43200 (30 days). */
  bindingExpirationMinutes?: number;
  virtualMachine?: boolean;
  previousClientMachineId?: string;
  now?: () => Date;
  randomBytes?: (size: number) => Uint8Array;
}

export interface KmsActivationResponse {
  host: string;
  port: number;
  /** The address the TCP connection went to, when the transport knows it. */
  ipAddress: string | null;
  protocolVersion: KmsProtocolVersion;
  transferSyntax: 'NDR32' | 'NDR64';
  extendedPid: string;
  currentCount: number;
  activationIntervalMinutes: number;
  renewalIntervalMinutes: number;
  /** V6 only: the host's hardware ID, 16 hex digits in wire order. */
  hwid: string | null;
  requestTime: Date;
  clientMachineId: string;
  /** Odd but harmless things the host did (e.g. a V6 response IV equal to the request's). */
  warnings: string[];
}

/** The host's answer to a version it does not speak (vlmcsd, and per its notes genuine hosts). */
export const KMS_E_UNSUPPORTED_VERSION = 0x8007000d;

// vlmcs starts at 2 and hosts echo whatever the client sends; matching vlmcs keeps replays byte-exact.
const FIRST_CALL_ID = 2;
const WINDOWS_SYNTAXES: readonly TransferSyntax[] = ['NDR32', 'NDR64', 'BTFN'];

/** Combines the caller's signal with our overall timeout. */
function deadline(options: KmsConnectionOptions): AbortSignal {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? KMS_EXCHANGE_TIMEOUT_MS);
  return options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
}

/**
 * The protocol only bounds the ePID's length, but it is printed by /dlv and kept in the store: a
 * host that puts terminal control characters in it is refused, not echoed.
 */
export function assertPrintableEpid(epid: string): void {
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(epid)) {
    throw new KmsProtocolError('malformed', `the host's extended PID contains control characters (${JSON.stringify(epid)})`);
  }
}

export class KmsSession {
  private callId = FIRST_CALL_ID;

  private constructor(
    readonly endpoint: KmsEndpoint,
    private readonly connection: KmsConnection,
    private readonly contexts: { ndr32: number | null; ndr64: number | null },
    private readonly options: KmsConnectionOptions,
  ) {}

  /** Connects and binds. The returned session is bound; close it when done. */
  static async open(endpoint: KmsEndpoint, options: KmsConnectionOptions = {}): Promise<KmsSession> {
    const signal = deadline(options);
    const transport = options.transport ?? tcpTransport;
    const connection = await transport(endpoint, {
      connectTimeoutMs: options.connectTimeoutMs ?? KMS_CONNECT_TIMEOUT_MS,
      signal,
      maxPduSize: options.maxPduSize ?? DEFAULT_MAX_FRAG,
    });
    options.onConnected?.();
    try {
      const contexts = await bind(connection, options.bind === 'ndr32' ? ['NDR32'] : WINDOWS_SYNTAXES, options.multiplex ?? true, signal);
      return new KmsSession(endpoint, connection, contexts, options);
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  get remoteAddress(): string | null {
    return this.connection.remoteAddress;
  }

  /** One activation request in the input's protocol version (default 6). */
  request(input: KmsRequestInput): Promise<KmsActivationResponse> {
    return this.requestOnce(input, input.protocolVersion ?? 6);
  }

  private async requestOnce(input: KmsRequestInput, version: KmsProtocolVersion): Promise<KmsActivationResponse> {
    const now = input.now ?? (() => new Date());
    const random = input.randomBytes ?? cryptoRandomBytes;
    const requestTime = now();
    const kmsRequest = buildKmsRequest(
      {
        majorVersion: version,
        minorVersion: 0,
        vmInfo: input.virtualMachine ? 1 : 0,
        licenseStatus: input.licenseStatus ?? 2,
        bindingExpiration: input.bindingExpirationMinutes ?? 43_200,
        applicationId: input.product.applicationId,
        skuId: input.product.skuId,
        kmsCountedId: input.product.kmsCountedId,
        clientMachineId: input.clientMachineId,
        requiredClientCount: input.product.requiredClientCount,
        requestTime: dateToFiletime(requestTime),
        previousClientMachineId: input.previousClientMachineId ?? '00000000-0000-0000-0000-000000000000',
        workstationName: input.workstationName,
      },
      version === 4 ? undefined : random(16),
    );
    // Windows sends a connection's first request over NDR32 and the later ones over NDR64.
    const useNdr64 = this.contexts.ndr64 !== null && (this.contexts.ndr32 === null || this.callId > FIRST_CALL_ID);
    const syntax = useNdr64 ? 'NDR64' : 'NDR32';
    const contextId = (useNdr64 ? this.contexts.ndr64 : this.contexts.ndr32) as number;
    const callId = this.callId;
    this.callId += 1;
    const pdu = buildRequest({ callId, contextId, syntax, kmsMessage: kmsRequest.message });
    const answer = await this.connection.exchange(pdu, deadline(this.options));
    const { kmsMessage } = parseResponse(answer, { callId, contextId, syntax });
    const response = parseKmsResponse(kmsMessage, kmsRequest);
    assertPrintableEpid(response.epid);
    return {
      host: this.endpoint.host,
      port: this.endpoint.port,
      ipAddress: this.connection.remoteAddress,
      protocolVersion: version,
      transferSyntax: syntax,
      extendedPid: response.epid,
      currentCount: response.currentCount,
      activationIntervalMinutes: response.activationInterval,
      renewalIntervalMinutes: response.renewalInterval,
      hwid: response.hwid ?? null,
      requestTime: filetimeToDate(response.requestTime),
      clientMachineId: response.clientMachineId,
      warnings: response.warnings,
    };
  }

  close(): void {
    this.connection.close();
  }
}

async function bind(
  connection: KmsConnection,
  syntaxes: readonly TransferSyntax[],
  multiplex: boolean,
  signal: AbortSignal,
): Promise<{ ndr32: number | null; ndr64: number | null }> {
  const parameters = { callId: FIRST_CALL_ID, syntaxes: [...syntaxes], multiplex, maxFrag: DEFAULT_MAX_FRAG, assocGroupId: 0 };
  const ack = parseBindResponse(await connection.exchange(buildBind(parameters), signal), parameters);
  if (ack.ptype !== 'bind_ack') throw new KmsProtocolError('malformed', `the host answered the bind with ${ack.ptype}`);
  const accepted = (syntax: TransferSyntax) => ack.results.find((r) => r.syntax === syntax && r.accepted)?.contextId ?? null;
  let ndr32 = accepted('NDR32');
  const ndr64 = accepted('NDR64');
  if (ndr32 === null && ndr64 === null) {
    throw new KmsProtocolError('bind-rejected', 'the host accepted neither NDR32 nor NDR64');
  }
  if (ndr32 === null) {
    // A host that prefers NDR64 rejects NDR32 in the bind; Windows asks for it again on its own.
    const alter = { ...parameters, syntaxes: ['NDR32' as const], assocGroupId: 0 };
    const response = parseBindResponse(await connection.exchange(buildAlterContext(alter), signal), alter);
    if (response.ptype !== 'alter_context_resp') throw new KmsProtocolError('malformed', `the host answered alter_context with ${response.ptype}`);
    ndr32 = response.results.find((r) => r.syntax === 'NDR32' && r.accepted)?.contextId ?? null;
  }
  return { ndr32, ndr64 };
}

/**
 * Activates one product against one host over a fresh connection, then closes it. When the host
 * answers that it only speaks older versions, the client steps down one version at a time, on a
 * new connection each time (a host may hang up after an error).
 */
export async function requestKmsActivation(
  endpoint: KmsEndpoint,
  input: KmsRequestInput,
  options: KmsConnectionOptions = {},
): Promise<KmsActivationResponse> {
  let version: KmsProtocolVersion = input.protocolVersion ?? 6;
  for (;;) {
    const session = await KmsSession.open(endpoint, options);
    try {
      return await session.request({ ...input, protocolVersion: version });
    } catch (error) {
      const olderOnly = error instanceof KmsProtocolError && error.code === 'host-hresult' && error.hresult === KMS_E_UNSUPPORTED_VERSION;
      if (!olderOnly || input.versionFallback === false || version === 4) throw error;
      version = (version - 1) as KmsProtocolVersion;
    } finally {
      session.close();
    }
  }
}
