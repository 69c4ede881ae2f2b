// The health check's probe in the lab: the same layers as on the network, read from the lab's
// state — the lab DNS zone, machine addresses, the firewall rule and listening port, the host
// keys — and a KMS request answered by the simulated host (so the probe's CMID counts once, as it
// would on a real host). Runs inside the command's store transaction.

import { elapsedMs, failedStep, type HostProbe, type ProbeRequest, type ProbeResult, type StepObservation } from '../../commands/check.js';
import { kmsSrvName, type SrvRecord } from '../../discovery/srv.js';
import { SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH, SL_E_VL_NOT_ENOUGH_COUNT } from '../../licensing/hresult-codes.js';
import { LicenseStatus } from '../../licensing/license-state.js';
import { ActivationBatch, askLabHost, type SimContext } from './activation.js';
import { isServingHost, srvRecords } from './lab.js';

/** The simulated host answers any protocol version; --protocol only shows in the report. */
export type LabProbeOptions = ProbeRequest;


function probeLabHost(sim: SimContext, batch: ActivationBatch, host: string, port: number, source: HostProbe['source'], record: SrvRecord | null, options: LabProbeOptions): HostProbe {
  const probe: HostProbe = { host, port, source, record, steps: [], answer: null };
  let start = process.hrtime.bigint();
  const machine = sim.tx.findMachineByAddress(host.replace(/^\[(.*)\]$/, '$1'));
  if (!machine) {
    probe.steps.push(failedStep('resolve', elapsedMs(start), { kind: 'name-not-found', message: 'no lab machine has this name or address' }, 'no such lab machine'));
    return probe;
  }
  probe.steps.push({ step: 'resolve', ok: true, latencyMs: elapsedMs(start), detail: machine.ipAddress ?? machine.name });

  start = process.hrtime.bigint();
  const hostProducts = sim.tx.listProducts(machine.id).filter((p) => p.partialKey !== null && isServingHost(p, sim.now));
  if (machine.kmsPortBlocked) {
    probe.steps.push(failedStep('tcp-connect', elapsedMs(start), { kind: 'port-filtered', message: 'the firewall rule "Key Management Service (TCP-In)" blocks it' }, 'blocked by the host firewall'));
    return probe;
  }
  if (hostProducts.length === 0) {
    const why = 'no activated KMS host key on this machine';
    probe.steps.push(failedStep('tcp-connect', elapsedMs(start), { kind: 'port-closed', message: why }, `refused: ${why}`));
    return probe;
  }
  if (machine.kmsListeningPort !== port) {
    const why = `the KMS service listens on ${machine.kmsListeningPort}`;
    probe.steps.push(failedStep('tcp-connect', elapsedMs(start), { kind: 'wrong-port', listeningPort: machine.kmsListeningPort, message: why }, `refused: ${why}`));
    return probe;
  }
  probe.steps.push({ step: 'tcp-connect', ok: true, latencyMs: elapsedMs(start), detail: `${machine.ipAddress ?? host}:${port}` });
  probe.steps.push({ step: 'rpc-bind', ok: true, latencyMs: 0, detail: 'bound' });

  start = process.hrtime.bigint();
  const { product } = options;
  const serving = hostProducts.find((p) => p.applicationId === product.applicationId);
  if (!serving) {
    // The service answers, but no host key of this application: the product is declined.
    probe.steps.push(failedStep('kms-request', elapsedMs(start), { kind: 'host-error', hresult: SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH, message: 'the host has no KMS host key for this application' }, '0xC004F042'));
    return probe;
  }
  const { hresult, host: answered } = askLabHost(sim, batch, { machine, product: serving }, port, {
    clientMachineId: options.clientMachineId,
    clientName: options.workstationName,
    licenseStatus: LicenseStatus.InitialGrace,
    minimumCount: product.threshold,
    applicationId: product.applicationId,
    kmsCountedId: product.kmsCountedId,
    skuId: product.skuId,
  });
  // A low count is the client's verdict, not the host's: the host answered, the count step judges.
  if (hresult !== 0 && hresult !== SL_E_VL_NOT_ENOUGH_COUNT) {
    probe.steps.push(failedStep('kms-request', elapsedMs(start), { kind: 'host-error', hresult, message: 'the host declined the product' }, `0x${hresult.toString(16).toUpperCase()}`));
    return probe;
  }
  probe.answer = {
    extendedPid: answered.extendedPid ?? '',
    currentCount: answered.currentCount,
    activationIntervalMinutes: machine.vlActivationInterval,
    renewalIntervalMinutes: machine.vlRenewalInterval,
    protocolVersion: options.protocolVersion ?? product.protocolVersion,
  };
  probe.steps.push(
    { step: 'kms-request', ok: true, latencyMs: elapsedMs(start), detail: `V${probe.answer.protocolVersion} (simulated host)` },
    { step: 'verify', ok: true, latencyMs: null, detail: `ePID ${probe.answer.extendedPid}` },
    { step: 'count', ok: true, latencyMs: null, detail: `${answered.currentCount}` },
  );
  return probe;
}

export function probeLab(sim: SimContext, options: LabProbeOptions): ProbeResult {
  const batch = new ActivationBatch(sim.tx, sim.now);
  if (options.target) {
    return { domain: null, domainSource: null, discovery: [], records: [], hosts: [probeLabHost(sim, batch, options.target.host, options.target.port, 'argument', null, options)] };
  }
  if (options.domain === null) {
    return { domain: null, domainSource: null, discovery: [{ step: 'dns-domain', ok: false, latencyMs: null, detail: 'none known', problem: { kind: 'no-domain' } }], records: [], hosts: [] };
  }
  const { name: domain, source } = options.domain;
  const discovery: StepObservation[] = [{ step: 'dns-domain', ok: true, latencyMs: null, detail: `${domain} (${source})` }];
  const start = process.hrtime.bigint();
  const records: SrvRecord[] = srvRecords(sim.tx, domain, sim.now).map(({ priority, weight, port, target }) => ({ priority, weight, port, target }));
  if (records.length === 0) {
    discovery.push(failedStep('srv-lookup', elapsedMs(start), { kind: 'no-srv-records' }, `no ${kmsSrvName(domain)} record in the lab zone`));
    return { domain, domainSource: source, discovery, records, hosts: [] };
  }
  discovery.push({ step: 'srv-lookup', ok: true, latencyMs: elapsedMs(start), detail: `${records.length} record${records.length === 1 ? '' : 's'}` });
  const ordered = [...records].sort((a, b) => a.priority - b.priority || b.weight - a.weight);
  const hosts = ordered.map((r) => probeLabHost(sim, batch, r.target, r.port, 'srv', r, options));
  return { domain, domainSource: source, discovery, records: ordered, hosts };
}
