// 3. Bad input on the command line: a property-based fuzzer (fast-check) over argv — switch names
// and prefixes, arities, product keys, ports, intervals, machine names, GUIDs, domains, durations,
// dates, option values, unicode and very long strings, in structured commands and in random
// token soup. Every case must end in a documented exit code, with no stack trace and no unhandled
// rejection, JSON that parses when JSON was asked for, and a byte-identical store whenever the
// command was rejected. Most cases run through run() in this process (thousands per second); a
// sample also runs as the real bin.

import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsConnectionError, type KmsTransport } from '../../src/backends/kms/transport.js';
import { parseCommandLine } from '../../src/cli/argv.js';
import { resolveOptions, wantsJson } from '../../src/cli/options.js';
import { SWITCHES } from '../../src/cli/switches.js';
import { CRASH_TEXT, DOCUMENTED_EXIT_CODES, LAB_HOST_KEYS, labKey, NOW, pool, PUBLIC_GVLKS, recordFigures, SERVER_2019, slmgrSpawn, STACK_FRAME, cleanEnv, suiteSeed, tempDir, WIN_ENTERPRISE, type TempDir } from './helpers/common.js';
import { runCli, script } from './helpers/inproc.js';
import { startNxdomainServer, type NxdomainServer } from './helpers/nxdomain.js';
import { openRaw, storeViolations } from './helpers/store-check.js';

const IN_PROCESS_CASES = Number(process.env.SLMGR_FUZZ_CASES ?? 6000);
const SPAWNED_CASES = Number(process.env.SLMGR_FUZZ_SPAWNED ?? 80);
const seed = suiteSeed();

/** slmgr mode: 0, 1, 74, or a failure HRESULT as a signed 32-bit number — but never E_UNEXPECTED (a bug). */
const E_UNEXPECTED_SIGNED = 0x8000ffff | 0;
const slmgrModeOk = (code: number) => code === 0 || code === 1 || code === 74 || (code < 0 && code >= -0x80000000 && code !== E_UNEXPECTED_SIGNED);

// ---------------------------------------------------------------------------------------------
// Generators

const caseFlip = (text: string) => fc.array(fc.boolean(), { minLength: text.length, maxLength: text.length }).map((flips) => [...text].map((c, i) => (flips[i] ? c.toUpperCase() : c.toLowerCase())).join(''));
const KEY_ALPHABET = 'BCDFGHJKMPQRTVWXY2346789';
const GVLK_SAMPLE = [...PUBLIC_GVLKS].filter((_, i) => i % 9 === 0);
const SKU_IDS = ['2e7a9ad1-a849-4b56-babe-17d5a29fe4b4', 'de32eafd-aaee-4662-9444-c1befb41bde2', '73111121-5638-40f6-bc11-f1d7b0d64300', 'fbdb3e18-a8ef-4fb3-9183-dffd60bd0984', '55c92734-d682-4d71-983e-d6ec3f16059f', '0ff1ce15-a989-479d-af46-f275c6370663'];

const longStrings = fc.constantFrom('A'.repeat(100_000), '/'.repeat(5000), '€'.repeat(20_000), `${'NPPR9-'.repeat(2000)}`, '-'.repeat(3000), '\u202e'.repeat(500), '𝕊'.repeat(4000), `kms01${'.lab'.repeat(2000)}`);
const oddStrings = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({ unit: 'binary-ascii', maxLength: 8 }),
  fc.constantFrom('', ' ', '\t', '\n', '\r\n', '""', "'", '`', '$HOME', '%PATH%', '../..', '\\\\server\\share', 'NUL', 'CON', '*', '?', '-', '--', '/', '//', '\u00a0', '\u200b', '\ufeff', 'ı', 'İ', 'ß', 'ﬀ'),
);

