// `slmgr check`: the KMS health check. A probe (real network in src/backends/kms/probe.ts, the lab
// in src/backends/sim/probe.ts) records what it saw at each layer — DNS domain, SRV lookup, name
// resolution, TCP, RPC bind, KMS request, verification, count — and this module judges it: a
// verdict per step, per host and overall, and for every failing step the likely cause and the fix.
// The same judgement serves both worlds, so a lab check and a real one read alike.

import { UsageError } from '../errors.js';
import { catalogRows, findCatalogByKey, findCatalogBySkuId, type CatalogRow } from '../licensing/catalog.js';
import type { SrvRecord } from '../discovery/srv.js';
import { kmsSrvName } from '../discovery/srv.js';
import { SL_E_VL_BINDING_SERVICE_UNAVAILABLE, SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH, SL_E_VL_NOT_ENOUGH_COUNT } from '../licensing/hresult-codes.js';
import { OFFICE2010_APP_ID, OFFICE_APP_ID, WINDOWS_APP_ID } from '../licensing/applications.js';
import { DEFAULT_KMS_PORT } from '../licensing/kms.js';

export type CheckStepName = 'dns-domain' | 'srv-lookup' | 'resolve' | 'tcp-connect' | 'rpc-bind' | 'kms-request' | 'verify' | 'count';
export type Verdict = 'ok' | 'warning' | 'critical' | 'skipped';

/** Why a step failed, in terms a cause and a fix can be given for. */
export type Problem =
  | { kind: 'no-domain' }
  | { kind: 'no-srv-records' }
  | { kind: 'dns-failure'; message: string }
  | { kind: 'name-not-found'; message: string }
  /** Connection refused: nothing listens, or a firewall rejects. */
  | { kind: 'port-closed'; message: string }
  /** The KMS service listens, on another port than the one asked (lab only: the network cannot tell). */
  | { kind: 'wrong-port'; listeningPort: number; message: string }
  /** No TCP answer at all: a firewall drops the port, or the host is down. */
  | { kind: 'port-filtered'; message: string }
  | { kind: 'unreachable'; message: string }
  /** Connected, then silence or a hang-up. */
  | { kind: 'no-answer'; message: string }
  /** An answer that is not KMS: garbage, a fault, a rejected bind, a truncated PDU. */
  | { kind: 'protocol'; message: string }
  | { kind: 'host-error'; hresult: number; message: string }
  | { kind: 'verification'; checks: readonly string[]; message: string };

/** What a probe is asked, in either world: where to look, for which product, as which client. */
export interface ProbeRequest {
  /** A host named on the command line (or set with /skms); otherwise the domain's SRV records. */
  target: { host: string; port: number } | null;
  domain: { name: string; source: string } | null;
  product: CheckProduct;
  clientMachineId: string;
  workstationName: string;
  /** --protocol: the version to send instead of the product's own. */
  protocolVersion?: 4 | 5 | 6;
}

/** Milliseconds since a process.hrtime.bigint() reading: how probes time their steps. */
export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** A step that failed; `detail` defaults to the problem's own message. */
export function failedStep(step: CheckStepName, latencyMs: number | null, problem: Problem, detail?: string): StepObservation {
  return { step, ok: false, latencyMs, detail: detail ?? ('message' in problem ? problem.message : problem.kind), problem };
}

/** What a probe observed at one step, before any judgement. */
export interface StepObservation {
  step: CheckStepName;
  ok: boolean;
  /** Wall time of the step; null when it was not timed (nothing went over the network). */
  latencyMs: number | null;
  /** What was found: "10.0.0.2", "2 records", "NDR32", "V6", an ePID … */
  detail: string;
  problem?: Problem;
}

export interface KmsAnswer {
  extendedPid: string;
  currentCount: number;
  activationIntervalMinutes: number;
  renewalIntervalMinutes: number;
  protocolVersion: number;
}

export interface HostProbe {
  host: string;
  port: number;
  /** Named on the command line, or found in the SRV records. */
  source: 'argument' | 'srv';
  record: SrvRecord | null;
  steps: StepObservation[];
  answer: KmsAnswer | null;
}

export interface ProbeResult {
  domain: string | null;
  /** Where the domain came from: the argument, --domain, /skms-domain, the DNS suffix. */
  domainSource: string | null;
  /** dns-domain and srv-lookup; empty when a host was named. */
  discovery: StepObservation[];
  records: SrvRecord[];
  hosts: HostProbe[];
}

/** The product the probe asks for: it decides the application, the counted ID and the threshold. */
export interface CheckProduct {
  name: string;
  skuId: string;
  applicationId: string;
  kmsCountedId: string;
  /** The N-count policy of the product. */
  threshold: number;
  protocolVersion: 4 | 5 | 6;
}

