// The entry point and the only module that touches process: it parses the command line, runs one
// command in one store transaction, renders the result, and maps every error to an exit code.

import { readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { pathToFileURL } from 'node:url';
import { loadCommand, type CommandResult } from '../commands/index.js';
import type { CheckReport, ProbeResult } from '../commands/check.js';
import type { LabResult } from '../commands/lab.js';
import { labClockOffset } from '../backends/sim/lab.js';
import { isLocalMachineName, resolveMachine, type CommandContext } from '../commands/context.js';
import type { KmsActivationOutcome } from '../backends/kms/activation.js';
import type { KmsTransport } from '../backends/kms/transport.js';
import { HResultError, InterruptedError, MachineUnreachableError, NetworkError, OptionError, SoftFailure, StoreError, UsageError } from '../errors.js';
import { renderJson, type JsonError } from '../render/json.js';
import { message } from '../render/messages.js';
import { renderText } from '../render/text.js';
import { parseCommandLine, type SlmgrInvocation } from './argv.js';
import { exitCodeFor, POSIX_EXIT_CODES, type Outcome } from './exit-codes.js';
import { helpLines } from './help.js';
import { DEFAULT_NETWORK_OPTIONS, resolveOptions, useColor, wantsJson, type RunOptions } from './options.js';
import { usageLines } from './switches.js';
import { readFilePrefix } from './file-access.js';
import { RPC_S_SERVER_UNAVAILABLE, SL_E_VL_BINDING_SERVICE_UNAVAILABLE, SL_E_VL_NOT_ENOUGH_COUNT } from '../licensing/hresult-codes.js';
import type { StoreTx } from '../store/store.js';

export interface Writable {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** Everything the CLI needs from the outside world, so tests can run it in-process. */
export interface CliEnvironment {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  stdout: Writable;
  stderr: Writable;
  hostname: string;
  homedir: string;
  /** The machine's DNS suffix (where the kms backend looks for `_vlmcs._tcp`), when known. */
  dnsSuffix?: string | null;
  /**
   * Registers what Ctrl-C does while the command waits on the network; returns the unregistration.
   * Without it nothing can interrupt the wait but the timeouts.
   */
  onInterrupt?: (abort: () => void) => () => void;
  /** Fixed inputs for the kms backend (tests and replays); the real CLI never sets them. */
  kmsInputs?: KmsInputs;
}

export interface KmsInputs {
  now?: () => Date;
  randomBytes?: (size: number) => Uint8Array;
  random?: () => number;
  clientMachineId?: string;
  workstationName?: string;
  transport?: KmsTransport;
}

interface Report {
  outcome: Outcome;
  command: string | null;
  machine: string | null;
  /** slmgr's own lines (stdout in text mode). */
  lines: string[];
  result: CommandResult | LabResult | CheckReport | { usage: string[] } | { version: string } | null;
  error: JsonError | null;
  /** Our own diagnostics, never part of slmgr's output. */
  diagnostics: string[];
  /** Replaces the exit-code table: the Nagios plugin convention of `check --nagios`. */
  exitCode?: number;
  /**
   * slmgr echoes its buffered lines at exit, which adds one empty line; our own reports (the
   * health check) end where they end.
   */
  slmgrEcho?: boolean;
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

// Web Crypto's UUIDs come from the same generator as node:crypto's, but loading node:crypto pulls
// in its whole module tree, which a read-only command never needs.
const randomUUID = (): string => globalThis.crypto.randomUUID();

function usageReport(lines: string[], errorMessage: string): Report {
  return {
    outcome: { kind: 'usage' },
    command: null,
    machine: null,
    lines: [...lines, ...usageLines()],
    result: null,
    error: { kind: 'usage', message: errorMessage },
    diagnostics: [],
  };
}

function invocationReport(invocation: Exclude<SlmgrInvocation, { kind: 'switch' | 'extension' }>, options: RunOptions): Report {
  switch (invocation.kind) {
    case 'invalid-combination':
      return usageReport([message('MsgInvalidOptions'), ''], message('MsgInvalidOptions'));
    case 'unrecognized': {
      const text = message('MsgUnrecognizedOption', { OPTION: invocation.token });
      return usageReport([text, ''], text);
    }
    case 'missing-parameter': {
      const text = message('MsgErrorText_9', { OPTION: invocation.spec.name, PARAM: invocation.param });
      return usageReport(['', text], text);
    }
    case 'help':
      // slmgr.vbs itself has no /? handler; in slmgr mode we keep its exact answer.
      if (options.exitCodes === 'slmgr') {
        const text = message('MsgUnrecognizedOption', { OPTION: invocation.token });
        return usageReport([text, ''], text);
      }
      return helpReport();
  }
}

function helpReport(): Report {
  const lines = helpLines(packageVersion());
  return { outcome: { kind: 'success' }, command: 'help', machine: null, lines, result: { usage: lines }, error: null, diagnostics: [] };
}

async function errorReport(error: unknown, command: string | null): Promise<Report> {
  const base = { command, machine: null, result: null };
  if (error instanceof SoftFailure) {
    const text = message(error.messageId, error.params);
    return { ...base, outcome: { kind: 'soft-failure' }, lines: [text], error: { kind: 'soft-failure', id: error.messageId, message: text }, diagnostics: [] };
  }
  if (error instanceof HResultError || error instanceof NetworkError) {
    // The message tables are large; only a failing command needs them.
    const { formatErrorLine, hex, signedHResult } = await import('../licensing/hresult.js');
    const line = error instanceof HResultError && error.slmgrText !== undefined ? `Error: 0x${hex(error.hresult)} ${error.slmgrText}` : formatErrorLine(error.hresult);
    const kind = error instanceof HResultError ? 'licensing' : 'network';
    const diagnostics = error instanceof NetworkError ? [`slmgr: ${error.message}`] : error instanceof HResultError && error.diagnostic !== undefined ? [`slmgr: ${error.diagnostic}`] : [];
    return {
      ...base,
      outcome: { kind, hresult: error.hresult },
      lines: [line],
      error: { kind, message: line.replace(/^Error: \S+ /, ''), hresult: `0x${hex(error.hresult)}`, hresultSigned: signedHResult(error.hresult) },
      diagnostics,
    };
  }
  if (error instanceof MachineUnreachableError) {
    const { hex, signedHResult, slmgrErrorText } = await import('../licensing/hresult.js');
    const line = `${message('MsgErrorConnection', { ERRCODE: hex(error.hresult), COMPUTERNAME: error.machine })} ${slmgrErrorText(error.hresult)}`;
    return {
      ...base,
      outcome: { kind: 'network', hresult: error.hresult },
      lines: [line],
      error: { kind: 'network', message: line, machine: error.machine, hresult: `0x${hex(error.hresult)}`, hresultSigned: signedHResult(error.hresult) },
      diagnostics: [],
    };
  }
  if (error instanceof StoreError) {
    return { ...base, outcome: { kind: 'store' }, lines: [], error: { kind: 'store', reason: error.reason, path: error.path, message: error.message }, diagnostics: [`slmgr: ${error.message}`] };
  }
  if (error instanceof InterruptedError) {
    return { ...base, outcome: { kind: 'interrupted' }, lines: [], error: { kind: 'interrupted', message: error.message }, diagnostics: [`slmgr: ${error.message}`] };
  }
  if (error instanceof UsageError && error.slmgrText) {
    return { ...base, outcome: { kind: 'usage' }, lines: [error.message], error: { kind: 'usage', message: error.message }, diagnostics: [] };
  }
  if (error instanceof OptionError || error instanceof UsageError) {
    return { ...base, outcome: { kind: 'usage' }, lines: [], error: { kind: 'usage', message: error.message }, diagnostics: [`slmgr: ${error.message}`, 'Try "slmgr --help".'] };
  }
  const detail = error instanceof Error ? error.stack ?? error.message : String(error);
  return {
    ...base,
    outcome: { kind: 'internal' },
    lines: [],
    error: { kind: 'internal', message: error instanceof Error ? error.message : String(error) },
    diagnostics: [`slmgr: internal error — this is a bug, please report it with the command you ran.`, detail],
  };
}

/** `target.machine` names the machine once it is known, so a failure can still report it. */
async function runSwitch(invocation: Extract<SlmgrInvocation, { kind: 'switch' }>, options: RunOptions, io: CliEnvironment, target: { machine: string | null }): Promise<Report> {
  const { spec } = invocation;
  if (options.backend === 'kms' && invocation.machine !== undefined && !isLocalMachineName(invocation.machine, io.hostname)) {
    // Real hosts only ever see this computer: a lab machine name means nothing on the network.
    throw new MachineUnreachableError(invocation.machine, RPC_S_SERVER_UNAVAILABLE);
  }
  if (options.backend === 'kms' && spec.name === 'ato') return runKmsActivation(invocation, options, io, target);
  // The store's modules load while the command's do.
  const storeModules = Promise.all([import('../store/store.js'), import('../store/location.js')]);
  const command = await loadCommand(spec.name);
  await storeModules;
  const store = await openStore(options, io, options.now ?? Date.now());
  try {
    const result = store.transaction((tx) => command(commandContext(tx, invocation, options, io, target), invocation.args));
    return switchReport(spec.name, target.machine ?? '', result);
  } finally {
    store.close();
  }
}

function commandContext(tx: StoreTx, invocation: Extract<SlmgrInvocation, { kind: 'switch' }>, options: RunOptions, io: CliEnvironment, target: { machine: string | null }): CommandContext {
  const now = options.now ?? Date.now() + labClockOffset(tx);
  const machine = resolveMachine(tx, invocation.machine, io.hostname, invocation.spec.readOnly === true);
  target.machine = machine.name;
  return { tx, machine, now, randomUUID, random: io.kmsInputs?.random ?? Math.random, readFile: readFilePrefix };
}

async function switchReport(command: string, machine: string, result: CommandResult, diagnostics: string[] = []): Promise<Report> {
  const failure = 'failure' in result ? result.failure : null;
  if (failure === null) {
    return { outcome: { kind: 'success' }, command, machine, lines: renderText(result), result, error: null, diagnostics };
  }
  // The command did its work (events, counters) and ended in an HRESULT, as slmgr's /ato does.
  const { formatErrorLine, hex, signedHResult, slmgrErrorText } = await import('../licensing/hresult.js');
  const kind = failure.network ? 'network' : 'licensing';
  return {
    outcome: { kind, hresult: failure.hresult },
    command,
    machine,
    lines: renderText(result, formatErrorLine),
    result,
    error: { kind, message: slmgrErrorText(failure.hresult), hresult: `0x${hex(failure.hresult)}`, hresultSigned: signedHResult(failure.hresult) },
    diagnostics,
  };
}

/** The name Windows sends as the workstation: the FQDN when the DNS suffix is known. */
function workstationNameOf(io: CliEnvironment): string {
  return io.hostname.includes('.') || !io.dnsSuffix ? io.hostname : `${io.hostname}.${io.dnsSuffix}`;
}

/**
 * /ato with the kms backend: read the products (one short transaction), ask the hosts with no
 * store lock held, then record the answers (a second transaction). A failure writes nothing.
 */
async function runKmsActivation(invocation: Extract<SlmgrInvocation, { kind: 'switch' }>, options: RunOptions, io: CliEnvironment, target: { machine: string | null }): Promise<Report> {
  const [{ planKmsActivation, recordKmsActivation }, { activateOverNetwork }] = await Promise.all([
    import('../commands/activation.js'),
    import('../backends/kms/activation.js'),
  ]);
  const inputs = io.kmsInputs ?? {};
  const store = await openStore(options, io, options.now ?? Date.now());
  try {
    const plan = store.transaction((tx) => planKmsActivation(commandContext(tx, invocation, options, io, target), invocation.args, {
      workstationName: inputs.workstationName ?? workstationNameOf(io),
      clientMachineId: inputs.clientMachineId,
      fallbackDomain: io.dnsSuffix ?? options.network.domain ?? null,
      protocolVersion: options.network.protocol,
    }));
    const controller = new AbortController();
    const stopWatching = io.onInterrupt?.(() => controller.abort());
    const spinner = await startSpinner(options, io, 'Activating');
    const outcomes: KmsActivationOutcome[] = [];
    try {
      for (const { target: product } of plan.targets) {
        const outcome = await activateOverNetwork(product, {
          connectTimeoutMs: options.network.connectTimeoutMs,
          timeoutMs: options.network.timeoutMs,
          dnsServer: options.network.dnsServer,
          signal: controller.signal,
          transport: inputs.transport,
          now: inputs.now,
          randomBytes: inputs.randomBytes,
          random: inputs.random,
          onProgress: spinner?.update,
        });
        outcomes.push(outcome);
        if (!outcome.ok) break;
      }
    } finally {
      spinner?.stop();
      stopWatching?.();
    }
    const result = store.transaction((tx) => recordKmsActivation(commandContext(tx, invocation, options, io, target), plan, outcomes));
    const diagnostics = outcomes.flatMap((o) => [
      ...(!o.ok && o.lookupError ? [`slmgr: ${o.lookupError}`] : []),
      ...o.attempts.filter((a) => a.error !== null).map((a) => `slmgr: KMS host ${a.host}:${a.port} (${a.source}): ${a.error}`),
    ]);
    return await switchReport(invocation.spec.name, target.machine ?? '', result, diagnostics);
  } finally {
    store.close();
  }
}

/** ora on an interactive stderr only: never in --json, in a pipe or in CI. */
async function startSpinner(options: RunOptions, io: CliEnvironment, text: string): Promise<{ update: (text: string) => void; stop: () => void } | null> {
  const ci = io.env.CI !== undefined && io.env.CI !== '' && io.env.CI !== '0' && io.env.CI.toLowerCase() !== 'false';
  if (options.json || io.stderr.isTTY !== true || ci || io.env.TERM === 'dumb') return null;
  const { default: ora } = await import('ora');
  const spinner = ora({ stream: io.stderr as NodeJS.WriteStream, color: 'cyan', discardStdin: false }).start(text);
  return { update: (text) => { spinner.text = text; }, stop: () => spinner.stop() };
}

async function openStore(options: RunOptions, io: CliEnvironment, now: number) {
  // Loaded side by side: each dynamic import is a round of file reads.
  const [{ Store }, { resolveStorePath }] = await Promise.all([import('../store/store.js'), import('../store/location.js')]);
  const path = resolveStorePath({ flag: options.store, env: io.env, platform: io.platform, homedir: io.homedir });
  return Store.open({ path, now: () => now, randomUUID, hostname: io.hostname });
}

async function runLab(args: readonly string[], options: RunOptions, io: CliEnvironment): Promise<Report> {
  const { parseLab } = await import('./lab.js');
  const parsed = parseLab(args);
  if (parsed.action === null) {
    const lines = (parsed.help ?? '').replace(/\n$/, '').split('\n');
    return { outcome: { kind: 'success' }, command: parsed.command, machine: null, lines, result: { usage: lines }, error: null, diagnostics: [] };
  }
  const [commands, { renderLabText }] = await Promise.all([import('../commands/lab.js'), import('../render/lab.js')]);
  const store = await openStore(options, io, options.now ?? Date.now());
  try {
    const action = parsed.action;
    const result = store.transaction((tx) => {
      const now = options.now ?? Date.now() + labClockOffset(tx);
      return action({ tx, now, randomUUID, random: Math.random, hostname: io.hostname, explicitNow: options.now !== undefined }, commands);
    });
    return { outcome: { kind: 'success' }, command: parsed.command, machine: null, lines: renderLabText(result), result, error: null, diagnostics: [] };
  } finally {
    store.close();
  }
}

/** With --nagios, a check that could not run is the plugin's UNKNOWN (exit 3), whatever stopped it. */
function nagiosUnknown(report: Report, checkArgs: readonly string[]): Report {
  if (!checkArgs.includes('--nagios')) return report;
  const why = report.error?.message ?? 'the check could not run';
  return { ...report, lines: [`KMS UNKNOWN - ${why}`], diagnostics: [], exitCode: 3, slmgrEcho: false };
}

/** The stable probe CMID: made once, kept in the store, so repeated checks count once on a host. */
const CHECK_CMID_SETTING = 'check.probe-cmid';

/**
 * `slmgr check`: in the lab the whole probe runs in one store transaction; against real hosts the
 * store is only read (and the probe CMID made once) before the network is touched.
 */
async function runCheck(args: readonly string[], options: RunOptions, io: CliEnvironment): Promise<Report> {
  const { parseCheck } = await import('./check.js');
  const invocation = parseCheck(args);
  if (invocation.help !== null) {
    const lines = invocation.help.replace(/\n$/, '').split('\n');
    return { outcome: { kind: 'success' }, command: 'check', machine: null, lines, result: { usage: lines }, error: null, diagnostics: [], slmgrEcho: false };
  }
  const [{ findCheckProduct, judgeProbe }, render, { LAB_DEFAULT_DOMAIN }, { fixedKmsHost, kmsLookupDomain }, { signedHResult }] = await Promise.all([
    import('../commands/check.js'),
    import('../render/check.js'),
    import('../backends/sim/lab.js'),
    import('../discovery/candidates.js'),
    import('../licensing/hresult-codes.js'),
  ]);
  const product = findCheckProduct(invocation.product);
  const thresholds = {
    activationCount: invocation.minCount ?? product.threshold,
    criticalCount: invocation.critical?.count ?? null,
    warningCount: invocation.warning?.count ?? null,
    warningLatencyMs: invocation.warning?.latencyMs ?? null,
    criticalLatencyMs: invocation.critical?.latencyMs ?? null,
  };
  const inputs = io.kmsInputs ?? {};
  // The lab probe runs inside the transaction, so its module is loaded before it starts.
  const labProbe = options.backend === 'sim' ? (await import('../backends/sim/probe.js')).probeLab : null;
  const store = await openStore(options, io, options.now ?? Date.now());
  try {
    let probe: ProbeResult | null = null;
    const plan = store.transaction((tx) => {
      const now = options.now ?? Date.now() + labClockOffset(tx);
      let cmid = invocation.cmid ?? tx.getSetting(CHECK_CMID_SETTING);
      if (cmid === undefined) {
        cmid = randomUUID();
        tx.setSetting(CHECK_CMID_SETTING, cmid);
      }
      // Without a host or --domain, check what this machine would use for the product: its /skms
      // host, else its /skms-domain, its DNS domain or suffix (in the lab, the lab's domain).
      const local = tx.localMachine();
      const settings = tx.getProduct(local.id, product.skuId) ?? { kmsMachine: null, kmsPort: null, kmsLookupDomain: null, kmsHostName: null, kmsHostPort: null };
      const fixed = options.network.domain === undefined ? fixedKmsHost(settings, local) : null;
      const target = invocation.target ?? (fixed && { host: fixed.name, port: fixed.port });
      const configured = kmsLookupDomain(settings, local);
      const domain = options.network.domain !== undefined ? { name: options.network.domain, source: '--domain' }
        : configured !== null ? { name: configured, source: settings.kmsLookupDomain !== null || local.kmsLookupDomain !== null ? '/skms-domain' : 'the machine\'s domain' }
        : io.dnsSuffix ? { name: io.dnsSuffix, source: 'the DNS suffix' }
        : options.backend === 'sim' ? { name: LAB_DEFAULT_DOMAIN, source: 'the lab\'s default domain' }
        : null;
      const workstationName = inputs.workstationName ?? workstationNameOf(io);
      if (labProbe) probe = labProbe({ tx, now, random: Math.random }, { target, domain, product, clientMachineId: cmid, workstationName, protocolVersion: options.network.protocol });
      return { cmid, domain, target, workstationName };
    });
    if (probe === null) {
      const { probeKmsHosts } = await import('../backends/kms/probe.js');
      const controller = new AbortController();
      const stopWatching = io.onInterrupt?.(() => controller.abort());
      const spinner = await startSpinner(options, io, 'Checking');
      try {
        probe = await probeKmsHosts({
          target: plan.target,
          domain: plan.domain,
          product,
          clientMachineId: plan.cmid,
          workstationName: plan.workstationName,
          protocolVersion: options.network.protocol,
          dnsServer: options.network.dnsServer,
          timeoutMs: options.network.timeoutMs,
          connectTimeoutMs: options.network.connectTimeoutMs,
          signal: controller.signal,
          transport: inputs.transport,
          now: inputs.now,
          randomBytes: inputs.randomBytes,
        });
      } finally {
        spinner?.stop();
        stopWatching?.();
      }
    }
    const report = judgeProbe(probe as ProbeResult, {
      backend: options.backend,
      product,
      thresholds,
      clientMachineId: plan.cmid,
      cmidSource: invocation.cmid === undefined ? 'store' : 'option',
      timeoutMs: options.network.timeoutMs,
    });
    const lines = invocation.nagios ? render.renderCheckNagios(report) : render.renderCheckText(report);
    const outcome = checkOutcome(report);
    return {
      outcome,
      command: 'check',
      machine: null,
      lines,
      result: report,
      error: outcome.kind === 'success' ? null
        : 'hresult' in outcome ? { kind: outcome.kind, message: report.summary, hresult: `0x${outcome.hresult.toString(16).toUpperCase().padStart(8, '0')}`, hresultSigned: signedHResult(outcome.hresult) }
        : { kind: outcome.kind, id: 'checkWarning', message: report.summary },
      diagnostics: [],
      exitCode: invocation.nagios ? ({ ok: 0, warning: 1, critical: 2 } as const)[report.verdict] : undefined,
      slmgrEcho: false,
    };
  } finally {
    store.close();
  }
}

/**
 * Without --nagios: OK is success; WARNING a soft failure (exit 3); CRITICAL the HRESULT a client
 * would meet — the host's refusal or 0xC004F038 (exit 2), else 0xC004F074 (exit 5).
 */
function checkOutcome(report: CheckReport): Outcome {
  if (report.verdict === 'ok') return { kind: 'success' };
  if (report.verdict === 'warning') return { kind: 'soft-failure' };
  // A host that answered decides what its clients meet, whatever the order of the records.
  const failing = report.hosts.flatMap((h) => h.steps).filter((s) => s.verdict === 'critical');
  const refused = failing.find((s) => s.problem?.kind === 'host-error');
  if (refused?.problem?.kind === 'host-error') return { kind: 'licensing', hresult: refused.problem.hresult };
  if (failing.some((s) => s.step === 'count')) return { kind: 'licensing', hresult: SL_E_VL_NOT_ENOUGH_COUNT };
  return { kind: 'network', hresult: SL_E_VL_BINDING_SERVICE_UNAVAILABLE };
}

async function buildReport(io: CliEnvironment, options: RunOptions, invocation: SlmgrInvocation): Promise<Report> {
  if (invocation.kind === 'extension' && invocation.name === 'check') {
    try {
      return await runCheck(invocation.args, options, io);
    } catch (error) {
      return nagiosUnknown(await errorReport(error, 'check'), invocation.args);
    }
  }
  if (invocation.kind === 'extension') {
    try {
      return await runLab(invocation.args, options, io);
    } catch (error) {
      return await errorReport(error, `lab ${invocation.args[0] ?? ''}`.trim());
    }
  }
  if (invocation.kind !== 'switch') return invocationReport(invocation, options);
  const target: { machine: string | null } = { machine: null };
  try {
    return await runSwitch(invocation, options, io, target);
  } catch (error) {
    return { ...(await errorReport(error, invocation.spec.name)), machine: target.machine };
  }
}

export async function run(io: CliEnvironment): Promise<number> {
  const parsed = parseCommandLine(io.argv);
  let options: RunOptions;
  let report: Report;
  try {
    if (parsed.flagErrors.length > 0) throw new OptionError(parsed.flagErrors.join('; '));
    options = resolveOptions(parsed.flags, io.env);
  } catch (error) {
    // The options themselves are unusable: answer in the most useful mode we can tell.
    options = { json: wantsJson(parsed.flags, io.env), store: undefined, backend: 'sim', now: undefined, exitCodes: 'posix', color: false, network: DEFAULT_NETWORK_OPTIONS };
    report = await errorReport(error, null);
    const { invocation } = parsed;
    if (invocation.kind === 'extension' && invocation.name === 'check') report = nagiosUnknown({ ...report, command: 'check' }, invocation.args);
    return emit(io, options, report);
  }
  if (parsed.flags.version) {
    const version = packageVersion();
    report = { outcome: { kind: 'success' }, command: 'version', machine: null, lines: [`slmgr ${version}`], result: { version }, error: null, diagnostics: [] };
  } else if (parsed.flags.help && parsed.invocation.kind === 'extension') {
    report = await buildReport(io, options, { ...parsed.invocation, args: [...parsed.invocation.args, '--help'] });
  } else if (parsed.flags.help) {
    report = helpReport();
  } else {
    report = await buildReport(io, options, parsed.invocation);
  }
  return emit(io, options, report);
}

async function emit(io: CliEnvironment, options: RunOptions, report: Report): Promise<number> {
  const exitCode = report.exitCode ?? exitCodeFor(report.outcome, options.exitCodes);
  const eol = io.platform === 'win32' ? '\r\n' : '\n';
  const diagnostics = report.diagnostics.map((line) => line + eol).join('');
  if (options.json) {
    io.stdout.write(renderJson({
      command: report.command,
      machine: report.machine,
      ok: report.outcome.kind === 'success',
      exitCode,
      result: report.result,
      error: report.error,
    }));
    // slmgr's own error line is useful to a person watching a JSON run; it goes to stderr. Our own
    // reports (the health check) are all in the document already.
    const stderrLines = !report.error ? [] : report.slmgrEcho === false ? [report.error.message] : report.outcome.kind !== 'usage' ? report.lines : [report.error.message];
    io.stderr.write(stderrLines.map((line) => line + eol).join('') + diagnostics);
    return exitCode;
  }
  let lines = report.lines;
  if (lines.length > 0 && useColor(options, io.stdout.isTTY === true, io.env)) {
    lines = await (await import('../render/color.js')).colorize(lines);
  }
  // slmgr buffers its lines and echoes the buffer at exit, which always adds one empty line.
  if (lines.length > 0) io.stdout.write(lines.map((line) => line + eol).join('') + (report.slmgrEcho === false ? '' : eol));
  if (diagnostics) io.stderr.write(diagnostics);
  return exitCode;
}

export async function main(): Promise<void> {
  // A closed pipe (| head) is the reader's choice; any other failed write (a full disk) is not
  // silent: it is reported, and the exit code says the output is incomplete.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') return;
    process.stderr.write(`slmgr: could not write the output: ${error.message}\n`);
    process.exitCode = POSIX_EXIT_CODES.output;
  });
  process.exitCode = await run({
    argv: process.argv.slice(2),
    env: process.env,
    platform: process.platform,
    stdout: process.stdout,
    stderr: process.stderr,
    hostname: hostname(),
    homedir: homedir(),
    dnsSuffix: systemDnsSuffix(),
    onInterrupt: (abort) => {
      process.once('SIGINT', abort);
      return () => process.off('SIGINT', abort);
    },
  });
}

/**
 * The DNS suffix a KMS client searches in: the domain part of an FQDN hostname; else on Windows
 * the session's USERDNSDOMAIN (the primary suffix itself is not visible to Node), elsewhere the
 * first `search` (or `domain`) entry of /etc/resolv.conf. /skms-domain or --domain can name it.
 */
function systemDnsSuffix(): string | null {
  const name = hostname();
  const dot = name.indexOf('.');
  if (dot > 0) return name.slice(dot + 1).toLowerCase();
  // A domain-joined Windows session names its domain; hostname() there is the bare computer name.
  if (process.platform === 'win32') return process.env.USERDNSDOMAIN?.toLowerCase() || null;
  try {
    const conf = readFileSync('/etc/resolv.conf', 'utf8');
    const match = /^\s*(?:search|domain)\s+([^\s#]+)/m.exec(conf);
    return match?.[1]?.replace(/\.$/, '').toLowerCase() ?? null;
  } catch {
    return null;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