const productKey = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...GVLK_SAMPLE, WIN_ENTERPRISE, SERVER_2019) },
  { weight: 1, arbitrary: fc.constantFrom(...LAB_HOST_KEYS.map((k) => k.key)) },
  { weight: 3, arbitrary: fc.constantFrom(...GVLK_SAMPLE).chain((k) => fc.oneof(
    caseFlip(k),
    fc.constant(k.replace(/-/g, '')),
    fc.constant(k.replace(/-/g, '\u2010')),
    fc.constant(` ${k} `),
    fc.constant(`${k}-`),
    fc.constant(k.slice(0, -1)),
    fc.constant(`${k.slice(0, -1)}${k.endsWith('B') ? 'C' : 'B'}`),
    fc.constant(`${k}${k}`),
    fc.constant(k.replace(/N/g, 'M')),
  )) },
  { weight: 2, arbitrary: fc.array(fc.constantFrom(...KEY_ALPHABET), { minLength: 25, maxLength: 25 }).map((c) => c.join('').match(/.{5}/g)!.join('-')) },
  { weight: 1, arbitrary: fc.constantFrom('XXXXX-XXXXX-XXXXX-XXXXX-XXXXX', 'AAAAA-BBBBB-CCCCC-DDDDD-EEEEE', '00000-00000-00000-00000-00000', 'NPPR9-FWDCX-D2C8J-H872K', 'NPPR9FWDCXD2C8JH872K2YT43X', '٣٣٣٣٣-٣٣٣٣٣-٣٣٣٣٣-٣٣٣٣٣-٣٣٣٣٣') },
);
const port = fc.oneof(fc.constantFrom('1688', '0', '1', '65535', '65536', '-1', '+80', '080', '1e3', '0x50', ' 1688', '1688 ', '١٦٨٨', '99999999999999999999', '1.5', 'NaN', 'Infinity', '', '1688:1688'), fc.integer({ min: -70000, max: 140000 }).map(String));
const interval = fc.oneof(fc.constantFrom('15', '14', '43200', '43201', '120', '10080', '-15', '0', '1e2', '0x20', ' 60', '60.5', '', 'two hours', '١٢٠'), fc.integer({ min: -50000, max: 100000 }).map(String));
const machineName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('kms01', 'KMS01', 'kms02', 'srv001', 'srv006', 'off01', 'newbox', 'localhost', '.', 'relhost', 'kms01.lab.test', 'client001') },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'a'.repeat(300), 'ünïcødé', '🖥️pc', '..', 'C:', 'pc\n01', 'pc 01', '-pc', 'NUL', 'x'.repeat(64)) },
  { weight: 1, arbitrary: oddStrings },
);
const guid = fc.oneof(fc.constantFrom(...SKU_IDS), fc.constantFrom(...SKU_IDS).map((g) => g.toUpperCase()), fc.constantFrom(...SKU_IDS).map((g) => `{${g}}`), fc.uuid(), fc.constantFrom('All', 'all', 'ALL', '00000000-0000-0000-0000-000000000000', '2e7a9ad1-a849-4b56-babe', 'not-a-guid'));
const domain = fc.oneof(fc.constantFrom('lab.test', 'corp.test', 'LAB.TEST.', '', '.', 'a..b', `${'x'.repeat(64)}.test`, 'ex ample.com', 'xn--bcher-kva.example', 'bücher.de', '_vlmcs._tcp.lab.test', '-lead.test', 'a'.repeat(254)), fc.domain());
const hostPort = fc.oneof(fc.constantFrom('kms01', 'kms01:1688', 'kms01.lab.test:1700', ':1688', ':', 'kms01:', '[::1]:1688', '[::1', '::1', '10.0.0.2', '10.0.0.2:99999', 'host:port', 'kms01:1688:1688', '[fe80::1%eth0]:1688'), fc.tuple(machineName, port).map(([h, p]) => `${h}:${p}`));
const duration = fc.constantFrom('7d', '0d', '1m', '90m', '12h', '2w', '1y', '-1d', '1.5d', '7', 'd', '٧d', '999999m', '30d', '52w', '', ' 7d', '7D', '1000000m');
const isoDate = fc.oneof(fc.constantFrom(NOW, '2026-02-30', '2026-11-25', '2026-11-25T25:00:00Z', '1970-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '0000-01-01', '+275760-09-13', 'now', '', '2026-11-25T12:00:00+14:00', '2027-06-24T12:00:01Z', '2026-11-25 12:00'), fc.date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }).map((d) => d.toISOString()));
const durationOption = fc.constantFrom('5000', '500ms', '5s', '1.5s', '0', '600001', '10m', '-1', 'abc', '1e3', '1', '600000', ' 20ms', '20 MS');
const labWord = fc.constantFrom('lab', 'machines', 'dns', 'add', 'list', 'remove', 'events', 'firewall', 'block', 'allow', 'new-cmid', 'clone-cmid', 'domain', 'publish-domains', 'advance', 'clients', '--count', '--key', '--prefix', '--domain', '--no-activate', '--port', '--priority', '--weight', 'help', '-h', '--help', 'check');

const value = fc.oneof(productKey, port, interval, machineName, guid, domain, hostPort, duration, isoDate, oddStrings, { weight: 1, arbitrary: longStrings });

const switchName = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...SWITCHES.map((s) => s.name)) }, { weight: 1, arbitrary: fc.constantFrom('foo', 'ipk2', '', '?', 'ato ', 'ìpk', 'ip', 'dlv/', 'help', 'h', 'skms-domain=lab.test') });
const prefix = fc.oneof({ weight: 12, arbitrary: fc.constantFrom('/', '-') }, { weight: 1, arbitrary: fc.constantFrom('', '//', '--', '\\', 'C:/Program Files/Git/', 'C:\\Program Files\\Git\\usr\\') });
const switchToken = fc.tuple(prefix, switchName).chain(([p, name]) => fc.oneof({ weight: 3, arbitrary: fc.constant(name) }, { weight: 1, arbitrary: caseFlip(name) }).map((n) => `${p}${n}`));

