// The health check's probe against real hosts: each layer timed on its own, every host of a domain
// probed at once (a silent host costs one timeout, not one per host). It only observes; the
// judgement is src/commands/check.ts's.

import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { DnsLookupError, lookupSrv } from '../../discovery/dns.js';
import type { DnsServer } from '../../discovery/endpoint.js';
import { kmsSrvName, type SrvRecord } from '../../discovery/srv.js';
import { elapsedMs, failedStep, type HostProbe, type KmsAnswer, type Problem, type ProbeRequest, type ProbeResult, type StepObservation } from '../../commands/check.js';
import { InterruptedError } from '../../errors.js';
import { KmsProtocolError } from '../../kms/errors.js';
import { KmsSession, type KmsConnectionOptions } from './client.js';
import { KmsConnectionError, type KmsTransport } from './transport.js';

export interface KmsProbeOptions extends ProbeRequest {
  dnsServer?: DnsServer;
  timeoutMs: number;
  connectTimeoutMs: number;
  signal?: AbortSignal;
  transport?: KmsTransport;
  now?: () => Date;
  randomBytes?: (size: number) => Uint8Array;
}


/** Short words for what happened; the cause sentence around them comes from the judgement. */
const AFTER_CONNECT: Readonly<Record<KmsConnectionError['reason'], string>> = {
  refused: 'refused the request',
  reset: 'reset the connection',
  closed: 'closed the connection without answering',
  timeout: 'sent no complete answer before the timeout',
  'connect-timeout': 'sent no complete answer before the timeout',
  'name-not-found': 'could not be resolved',
  unreachable: 'became unreachable',
};

function connectionProblem(error: KmsConnectionError, connected: boolean, connectTimeoutMs: number): Problem {
  if (connected) return { kind: 'no-answer', message: AFTER_CONNECT[error.reason] };
  switch (error.reason) {
    case 'refused':
      return { kind: 'port-closed', message: 'connection refused' };
    case 'reset':
    case 'closed':
      return { kind: 'port-closed', message: 'connection reset' };
    case 'connect-timeout':
    case 'timeout':
      return { kind: 'port-filtered', message: `no answer within ${connectTimeoutMs} ms` };
    case 'name-not-found':
      return { kind: 'name-not-found', message: 'no A/AAAA record' };
    case 'unreachable':
      return { kind: 'unreachable', message: error.message.replace(/^\S+: /, '') };
  }
}

function protocolProblem(error: KmsProtocolError): Problem {
  if (error.code === 'host-hresult' && error.hresult !== undefined) return { kind: 'host-error', hresult: error.hresult, message: error.message };
  if (error.code === 'verification-failed') return { kind: 'verification', checks: error.failedChecks, message: error.message };
  if (error.code === 'truncated') return { kind: 'no-answer', message: 'closed the connection in the middle of an answer' };
  return { kind: 'protocol', message: `${error.code}: ${error.message}` };
}