export interface Thresholds {
  /** The count clients need to activate: the product's N-count policy, or --min-count. Below it, CRITICAL. */
  activationCount: number;
  /** A monitoring margin above that (--critical COUNT): below it, CRITICAL too. */
  criticalCount: number | null;
  /** A count below this is a warning (--warning COUNT). */
  warningCount: number | null;
  /** Per host, connect to answer, in ms. */
  warningLatencyMs: number | null;
  criticalLatencyMs: number | null;
}

export interface CheckedStep extends StepObservation {
  verdict: Verdict;
  cause: string | null;
  fix: string | null;
}

export interface HostCheck {
  host: string;
  port: number;
  source: HostProbe['source'];
  record: SrvRecord | null;
  verdict: Exclude<Verdict, 'skipped'>;
  /** A published record that leads nowhere while another host answers: likely a decommissioned host. */
  stale: boolean;
  /** Connect, bind and request together, in ms; null when the host was not reached. */
  latencyMs: number | null;
  answer: KmsAnswer | null;
  steps: CheckedStep[];
}

export interface CheckReport {
  kind: 'check';
  backend: 'sim' | 'kms';
  verdict: Exclude<Verdict, 'skipped'>;
  /** One line: what a monitoring system shows. */
  summary: string;
  product: CheckProduct;
  thresholds: Thresholds;
  /** The probe's CMID, and whether it is the stable one kept in the store. */
  clientMachineId: string;
  cmidSource: 'store' | 'option';
  domain: string | null;
  domainSource: string | null;
  discovery: CheckedStep[];
  records: SrvRecord[];
  hosts: HostCheck[];
}

const STEP_ORDER: readonly CheckStepName[] = ['resolve', 'tcp-connect', 'rpc-bind', 'kms-request', 'verify', 'count'];

export const STEP_LABELS: Readonly<Record<CheckStepName, string>> = {
  'dns-domain': 'DNS domain',
  'srv-lookup': 'SRV lookup',
  resolve: 'name resolution',
  'tcp-connect': 'TCP connect',
  'rpc-bind': 'RPC bind',
  'kms-request': 'KMS request',
  verify: 'response check',
  count: 'current count',
};

export const DEFAULT_CHECK_SKU = '73111121-5638-40f6-bc11-f1d7b0d64300';

function productOf(row: CatalogRow): CheckProduct {
  const version = Number(row.defaultKmsProtocol[0]) as 4 | 5 | 6;
  return {
    name: row.editionNames.length > 0 ? row.editionNames.join(' / ') : row.name,
    skuId: row.skuId,
    applicationId: row.applicationId,
    kmsCountedId: row.kmsCountedId,
    threshold: row.minimumCount,
    protocolVersion: version,
  };
}

/**
 * `--product`: an Activation ID, a public GVLK, or words of an edition name ("Windows Server 2022
 * Standard", "office ltsc 2021 professional"). Default: Windows 10/11 Enterprise, a Windows client.
 */
export function findCheckProduct(text: string | undefined): CheckProduct {
  if (text === undefined) return productOf(findCatalogBySkuId(DEFAULT_CHECK_SKU) as CatalogRow);
  const exact = findCatalogBySkuId(text) ?? findCatalogByKey(text);
  if (exact) return productOf(exact);
  const words = text.toLowerCase().split(/[\s,]+/).filter(Boolean);
  const matches = new Map<string, CatalogRow>();
  for (const row of catalogRows) {
    const names = [...row.editionNames, row.name, row.editionId].map((n) => n.toLowerCase());
    if (names.some((n) => words.every((w) => n.includes(w))) && !matches.has(row.skuId)) matches.set(row.skuId, row);
  }
  const rows = [...matches.values()];
  if (rows.length === 1) return productOf(rows[0] as CatalogRow);
  // Several releases often share one counted ID and threshold: any of them asks the same question.
  const counted = new Set(rows.map((r) => `${r.kmsCountedId}/${r.minimumCount}/${r.applicationId}`));
  if (rows.length > 1 && counted.size === 1) return productOf(rows[0] as CatalogRow);
  if (rows.length === 0) throw new UsageError(`--product "${text}" matches no product: give an Activation ID, a GVLK or words of an edition name (e.g. "Windows Server 2022 Standard")`);
  const sample = rows.slice(0, 6).map((r) => `"${r.editionNames[0] ?? r.name}"`).join(', ');
  throw new UsageError(`--product "${text}" matches ${rows.length} products with different counted IDs (${sample}${rows.length > 6 ? ', …' : ''}): be more specific`);
}