/** What each switch takes, so most generated commands get past the parser and into the command. */
const ARGUMENTS: Record<string, fc.Arbitrary<string>> = {
  ipk: productKey,
  skms: hostPort,
  'skms-domain': domain,
  sprt: port,
  sai: interval,
  sri: interval,
  'act-type': fc.constantFrom('0', '1', '2', '3', '4', '-1', 'x', '', '02'),
  ilc: fc.constantFrom('/nonexistent/license.xrm-ms', '/', '/dev/null', '', 'license.xrm-ms', '/proc/self/status'),
  atp: fc.oneof(fc.constantFrom('123456-123456-123456-123456-123456-123456-123456-123456', '0', ''), oddStrings),
};
const typedArgs = (name: string, count: number) => fc.array(fc.oneof({ weight: 4, arbitrary: ARGUMENTS[name] ?? guid }, { weight: 1, arbitrary: guid }, { weight: 1, arbitrary: value }), { minLength: count, maxLength: count });
const slmgrCommand = fc.constantFrom(...SWITCHES).chain((spec) =>
  fc.tuple(
    fc.tuple(prefix, fc.oneof({ weight: 4, arbitrary: fc.constant(spec.name) }, { weight: 1, arbitrary: caseFlip(spec.name) })).map(([p, n]) => `${p}${n}`),
    fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: spec.required.length, max: spec.required.length + spec.optional }).chain((n) => typedArgs(spec.name, n)) },
      { weight: 1, arbitrary: fc.array(value, { maxLength: 4 }) },
    ),
  ).map(([token, args]) => [token, ...args]),
);

