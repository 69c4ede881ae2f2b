// /ato against real KMS hosts: find the candidates (/skms, else DNS SRV with host caching), ask
// each in turn until one answers, and turn the answer into what slmgr reports. A host that
// answers decides (its HRESULT is final); one that cannot be reached or answers garbage is
// skipped, and when none is left the result is slmgr's 0xC004F074.

import { InterruptedError } from '../../errors.js';
import { discoveredKmsHosts, type KmsHostCandidate } from '../../discovery/candidates.js';
import { DnsLookupError, lookupSrv } from '../../discovery/dns.js';
import { kmsSrvName } from '../../discovery/srv.js';
import { KmsProtocolError } from '../../kms/errors.js';
import type { KmsProtocolVersion } from '../../kms/messages.js';
import { SL_E_VL_BINDING_SERVICE_UNAVAILABLE, SL_E_VL_NOT_ENOUGH_COUNT } from '../../licensing/hresult-codes.js';
import { requestKmsActivation, type KmsActivationResponse, type KmsConnectionOptions, type KmsProductIdentity } from './client.js';
import { formatEndpoint, KmsConnectionError, type KmsTransport } from './transport.js';

/** One product of the local machine, as the store describes it before the network is touched. */
export interface KmsActivationTarget {
  product: KmsProductIdentity;
  protocolVersion: KmsProtocolVersion;
  /** The /skms host: the only one tried when set. */
  fixedHost: KmsHostCandidate | null;
  cachedHost: KmsHostCandidate | null;
  lookupDomain: string | null;
  clientMachineId: string;
  workstationName: string;
  licenseStatus: number;
  bindingExpirationMinutes: number;
}

export interface KmsNetworkOptions {
  connectTimeoutMs?: number;
  timeoutMs?: number;
  /** Query this DNS server instead of the system resolver. */
  dnsServer?: { host: string; port: number };
  /** Overrides every product's catalog version. */
  protocolVersion?: KmsProtocolVersion;
  signal?: AbortSignal;
  transport?: KmsTransport;
  now?: () => Date;
  randomBytes?: (size: number) => Uint8Array;
  /** Uniform in [0, 1): the weighted choice among equal-priority SRV records. */
  random?: () => number;
  /** Progress for a spinner: "Looking up …", "Contacting …". */
  onProgress?: (text: string) => void;
}

export interface KmsAttempt {
  host: string;
  port: number;
  source: KmsHostCandidate['source'];
  /** Why this host did not activate the product; null for the host that answered. */
  error: string | null;
}

export type KmsActivationOutcome =
  | { ok: true; response: KmsActivationResponse; attempts: KmsAttempt[] }
  | { ok: false; hresult: number; response: KmsActivationResponse | null; attempts: KmsAttempt[]; lookupError: string | null };

async function candidates(target: KmsActivationTarget, options: KmsNetworkOptions): Promise<{ hosts: KmsHostCandidate[]; lookupError: string | null }> {
  if (target.fixedHost) return { hosts: [target.fixedHost], lookupError: null };
  if (target.lookupDomain === null) {
    const hosts = target.cachedHost ? [target.cachedHost] : [];
    return { hosts, lookupError: 'no KMS host is set (/skms) and no DNS domain is known to look one up in (/skms-domain or --domain)' };
  }
  const name = kmsSrvName(target.lookupDomain);
  options.onProgress?.(`Looking up ${name}`);
  try {
    const records = await lookupSrv(name, { server: options.dnsServer, timeoutMs: options.timeoutMs, signal: options.signal });
    return { hosts: discoveredKmsHosts(target.cachedHost, records, options.random ?? Math.random), lookupError: null };
  } catch (error) {
    if (!(error instanceof DnsLookupError)) throw error;
    // The cached host is still worth a try when DNS fails, as Windows does.
    return { hosts: target.cachedHost ? [target.cachedHost] : [], lookupError: `${name}: ${error.message}` };
  }
}

function describeFailure(error: unknown): string | null {
  if (error instanceof KmsConnectionError) return error.message;
  if (error instanceof KmsProtocolError) return `${error.code}: ${error.message}`;
  return null;
}

export async function activateOverNetwork(target: KmsActivationTarget, options: KmsNetworkOptions = {}): Promise<KmsActivationOutcome> {
  const { hosts, lookupError } = await candidates(target, options);
  const attempts: KmsAttempt[] = [];
  const connection: KmsConnectionOptions = {
    transport: options.transport,
    connectTimeoutMs: options.connectTimeoutMs,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  };
  for (const host of hosts) {
    const endpoint = { host: host.name, port: host.port };
    options.onProgress?.(`Contacting KMS host ${formatEndpoint(endpoint)}`);
    try {
      const response = await requestKmsActivation(endpoint, {
        product: target.product,
        clientMachineId: target.clientMachineId,
        workstationName: target.workstationName,
        protocolVersion: options.protocolVersion ?? target.protocolVersion,
        licenseStatus: target.licenseStatus,
        bindingExpirationMinutes: target.bindingExpirationMinutes,
        now: options.now,
        randomBytes: options.randomBytes,
      }, connection);
      attempts.push({ host: host.name, port: host.port, source: host.source, error: null });
      // The host only reports its count; the client itself refuses to activate below its N-policy.
      if (response.currentCount < target.product.requiredClientCount) {
        return { ok: false, hresult: SL_E_VL_NOT_ENOUGH_COUNT, response, attempts, lookupError };
      }
      return { ok: true, response, attempts };
    } catch (error) {
      if (error instanceof InterruptedError) throw error;
      if (error instanceof KmsProtocolError && error.code === 'host-hresult' && error.hresult !== undefined) {
        attempts.push({ host: host.name, port: host.port, source: host.source, error: error.message });
        return { ok: false, hresult: error.hresult, response: null, attempts, lookupError };
      }
      const reason = describeFailure(error);
      if (reason === null) throw error;
      attempts.push({ host: host.name, port: host.port, source: host.source, error: reason });
    }
  }
  return { ok: false, hresult: SL_E_VL_BINDING_SERVICE_UNAVAILABLE, response: null, attempts, lookupError };
}