function hex(hresult: number): string {
  return `0x${(hresult >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

/** The likely cause and the fix for a failed step, as the KMS host documentation's "common issues" put them. */
function causeAndFix(problem: Problem, probe: { host: string; port: number; domain: string | null; product: CheckProduct; timeoutMs: number }): { cause: string; fix: string } {
  const { host, port, domain, product } = probe;
  switch (problem.kind) {
    case 'no-domain':
      return {
        cause: 'No DNS domain to look KMS hosts up in: the machine has no DNS suffix and none was given.',
        fix: 'Name a host (slmgr check kms01.example.com), or a domain (--domain example.com); clients need /skms-domain or /skms in the same situation.',
      };
    case 'no-srv-records':
      return {
        cause: `No ${kmsSrvName(domain ?? '')} SRV record: clients that rely on DNS cannot find a KMS host (${hex(SL_E_VL_BINDING_SERVICE_UNAVAILABLE)}).`,
        fix: `On the KMS host, turn DNS publishing on (slmgr /sdns) and make sure it may register the record; or add it by hand in ${domain ?? 'the zone'}: service _vlmcs, protocol _tcp, priority 0, weight 0, port ${DEFAULT_KMS_PORT}, target the host's FQDN. Clients can also be pointed at a host with slmgr /skms.`,
      };
    case 'dns-failure':
      return {
        cause: `The DNS server did not answer the SRV query usably: ${problem.message}.`,
        fix: 'Check the DNS server the clients use (try another with --dns-server) and that it serves the zone.',
      };
    case 'name-not-found':
      return {
        cause: `${host} does not resolve (${problem.message}).`,
        fix: `Fix the host's A/AAAA record; if the host is gone, delete the _vlmcs._tcp SRV record that points at ${host} (a host that still runs can withdraw its own record with slmgr /cdns).`,
      };
    case 'wrong-port':
      return {
        cause: `The KMS service on ${host} listens on port ${problem.listeningPort}, not ${port}.`,
        fix: `Point clients at port ${problem.listeningPort} (the SRV record's port, or slmgr /skms ${host}:${problem.listeningPort}), or move the service with slmgr /sprt ${port} on the host.`,
      };
    case 'port-closed':
    case 'port-filtered':
    case 'unreachable':
      return {
        cause: problem.kind === 'port-closed'
          ? `Nothing accepts TCP ${port} on ${host} (${problem.message}): the KMS service does not run there, or a firewall rejects the port.`
          : problem.kind === 'port-filtered'
            ? `No TCP answer from ${host}:${port} (${problem.message}): a firewall drops the port, or the host is down.`
            : `${host} cannot be reached (${problem.message}).`,
        fix: `Allow inbound TCP ${port} on the host (the built-in firewall rule "Key Management Service (TCP-In)"), and check that its KMS host key is installed and activated (slmgr /dlv on the host; a changed port shows there, set with /sprt).`,
      };
    case 'no-answer':
      return {
        cause: `${host}:${port} accepted the connection, then ${problem.message}.`,
        fix: `Check that the Software Protection service runs on the host and that port ${port} is the KMS service; a timeout of ${probe.timeoutMs} ms may also be too short for the link (--timeout).`,
      };
    case 'protocol':
      return {
        cause: `${host}:${port} answered, but not as a KMS host does (${problem.message}).`,
        fix: `Make sure port ${port} on ${host} is the KMS service and not another program, and that nothing between client and host rewrites the traffic.`,
      };
    case 'verification':
      return {
        cause: `The host's answer failed the client's checks (${problem.checks.join(', ')}): it was altered on the way or is not a genuine KMS response.`,
        fix: 'Look for a proxy or middlebox between client and host; a host that is not genuine will not activate Windows clients.',
      };
    case 'host-error':
      if (problem.hresult === SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH) {
        return {
          cause: `The host's KMS host key does not cover ${product.name} (${hex(problem.hresult)}): the host declines this product.`,
          fix: `Install a KMS host key that covers ${product.name} on the host (slmgr /ipk; for Windows a newer host key, for Office that Office version's host key), activate it (slmgr /ato, or slmgr /ato <Activation ID> for an Office host key), and let clients retry.`,
        };
      }
      if (problem.hresult === 0xc004f06c) {
        return {
          cause: `The host finds the request time too far from its own clock (${hex(problem.hresult)}).`,
          fix: 'Synchronise the clocks of the clients and the host (w32tm /resync; clients more than 4 hours off are refused).',
        };
      }
      return { cause: `The host refused the request: ${problem.message} (${hex(problem.hresult)}).`, fix: 'See the host\'s event log (event 12290) for the request.' };
  }
}