/** Global options; --store only ever points into the case's own directory (see `storeOption`). */
const flag = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(['--json'], ['--no-color'], ['--color'], ['--exit-codes', 'slmgr'], ['--exit-codes', 'posix'], ['--backend', 'sim'], ['--backend', 'kms'], ['--now', NOW], ['--now', '2027-06-24T12:00:01Z'], ['--now', '2026-12-30T00:00:00Z'], ['--timeout', '200ms'], ['--protocol', '5'], ['--domain', 'corp.test']) },
  { weight: 1, arbitrary: fc.constantFrom(['--JSON'], ['--help'], ['--version'], ['--'], ['--json=1'], ['--unknown'], ['-json'], ['--help=x']) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('--backend', '--BACKEND'), fc.constantFrom('sim', 'kms', 'KMS', 'tcp', '')) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('--now'), isoDate) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('--exit-codes'), fc.constantFrom('posix', 'slmgr', 'SLMGR', 'hresult', '')) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('--timeout', '--connect-timeout'), durationOption) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('--protocol'), fc.constantFrom('4', '5', '6', '6.0', '7', '', ' 6', '4.1')) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('--domain'), domain) },
  { weight: 1, arbitrary: fc.constantFrom(['--dns-server', 'a b'], ['--dns-server', '1.2.3.4:99999'], ['--dns-server', ':53'], ['--dns-server', '[::1'], ['--dns-server', '']) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('--timeout=', '--now=', '--backend=', '--exit-codes=', '--protocol='), value).map(([f, v]) => [`${f}${v}`]) },
).map((f): string[] => [...f]);

type Token = string | { store: 'case' | 'dir' | 'under-file' | 'empty' };
const storeOption = fc.constantFrom<Token[]>(['--store', { store: 'case' }], ['--store', { store: 'dir' }], ['--store', { store: 'under-file' }], ['--store', { store: 'empty' }]);

const structured = fc
  .tuple(
    fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 5, arbitrary: fc.tuple(machineName) }, { weight: 1, arbitrary: fc.tuple(machineName, oddStrings, oddStrings) }),
    fc.oneof({ weight: 5, arbitrary: slmgrCommand }, { weight: 1, arbitrary: fc.tuple(switchToken, fc.array(value, { maxLength: 3 })).map(([t, a]) => [t, ...a]) }),
    fc.array(flag, { maxLength: 2 }),
    fc.oneof({ weight: 7, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: storeOption }),
    fc.nat(),
  )
  .map(([machine, command, flags, store, position]) => {
    const argv: Token[] = [...(machine ?? []), ...command];
    for (const f of [...flags, ...(store ? [store] : [])]) argv.splice(position % (argv.length + 1), 0, ...f);
    return argv;
  });

const labSub = fc.oneof(
  fc.constant(['machines']),
  fc.tuple(fc.constantFrom('events', 'new-cmid'), machineName),
  fc.tuple(fc.constant('firewall'), machineName, fc.constantFrom('block', 'allow', 'open', '')),
  fc.tuple(fc.constant('clone-cmid'), machineName, machineName),
  fc.tuple(fc.constant('domain'), machineName, domain),
  fc.tuple(fc.constant('publish-domains'), machineName, fc.array(domain, { maxLength: 3 })).map(([c, m, d]) => [c, m, ...d]),
  fc.tuple(fc.constant('advance'), duration),
  fc.tuple(fc.constant('dns'), fc.constantFrom('list', 'remove'), domain),
  fc.tuple(fc.constant('dns'), fc.constant('add'), domain, hostPort, fc.constantFrom([], ['--port', '1700'], ['--priority', '70000'], ['--weight', 'x'], ['--port', '0'], ['--priority', '1', '--weight', '2'])).map(([a, b, c, d, o]) => [a, b, c, d, ...o]),
);
const labCommand = fc
  .tuple(fc.oneof({ weight: 3, arbitrary: labSub.map((x): string[] => [...x]) }, { weight: 1, arbitrary: fc.array(fc.oneof(labWord, labWord, value, machineName), { minLength: 1, maxLength: 7 }) }), fc.array(flag, { maxLength: 2 }))
  .map(([words, flags]) => ['lab', ...words, ...flags.flat()]);
