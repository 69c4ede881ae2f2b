// The health check for people (a report that reads top to bottom: DNS, then each host layer by
// layer, with the cause and the fix under a failing step) and for monitoring systems (the
// Nagios/Icinga plugin format: one status line, then performance data).

import { STEP_LABELS, type CheckedStep, type CheckReport, type HostCheck, type Verdict } from '../commands/check.js';

const MARKS: Record<Verdict, string> = { ok: '[ OK ]', warning: '[WARN]', critical: '[FAIL]', skipped: '[ -- ]' };
export const NAGIOS_STATES: Record<CheckReport['verdict'], string> = { ok: 'OK', warning: 'WARNING', critical: 'CRITICAL' };

function latency(ms: number | null): string {
  return ms === null ? '' : ` (${ms < 10 ? ms.toFixed(1) : ms.toFixed(0)} ms)`;
}

function stepLines(step: CheckedStep, report: CheckReport): string[] {
  let detail = step.detail;
  if (step.step === 'count' && step.verdict !== 'skipped') detail = `${step.detail}, threshold ${report.thresholds.activationCount}`;
  const lines = [`  ${MARKS[step.verdict]} ${STEP_LABELS[step.step].padEnd(16)} ${step.verdict === 'skipped' ? '' : detail}${latency(step.latencyMs)}`.trimEnd()];
  if (step.cause) lines.push(`         cause: ${step.cause}`);
  if (step.fix) lines.push(`         fix:   ${step.fix}`);
  return lines;
}

function hostLines(host: HostCheck, report: CheckReport): string[] {
  const record = host.record ? ` (SRV priority ${host.record.priority}, weight ${host.record.weight})` : '';
  const stale = host.stale ? ' - stale record? (delete the SRV record; a host that still runs can withdraw it with slmgr /cdns)' : '';
  const { warningLatencyMs, criticalLatencyMs } = report.thresholds;
  const limits = [warningLatencyMs !== null ? `warning over ${warningLatencyMs} ms` : '', criticalLatencyMs !== null ? `critical over ${criticalLatencyMs} ms` : ''].filter(Boolean).join(', ');
  const total = host.latencyMs === null ? '' : `, ${host.latencyMs.toFixed(1)} ms${limits ? ` (${limits})` : ''}`;
  return ['', `KMS host ${host.host}:${host.port}${record}: ${NAGIOS_STATES[host.verdict]}${total}${stale}`, ...host.steps.flatMap((s) => stepLines(s, report))];
}

export function renderCheckText(report: CheckReport): string[] {
  const lines = [
    `KMS health check (${report.backend} backend) for ${report.product.name}: application ${report.product.applicationId}, threshold ${report.thresholds.activationCount}`,
    `Probe CMID ${report.clientMachineId} (${report.cmidSource === 'store' ? 'kept in the store: repeated checks count once on each host' : 'given with --cmid'})`,
  ];
  if (report.discovery.length > 0) {
    lines.push('', 'DNS');
    for (const step of report.discovery) lines.push(...stepLines(step, report));
    for (const r of report.records) lines.push(`         _vlmcs._tcp  priority ${r.priority}  weight ${r.weight}  port ${r.port}  ${r.target}`);
  }
  for (const host of report.hosts) lines.push(...hostLines(host, report));
  // ASCII only: Windows PowerShell 5.1 decodes captured output with the OEM code page.
  lines.push('', `Result: ${NAGIOS_STATES[report.verdict]} - ${report.summary}`);
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
      const critical = Math.max(thresholds.activationCount, thresholds.criticalCount ?? 0);
      perf.push(`${label(`${name} count`)}=${host.answer.currentCount};${thresholds.warningCount === null ? '' : `${thresholds.warningCount}:`};${critical}:;0;`);
    }
  }
  perf.push(`${label('threshold')}=${thresholds.activationCount}`);
  return [`KMS ${NAGIOS_STATES[report.verdict]} - ${report.summary} | ${perf.join(' ')}`];
}
