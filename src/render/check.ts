// The health check for people (a report that reads top to bottom: DNS, then each host layer by
// layer, with the cause and the fix under a failing step) and for monitoring systems (the
// Nagios/Icinga plugin format: one status line, then performance data).

import type { CheckedStep, CheckReport, CheckStepName, HostCheck, Verdict } from '../commands/check.js';

const STEP_LABELS: Record<CheckStepName, string> = {
  'dns-domain': 'DNS domain',
  'srv-lookup': 'SRV lookup',
  resolve: 'name resolution',
  'tcp-connect': 'TCP connect',
  'rpc-bind': 'RPC bind',
  'kms-request': 'KMS request',
  verify: 'response check',
  count: 'current count',
};

const MARKS: Record<Verdict, string> = { ok: '[ OK ]', warning: '[WARN]', critical: '[FAIL]', skipped: '[ -- ]' };
export const NAGIOS_STATES: Record<CheckReport['verdict'], string> = { ok: 'OK', warning: 'WARNING', critical: 'CRITICAL' };

function latency(ms: number | null): string {
  return ms === null ? '' : ` (${ms < 10 ? ms.toFixed(1) : ms.toFixed(0)} ms)`;
}

function stepLines(step: CheckedStep, report: CheckReport): string[] {
  let detail = step.detail;
  if (step.step === 'count' && step.verdict !== 'skipped') detail = `${step.detail}, threshold ${report.thresholds.criticalCount}`;
  const lines = [`  ${MARKS[step.verdict]} ${STEP_LABELS[step.step].padEnd(16)} ${step.verdict === 'skipped' ? '' : detail}${latency(step.latencyMs)}`.trimEnd()];
  if (step.cause) lines.push(`         cause: ${step.cause}`);
  if (step.fix) lines.push(`         fix:   ${step.fix}`);
  return lines;
}

function hostLines(host: HostCheck, report: CheckReport): string[] {
  const record = host.record ? ` (SRV priority ${host.record.priority}, weight ${host.record.weight})` : '';
  const stale = host.stale ? ' — stale record? (remove it with /cdns on that host, or delete the record)' : '';
  const total = host.latencyMs === null ? '' : `, ${host.latencyMs.toFixed(1)} ms`;
  return ['', `KMS host ${host.host}:${host.port}${record}: ${NAGIOS_STATES[host.verdict]}${total}${stale}`, ...host.steps.flatMap((s) => stepLines(s, report))];
}

export function renderCheckText(report: CheckReport): string[] {
  const lines = [
    `KMS health check (${report.backend} backend) for ${report.product.name}: application ${report.product.applicationId}, threshold ${report.thresholds.criticalCount}`,
    `Probe CMID ${report.clientMachineId} (${report.cmidSource === 'store' ? 'kept in the store: repeated checks count once on each host' : 'given with --cmid'})`,
  ];
  if (report.discovery.length > 0) {
    lines.push('', 'DNS');
    for (const step of report.discovery) lines.push(...stepLines(step, report));
    for (const r of report.records) lines.push(`         _vlmcs._tcp  priority ${r.priority}  weight ${r.weight}  port ${r.port}  ${r.target}`);
  }
  for (const host of report.hosts) lines.push(...hostLines(host, report));
  lines.push('', `Result: ${NAGIOS_STATES[report.verdict]} — ${report.summary}`);
  return lines;
}

/** Perfdata labels may not contain `'` or `=`; host names never do, but be safe. */
function label(text: string): string {
  return `'${text.replace(/['=]/g, '_')}'`;
}

function ms(value: number): string {
  return `${value.toFixed(3)}ms`;
}

/** `STATUS - summary | perfdata`, as the Nagios plugin guidelines define it. */
export function renderCheckNagios(report: CheckReport): string[] {
  const { thresholds } = report;
  const perf: string[] = [];
  const srv = report.discovery.find((s) => s.step === 'srv-lookup');
  if (srv?.latencyMs != null) perf.push(`${label('srv_lookup')}=${ms(srv.latencyMs)}`);
  for (const host of report.hosts) {
    const name = `${host.host}:${host.port}`;
    for (const step of host.steps) {
      if (step.latencyMs !== null && step.verdict !== 'skipped') perf.push(`${label(`${name} ${step.step}`)}=${ms(step.latencyMs)}`);
    }
    if (host.latencyMs !== null) {
      perf.push(`${label(`${name} total`)}=${ms(host.latencyMs)};${thresholds.warningLatencyMs ?? ''};${thresholds.criticalLatencyMs ?? ''};0;`);
    }
    if (host.answer) {
      perf.push(`${label(`${name} count`)}=${host.answer.currentCount};${thresholds.warningCount === null ? '' : `${thresholds.warningCount}:`};${thresholds.criticalCount}:;0;`);
    }
  }
  perf.push(`${label('threshold')}=${thresholds.criticalCount}`);
  return [`KMS ${NAGIOS_STATES[report.verdict]} - ${report.summary} | ${perf.join(' ')}`];
}