const labClients = fc
  .tuple(fc.oneof(fc.constantFrom('1', '2', '3', '0', '-1', '1000000', 'x', ''), fc.integer({ min: 1, max: 4 }).map(String)), productKey, fc.option(fc.oneof(machineName, oddStrings), { nil: undefined }), fc.option(domain, { nil: undefined }), fc.boolean())
  .map(([count, key, prefix, dom, noActivate]) => ['lab', 'clients', '--count', count, '--key', key, ...(prefix === undefined ? [] : ['--prefix', prefix]), ...(dom === undefined ? [] : ['--domain', dom]), ...(noActivate ? ['--no-activate'] : [])]);
const soup = fc.array(fc.oneof(switchToken, value, labWord, flag.map((f) => f.join(' '))), { maxLength: 8 });

const argvArb = fc.oneof({ weight: 6, arbitrary: structured }, { weight: 2, arbitrary: labCommand }, { weight: 1, arbitrary: labClients }, { weight: 2, arbitrary: soup });
/** Now and then an SLMGR_* variable, valid or not (absent most of the time). */
const rarely = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
const envArb = fc.record({
  SLMGR_JSON: rarely(fc.constantFrom('1', 'true', 'no', 'maybe', '')),
  SLMGR_EXIT_CODES: rarely(fc.constantFrom('slmgr', 'posix', 'x')),
  SLMGR_BACKEND: rarely(fc.constantFrom('kms', 'sim', 'other')),
  SLMGR_TIMEOUT: rarely(durationOption),
});

// ---------------------------------------------------------------------------------------------
// Harness

let tmp: TempDir;
let base: string;
let baseHash: string;
let dns: NxdomainServer;
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The kms backend's transport in-process: every host refuses at once (no network is touched). */
const refusingTransport: KmsTransport = async (endpoint) => {
  throw new KmsConnectionError('refused', endpoint, 'connection refused (fuzz double)');
};

beforeAll(async () => {
  tmp = tempDir('slmgr-fuzz-');
  dns = await startNxdomainServer();
  base = tmp.path('base.db');
  await script(base, NOW, [
    ['kms01', '/ipk', labKey('ws2019')],
    ['kms01', '/ato'],
    ['lab', 'clients', '--count', '6', '--key', SERVER_2019, '--prefix', 'srv'],
    ['/ipk', WIN_ENTERPRISE],
    ['/skms', 'kms01.lab.test:1688'],
    ['off01', '/ipk', 'FXYTK-NJJ8C-GB6DW-3DYQT-6F7TH'],
    ['lab', 'dns', 'add', 'corp.test', 'kms01.lab.test', '--priority', '5'],
  ]);
  baseHash = sha(base);
  mkdirSync(tmp.path('a-directory'));
  writeFileSync(tmp.path('a-file'), 'x');
});
afterAll(async () => {
  await dns.close();
  tmp.cleanup();
});

interface CaseReport {
  argv: string[];
  env: Record<string, string | undefined>;
  status: number;
  problems: string[];
}

function materialise(argv: Token[], caseStore: string): string[] {
  return argv.map((t) => {
    if (typeof t === 'string') return t;
    switch (t.store) {
      case 'case':
        return caseStore;
      case 'dir':
        return tmp.path('a-directory');
      case 'under-file':
        return join(tmp.path('a-file'), 'store.db');
      case 'empty':
        return '';
    }
  });
}

/** How the CLI itself reads the options: JSON or text, which exit-code mode, which backend. */
function modes(argv: string[], env: Record<string, string | undefined>) {
  const parsed = parseCommandLine(argv);
  const json = wantsJson(parsed.flags, env as NodeJS.ProcessEnv);
  try {
    const options = resolveOptions(parsed.flags, env as NodeJS.ProcessEnv);
    return { json, exitCodes: parsed.flagErrors.length > 0 ? 'posix' : options.exitCodes, backend: options.backend, dnsServer: options.network.dnsServer, invocation: parsed.invocation };
  } catch {
    return { json, exitCodes: 'posix' as const, backend: 'sim' as const, dnsServer: undefined, invocation: parsed.invocation };
  }
}