const APPLICATION_NAMES: Readonly<Record<string, string>> = {
  [WINDOWS_APP_ID]: 'Windows',
  [OFFICE2010_APP_ID]: 'Office 2010',
  [OFFICE_APP_ID]: 'Office 2013 and later',
};

const MORE_CLIENTS_FIX = 'Let more clients request activation from this host (each CMID counts once in 30 days; re-activating the same machine does not raise the count). Give cloned machines their own CMID (sysprep /generalize).';

function countCauseAndFix(count: number, bar: number, activationCount: number, product: CheckProduct): { cause: string; fix: string } {
  const application = APPLICATION_NAMES[product.applicationId] ?? product.applicationId;
  const seen = `The host counts ${count} unique client machines for ${application} in the last 30 days`;
  if (count < activationCount) {
    return {
      cause: `${seen}; ${product.name} clients activate from ${activationCount}, and below that get ${hex(SL_E_VL_NOT_ENOUGH_COUNT)} and stay in grace. ${activationCount - count} more unique CMIDs needed. Machines cloned from one image without sysprep /generalize share one CMID and count once.`,
      fix: MORE_CLIENTS_FIX,
    };
  }
  return {
    cause: `${seen}: enough for clients to activate (${activationCount}), but under the ${bar} set as the margin to keep (${bar - count} more unique CMIDs).`,
    fix: MORE_CLIENTS_FIX,
  };
}

/** Connect, bind and request together, for a host that answered; a host never reached has none. */
function totalLatency(steps: readonly StepObservation[]): number | null {
  if (!steps.some((s) => s.step === 'kms-request' && s.ok)) return null;
  return steps.filter((s) => ['tcp-connect', 'rpc-bind', 'kms-request'].includes(s.step)).reduce((sum, s) => sum + (s.latencyMs ?? 0), 0);
}

const RANK: Record<Exclude<Verdict, 'skipped'>, number> = { ok: 0, warning: 1, critical: 2 };
const worst = (verdicts: Iterable<Exclude<Verdict, 'skipped'>>): Exclude<Verdict, 'skipped'> => {
  let result: Exclude<Verdict, 'skipped'> = 'ok';
  for (const v of verdicts) if (RANK[v] > RANK[result]) result = v;
  return result;
};

function judgeHost(probe: HostProbe, context: { domain: string | null; product: CheckProduct; thresholds: Thresholds; timeoutMs: number }): HostCheck {
  const { thresholds, product } = context;
  const latencyMs = totalLatency(probe.steps);
  const steps: CheckedStep[] = [];
  let failed = false;
  for (const name of STEP_ORDER) {
    const observed = probe.steps.find((s) => s.step === name);
    if (failed || !observed) {
      steps.push({ step: name, ok: false, latencyMs: null, detail: '', verdict: 'skipped', cause: null, fix: null });
      continue;
    }
    if (!observed.ok && observed.problem) {
      failed = true;
      steps.push({ ...observed, verdict: 'critical', ...causeAndFix(observed.problem, { host: probe.host, port: probe.port, domain: context.domain, product, timeoutMs: context.timeoutMs }) });
      continue;
    }
    let verdict: Verdict = 'ok';
    let explained: { cause: string; fix: string } | null = null;
    if (name === 'count' && probe.answer) {
      const count = probe.answer.currentCount;
      const criticalBar = Math.max(thresholds.activationCount, thresholds.criticalCount ?? 0);
      if (count < criticalBar) verdict = 'critical';
      else if (thresholds.warningCount !== null && count < thresholds.warningCount) verdict = 'warning';
      if (verdict !== 'ok') explained = countCauseAndFix(count, verdict === 'critical' ? criticalBar : (thresholds.warningCount as number), thresholds.activationCount, product);
    }
    steps.push({ ...observed, verdict, cause: explained?.cause ?? null, fix: explained?.fix ?? null });
  }
  let verdict = worst(steps.filter((s) => s.verdict !== 'skipped').map((s) => s.verdict as Exclude<Verdict, 'skipped'>));
  if (latencyMs !== null && verdict !== 'critical') {
    if (thresholds.criticalLatencyMs !== null && latencyMs > thresholds.criticalLatencyMs) verdict = 'critical';
    else if (thresholds.warningLatencyMs !== null && latencyMs > thresholds.warningLatencyMs) verdict = worst([verdict, 'warning']);
  }
  return { host: probe.host, port: probe.port, source: probe.source, record: probe.record, verdict, stale: false, latencyMs, answer: probe.answer, steps };
}

