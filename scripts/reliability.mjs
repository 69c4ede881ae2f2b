// `npm run test:reliability` (after the build): runs the reliability and security suite
// (vitest.reliability.config.ts, test/reliability/), collects the figures each test records, and —
// when every part ran and passed — writes them into docs/reliability.md between its
// `<!-- figures:begin -->` and `<!-- figures:end -->` markers. Extra arguments go to vitest (a file
// filter runs part of the suite; the docs are then left alone). `--no-docs` never writes them.

import { spawnSync } from 'node:child_process';
import { cpus, tmpdir } from 'node:os';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const docs = join(root, 'docs', 'reliability.md');
const args = process.argv.slice(2);
const writeDocs = !args.includes('--no-docs');
const vitestArgs = args.filter((a) => a !== '--no-docs');

const figuresDir = mkdtempSync(join(tmpdir(), 'slmgr-reliability-figures-'));
const started = performance.now();
const run = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '-c', 'vitest.reliability.config.ts', ...vitestArgs], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SLMGR_RELIABILITY_FIGURES: figuresDir },
});
const wallSeconds = (performance.now() - started) / 1000;

const figures = Object.fromEntries(
  readdirSync(figuresDir).filter((f) => f.endsWith('.json')).map((f) => {
    const data = JSON.parse(readFileSync(join(figuresDir, f), 'utf8'));
    return [data.group, data];
  }),
);
rmSync(figuresDir, { recursive: true, force: true });

const REQUIRED = ['load', 'busy', 'crash', 'fuzz-cli-inprocess', 'fuzz-cli-spawned', 'fuzz-network', 'bad-files', 'secrets-e2e', 'secrets-lab-keys', 'file-modes', 'written-paths'];
const missing = REQUIRED.filter((g) => !figures[g]);
console.log(`\nReliability suite: ${run.status === 0 ? 'passed' : 'FAILED'} in ${wallSeconds.toFixed(0)} s; figures from ${Object.keys(figures).length} parts${missing.length ? ` (not run: ${missing.join(', ')})` : ''}.`);

const n = (x) => (typeof x === 'number' ? x.toLocaleString('en-US') : String(x));