/** The generic checks of one finished command: exit code, no stack trace, well-formed JSON. */
function outputProblems(status: number, stdout: string, stderr: string, mode: ReturnType<typeof modes>): string[] {
  const problems: string[] = [];
  if (mode.exitCodes === 'slmgr' ? !slmgrModeOk(status) : !DOCUMENTED_EXIT_CODES.has(status)) problems.push(`exit code ${status} is not documented`);
  if (STACK_FRAME.test(stdout) || STACK_FRAME.test(stderr)) problems.push('a stack trace in the output');
  if (CRASH_TEXT.test(stdout) || CRASH_TEXT.test(stderr)) problems.push('an internal error');
  if (mode.json) {
    try {
      const doc = JSON.parse(stdout) as { exitCode: unknown; ok: unknown };
      if (doc.exitCode !== status) problems.push(`JSON exitCode ${String(doc.exitCode)} but the process exits ${status}`);
      if (mode.exitCodes === 'posix' && doc.ok !== (status === 0)) problems.push(`JSON ok ${String(doc.ok)} with exit code ${status}`);
    } catch {
      problems.push('--json output is not one JSON document');
    }
  }
  return problems;
}

let caseNumber = 0;
const figures = { inProcess: 0, spawned: 0, skippedNetwork: 0, rejected: 0, rejectedUnchanged: 0, failedWithWork: 0, byExitCode: {} as Record<string, number> };
const failures: CaseReport[] = [];
let unhandled = 0;
const onUnhandled = () => {
  unhandled += 1;
};

/** A command that touches no network, in-process: the kms backend gets a refusing transport and our DNS server. */
function networkFree(mode: ReturnType<typeof modes>): boolean {
  if (mode.backend !== 'kms') return true;
  if (mode.invocation.kind === 'extension' && mode.invocation.name === 'check') return false;
  return mode.dnsServer === undefined || mode.dnsServer.host === '127.0.0.1';
}