/** A record that leads nowhere: no such name, or nothing listening. */
function isStaleCandidate(host: HostCheck): boolean {
  const failedStep = host.steps.find((s) => s.verdict === 'critical');
  return host.source === 'srv' && failedStep !== undefined && (failedStep.step === 'resolve' || failedStep.problem?.kind === 'port-closed' || failedStep.problem?.kind === 'port-filtered');
}

function summaryOf(report: Omit<CheckReport, 'summary'>): string {
  const label = (h: HostCheck) => `${h.host}:${h.port}`;
  const failedDiscovery = report.discovery.find((s) => s.verdict === 'critical');
  if (failedDiscovery) return failedDiscovery.step === 'dns-domain' ? 'no DNS domain to look KMS hosts up in' : `SRV lookup: ${failedDiscovery.detail}`;
  const { thresholds } = report;
  const parts = report.hosts.map((h) => {
    const count = `count ${h.answer?.currentCount ?? '?'}/${thresholds.activationCount}`;
    if (h.verdict === 'ok') return `${label(h)} ${count}`;
    const step = h.steps.find((s) => s.verdict === 'critical' || s.verdict === 'warning');
    const limit = h.verdict === 'critical' ? thresholds.criticalLatencyMs : thresholds.warningLatencyMs;
    const margin = step?.verdict === 'warning' ? `, under the warning margin ${thresholds.warningCount}`
      : (thresholds.criticalCount ?? 0) > thresholds.activationCount ? `, under the critical margin ${thresholds.criticalCount}` : '';
    const why = step?.step === 'count' ? `${count}${margin}`
      : step ? `${STEP_LABELS[step.step]}: ${step.detail}`
      : `latency ${h.latencyMs?.toFixed(0)} ms, over ${limit} ms`;
    return `${label(h)}${h.stale ? ' (stale record?)' : ''} ${why}`;
  });
  const healthy = report.hosts.filter((h) => h.verdict === 'ok').length;
  const prefix = report.hosts.length > 1 ? `${healthy} of ${report.hosts.length} hosts OK: ` : '';
  return prefix + parts.join('; ');
}

export interface JudgeOptions {
  backend: 'sim' | 'kms';
  product: CheckProduct;
  thresholds: Thresholds;
  clientMachineId: string;
  cmidSource: 'store' | 'option';
  timeoutMs: number;
}

/** Microsecond precision is all a wall clock gives; more digits are float noise in JSON. */
function rounded(steps: StepObservation[]): StepObservation[] {
  return steps.map((s) => (s.latencyMs === null ? s : { ...s, latencyMs: Math.round(s.latencyMs * 1000) / 1000 }));
}

export function judgeProbe(probe: ProbeResult, options: JudgeOptions): CheckReport {
  probe = { ...probe, discovery: rounded(probe.discovery), hosts: probe.hosts.map((h) => ({ ...h, steps: rounded(h.steps) })) };
  const discovery: CheckedStep[] = probe.discovery.map((s) =>
    s.ok || !s.problem
      ? { ...s, verdict: 'ok', cause: null, fix: null }
      : { ...s, verdict: 'critical', ...causeAndFix(s.problem, { host: '', port: DEFAULT_KMS_PORT, domain: probe.domain, product: options.product, timeoutMs: options.timeoutMs }) });
  const hosts = probe.hosts.map((h) => judgeHost(h, { domain: probe.domain, product: options.product, thresholds: options.thresholds, timeoutMs: options.timeoutMs }));
  const anyHealthy = hosts.some((h) => h.verdict === 'ok' || h.verdict === 'warning');
  // Another host answering shows the domain's KMS service is elsewhere: this record is left over.
  const anyAnswered = hosts.some((h) => h.answer !== null);
  for (const host of hosts) host.stale = anyAnswered && isStaleCandidate(host);
  // With several hosts clients fail over: one dead host degrades the service, all dead breaks it.
  const hostVerdict = hosts.length === 0 ? 'critical' : anyHealthy ? worst(hosts.map((h) => (h.verdict === 'critical' ? 'warning' : h.verdict))) : 'critical';
  const verdict = discovery.some((s) => s.verdict === 'critical') ? 'critical' : hostVerdict;
  const report = {
    kind: 'check' as const,
    backend: options.backend,
    verdict,
    product: options.product,
    thresholds: options.thresholds,
    clientMachineId: options.clientMachineId,
    cmidSource: options.cmidSource,
    domain: probe.domain,
    domainSource: probe.domainSource,
    discovery,
    records: probe.records,
    hosts,
  };
  return { ...report, summary: summaryOf(report) };
}