function render(f) {
  const { load, busy, crash, network } = { load: f.load, busy: f.busy, crash: f.crash, network: f['fuzz-network'] };
  const fuzz = f['fuzz-cli-inprocess'];
  const spawned = f['fuzz-cli-spawned'];
  const files = f['bad-files'];
  const e2e = f['secrets-e2e'];
  const labKeys = f['secrets-lab-keys'];
  const written = f['written-paths'];
  const cpu = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  const crashRows = Object.entries(crash.scenarios)
    .map(([name, s]) => `| ${name} | ${s.commandMs === undefined ? 'whole process' : `${s.commandMs} ms`} | ${s.trials} | ${s.killed} | ${s.walFrames} | ${s.before} | ${s.after} |`)
    .join('\n');
  const exits = Object.entries(fuzz.byExitCode).sort(([a], [b]) => (Number(a) < 0) - (Number(b) < 0) || Math.abs(Number(a)) - Math.abs(Number(b))).map(([code, count]) => `${code}: ${n(count)}`).join(', ');
  return `Last run: ${new Date().toISOString()}, Node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} × ${cpu}.
The whole suite took ${wallSeconds.toFixed(0)} s (the build before it not included). Nothing was lost in any part.

| part | held | what was checked |
| --- | --- | --- |
| 1. Load | **${load.processes} processes × ${load.clientsPerProcess} clients**, all at once on one store: ${n(load.firstActivations)} first activations + ${n(load.reactivations)} re-activations = ${n(load.activations)} KMS requests in ${n(load.commands)} commands (${n(load.spawnedCommands)} of them separate \`slmgr\` processes) | host count ${load.hostCount}, ${n(load.hostTotalRequests)} requests counted, every counter equal to its events, ${n(load.firstActivations)} client records; **${load.lockErrors} lock errors**; slowest command ${n(load.commandMsMax)} ms (p99 ${n(load.commandMsP99)} ms) against the ${n(load.busyTimeoutMs)} ms busy timeout; a store held longer gave up after ${n(busy.gaveUpAfterMs)} ms with \`busy\` (exit 4) |
| 2. Crash safety | **${n(crash.killed)} processes killed** with SIGKILL in the middle of a command (${n(crash.trials)} trials) | every store opened, passed \`PRAGMA integrity_check\` and the invariant check, and held exactly the state before (${n(crash.before)}) or after (${n(crash.after)}) the command; ${n(crash.killedWithWalFrames)} kills left committed or half-written WAL frames to recover |
| 3. Bad input, CLI | **${n(fuzz.cases + spawned.cases)} generated command lines** (${n(fuzz.cases)} through \`run()\`, ${n(spawned.cases)} as processes) | 0 undocumented exit codes, 0 stack traces, 0 unhandled rejections; ${n(fuzz.rejectedUnchanged)} of ${n(fuzz.rejected)} failed commands left the store byte-identical, the other ${n(fuzz.failedWithWork)} were activations that reached a host and recorded the attempt (documented) |
| 4. Bad input, network | **${n(network.cases)} mutated host answers** over loopback sockets, plus the CLI against 9 hostile hosts | ${n(network.protocolErrors)} \`KmsProtocolError\`, ${n(network.connectionErrors)} \`KmsConnectionError\`, ${n(network.accepted)} answers accepted unchanged, ${n(network.acceptedUnauthenticatedV5)} accepted with an altered V5 field that V5 does not authenticate, **${network.otherErrors} errors of any other kind**; longest case ${n(network.longestCaseMs)} ms (timeout ${network.timeoutMs} ms per phase, two phases per connection, up to three connections); ${(network.floodBytesOffered / 2 ** 20).toFixed(0)} MB offered by ${n(network.floodCases)} flooding hosts, client array buffers grew by ${network.peakArrayBufferGrowthMB} MB at most, heap ${network.heapGrowthAfterGcMB} MB after GC |
| 5. Bad input, files | **${n(files.kinds)} kinds of unusable store** × 8 commands × text and JSON (${n(files.commandsRefused)} refusals) + real processes (${n(files.spawnedRefused)}) | exit 4 with one line naming the file and the fix, the file byte-identical, no side files; unreadable / read-only / unwritable directory: ${files.unprivileged}; read-only file system: ${files.readOnlyFs}; full file system: ${files.fullFs} |
| 6. Secrets | **${n(e2e.processesCaptured)} end-to-end processes** captured (${n(e2e.processesGivenASecretKey)} given a secret key), ${n(e2e.bytesScanned)} bytes of their output scanned for ${e2e.secretKeysChecked} secret keys; ${labKeys.keys} lab host keys (and a typo of each) through ${n(labKeys.commands)} commands, the store file and its events | **${e2e.leaks} full keys** shown; store 0600 and its new directories 0700 under umask 000; ${written.traced ? `${n(written.writeSyscallPaths)} written paths traced with strace over ${written.commands} commands, ${written.outside} outside the store's directory` : `strace not available: checked by listing HOME, TMPDIR and the working directory`} |

Kills by scenario (a command's time is its own work in the killed process: opening the store,
the transaction, the commit and the checkpoint when it closes):

| scenario | command | trials | killed mid-command | WAL frames left | state before | state after |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${crashRows}

Exit codes of the in-process fuzz cases (negative: \`--exit-codes slmgr\`): ${exits}.

Seeds of this run (set \`SLMGR_RELIABILITY_SEED\` to replay one): crash ${crash.seed}, CLI ${fuzz.seed},
network ${network.seed}.`;
}

if (run.status === 0 && missing.length === 0 && writeDocs) {
  const text = readFileSync(docs, 'utf8');
  const begin = '<!-- figures:begin -->';
  const end = '<!-- figures:end -->';
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${docs} has no ${begin} … ${end} block`);
  writeFileSync(docs, `${text.slice(0, a + begin.length)}\n${render(figures)}\n${text.slice(b)}`);
  console.log(`Figures written to ${docs}.`);
} else if (run.status === 0 && writeDocs) {
  console.log('Part of the suite ran: docs/reliability.md left as it is.');
}
process.exit(run.status ?? 1);