async function inProcessCase(argvTokens: Token[], fuzzEnv: Record<string, string | undefined>): Promise<string[]> {
  const dir = tmp.path(`case-${caseNumber++ % 4}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  const store = join(dir, 'store.db');
  copyFileSync(base, store);
  const argv = materialise(argvTokens, store);
  const env = { SLMGR_STORE: store, SLMGR_NOW: NOW, SLMGR_DNS_SERVER: dns.address, ...fuzzEnv };
  const mode = modes(argv, env);
  if (!networkFree(mode)) {
    figures.skippedNetwork += 1;
    return [];
  }
  const r = await runCli(argv, { env, homedir: join(dir, 'home'), kmsInputs: { transport: refusingTransport } });
  figures.inProcess += 1;
  figures.byExitCode[r.status] = (figures.byExitCode[r.status] ?? 0) + 1;
  const problems = outputProblems(r.status, r.stdout, r.stderr, mode);

  const left = readdirSync(dir).filter((f) => f !== 'store.db');
  if (left.length > 0) problems.push(`files left next to the store: ${left.join(', ')}`);
  if (r.status !== 0) {
    figures.rejected += 1;
    if (sha(store) === baseHash) {
      figures.rejectedUnchanged += 1;
    } else {
      // Changed although it failed: only a command that did its work and reports a failure result
      // (an /ato that reached a host: events, counters) may do that. Ask it in JSON on a fresh copy.
      copyFileSync(base, store);
      const again = await runCli(['--json', ...materialise(argvTokens, store)], { env, homedir: join(dir, 'home'), kmsInputs: { transport: refusingTransport } });
      let result: unknown = null;
      try {
        result = (JSON.parse(again.stdout) as { result: unknown }).result;
      } catch {
        // not JSON: reported as a problem below
      }
      if (result === null) problems.push(`the store changed although the command was rejected (exit ${r.status})`);
      else figures.failedWithWork += 1;
      const db = openRaw(store);
      try {
        problems.push(...storeViolations(db, { structural: true }));
      } finally {
        db.close();
      }
    }
  }
  if (problems.length > 0) failures.push({ argv, env: fuzzEnv, status: r.status, problems });
  return problems.map((p) => `${p}\n--- stdout:\n${r.stdout.slice(0, 2000)}\n--- stderr:\n${r.stderr.slice(0, 2000)}`);
}

describe('fuzzing the command line', () => {
  it(`${IN_PROCESS_CASES} generated command lines through run(): documented exit codes, no stack traces, rejected commands change nothing`, async () => {
    process.on('unhandledRejection', onUnhandled);
    const started = performance.now();
    try {
      await fc.assert(
        fc.asyncProperty(argvArb, envArb, async (argv, env) => {
          const problems = await inProcessCase(argv, env);
          if (problems.length > 0) throw new Error(problems.join('\n'));
        }),
        { numRuns: IN_PROCESS_CASES, seed, endOnFailure: true },
      );
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    const wall = (performance.now() - started) / 1000;
    console.log(`[reliability] fuzz seed ${seed}; first failures: ${JSON.stringify(failures.slice(0, 3), null, 1).slice(0, 4000)}`);
    expect(failures.slice(0, 5)).toEqual([]);
    expect(unhandled).toBe(0);
    recordFigures('fuzz-cli-inprocess', { seed, cases: figures.inProcess, skippedNetwork: figures.skippedNetwork, rejected: figures.rejected, rejectedUnchanged: figures.rejectedUnchanged, failedWithWork: figures.failedWithWork, byExitCode: figures.byExitCode, wallSeconds: Number(wall.toFixed(1)) });
  }, 300_000);

  it(`${SPAWNED_CASES} generated command lines as real processes: no crash, no stack trace, documented exit codes`, async () => {
    const cases = fc.sample(fc.tuple(argvArb, envArb), { numRuns: SPAWNED_CASES * 3, seed: seed + 1 });
    const runnable: { argv: string[]; env: Record<string, string | undefined>; dir: string; mode: ReturnType<typeof modes> }[] = [];
    for (const [tokens, fuzzEnv] of cases) {
      if (runnable.length >= SPAWNED_CASES) break;
      const dir = tmp.path(`spawn-${runnable.length}`);
      const store = join(dir, 'store.db');
      const argv = materialise(tokens, store);
      const env = { SLMGR_STORE: store, SLMGR_NOW: NOW, SLMGR_DNS_SERVER: dns.address, ...fuzzEnv };
      const mode = modes(argv, env);
      // The real bin has no test transport: anything that would reach for the network is left to the in-process cases.
      if (mode.backend === 'kms' || argv.some((a) => a.includes('\0'))) continue;
      runnable.push({ argv, env, dir, mode });
    }
    const started = performance.now();
    const results = await pool(runnable, 2, async ({ argv, env, dir, mode }) => {
      mkdirSync(dir);
      const store = join(dir, 'store.db');
      copyFileSync(base, store);
      const r = await slmgrSpawn(argv, { env: cleanEnv(env), cwd: dir, timeoutMs: 60_000 });
      const problems = r.signal ? [`killed by ${r.signal}`] : outputProblems(r.status ?? -1, r.stdout, r.stderr, { ...mode, exitCodes: 'posix' });
      if (mode.exitCodes === 'slmgr') problems.splice(0, problems.length, ...problems.filter((p) => !p.startsWith('exit code') && !p.startsWith('JSON')));
      if (r.status !== 0 && mode.exitCodes === 'posix' && r.status !== 2 && r.status !== 5 && sha(store) !== baseHash) problems.push(`the store changed although the command was rejected (exit ${r.status})`);
      const left = readdirSync(dir).filter((f) => f !== 'store.db');
      if (left.length > 0) problems.push(`files left in the working directory: ${left.join(', ')}`);
      rmSync(dir, { recursive: true, force: true });
      return { argv, env, status: r.status ?? -1, problems };
    });
    const bad = results.filter((r) => r.problems.length > 0);
    expect(bad.slice(0, 5)).toEqual([]);
    recordFigures('fuzz-cli-spawned', { seed: seed + 1, cases: results.length, wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)) });
  }, 300_000);
});