/** Resolution, TCP, bind, request, verification and count for one host. */
async function probeHost(host: string, port: number, source: HostProbe['source'], record: SrvRecord | null, options: KmsProbeOptions): Promise<HostProbe> {
  const probe: HostProbe = { host, port, source, record, steps: [], answer: null };
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  let address = bare;
  if (isIP(bare) === 0) {
    const start = process.hrtime.bigint();
    try {
      const addresses = await lookup(bare, { all: true });
      address = (addresses[0] as { address: string }).address;
      probe.steps.push({ step: 'resolve', ok: true, latencyMs: elapsedMs(start), detail: addresses.map((a) => a.address).join(', ') });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      probe.steps.push(failedStep('resolve', elapsedMs(start), { kind: 'name-not-found', message: code === 'ENOTFOUND' ? 'no A/AAAA record' : code }));
      return probe;
    }
  } else {
    probe.steps.push({ step: 'resolve', ok: true, latencyMs: null, detail: `${bare} (an address)` });
  }

  let connectedAt: bigint | null = null;
  const start = process.hrtime.bigint();
  const connection: KmsConnectionOptions = {
    transport: options.transport,
    timeoutMs: options.timeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
    signal: options.signal,
    onConnected: () => {
      connectedAt = process.hrtime.bigint();
      probe.steps.push({ step: 'tcp-connect', ok: true, latencyMs: elapsedMs(start), detail: `${address}:${port}` });
    },
  };
  let session: KmsSession;
  try {
    session = await KmsSession.open({ host: address, port }, connection);
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    const step = connectedAt === null ? 'tcp-connect' : 'rpc-bind';
    const latency = elapsedMs(connectedAt ?? start);
    if (error instanceof KmsConnectionError) probe.steps.push(failedStep(step, latency, connectionProblem(error, connectedAt !== null, options.connectTimeoutMs)));
    else if (error instanceof KmsProtocolError) probe.steps.push(failedStep(step, latency, protocolProblem(error)));
    else throw error;
    return probe;
  }
  probe.steps.push({ step: 'rpc-bind', ok: true, latencyMs: elapsedMs(connectedAt ?? start), detail: 'bound' });

  const requestStart = process.hrtime.bigint();
  try {
    const response = await session.request({
      product: { applicationId: options.product.applicationId, skuId: options.product.skuId, kmsCountedId: options.product.kmsCountedId, requiredClientCount: options.product.threshold },
      clientMachineId: options.clientMachineId,
      workstationName: options.workstationName,
      protocolVersion: options.protocolVersion ?? options.product.protocolVersion,
      now: options.now,
      randomBytes: options.randomBytes,
    });
    const answer: KmsAnswer = {
      extendedPid: response.extendedPid,
      currentCount: response.currentCount,
      activationIntervalMinutes: response.activationIntervalMinutes,
      renewalIntervalMinutes: response.renewalIntervalMinutes,
      protocolVersion: response.protocolVersion,
    };
    probe.answer = answer;
    probe.steps.push(
      { step: 'kms-request', ok: true, latencyMs: elapsedMs(requestStart), detail: `V${response.protocolVersion} over ${response.transferSyntax}` },
      { step: 'verify', ok: true, latencyMs: null, detail: `ePID ${response.extendedPid}` },
      { step: 'count', ok: true, latencyMs: null, detail: `${response.currentCount}` },
    );
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    const latency = elapsedMs(requestStart);
    if (error instanceof KmsProtocolError && error.code === 'verification-failed') {
      probe.steps.push({ step: 'kms-request', ok: true, latencyMs: latency, detail: 'answered' }, failedStep('verify', null, protocolProblem(error)));
    } else if (error instanceof KmsProtocolError) {
      probe.steps.push(failedStep('kms-request', latency, protocolProblem(error)));
    } else if (error instanceof KmsConnectionError) {
      probe.steps.push(failedStep('kms-request', latency, connectionProblem(error, true, options.connectTimeoutMs)));
    } else {
      throw error;
    }
  } finally {
    session.close();
  }
  return probe;
}

export async function probeKmsHosts(options: KmsProbeOptions): Promise<ProbeResult> {
  if (options.target) {
    const host = await probeHost(options.target.host, options.target.port, 'argument', null, options);
    return { domain: null, domainSource: null, discovery: [], records: [], hosts: [host] };
  }
  if (options.domain === null) {
    return { domain: null, domainSource: null, discovery: [failedStep('dns-domain', null, { kind: 'no-domain' }, 'none known')], records: [], hosts: [] };
  }
  const { name: domain, source } = options.domain;
  const discovery: StepObservation[] = [{ step: 'dns-domain', ok: true, latencyMs: null, detail: `${domain} (${source})` }];
  const start = process.hrtime.bigint();
  let records: SrvRecord[];
  try {
    records = await lookupSrv(kmsSrvName(domain), { server: options.dnsServer, timeoutMs: options.timeoutMs, signal: options.signal });
  } catch (error) {
    if (!(error instanceof DnsLookupError)) throw error;
    const missing = error.reason === 'nxdomain' || error.reason === 'no-records';
    discovery.push(failedStep('srv-lookup', elapsedMs(start), missing ? { kind: 'no-srv-records' } : { kind: 'dns-failure', message: error.message }, error.message));
    return { domain, domainSource: source, discovery, records: [], hosts: [] };
  }
  discovery.push({ step: 'srv-lookup', ok: true, latencyMs: elapsedMs(start), detail: `${records.length} record${records.length === 1 ? '' : 's'}` });
  // Shown lowest priority first, heaviest first among equals: the order clients most likely use.
  const ordered = [...records].sort((a, b) => a.priority - b.priority || b.weight - a.weight);
  const hosts = await Promise.all(ordered.map((r) => probeHost(r.target.replace(/\.$/, ''), r.port, 'srv', r, options)));
  return { domain, domainSource: source, discovery, records: ordered, hosts };
}
