#!/usr/bin/env node
// The README's main job: a complete KMS lab on the embedded simulator, on a fresh clone.
//
//   npm run lab-demo            # run it in a fresh temporary store, then remove the store
//   npm run lab-demo -- --keep  # keep the store to explore it afterwards
//
// Every step spawns the built bin (bin/slmgr.js) the way a shell does and echoes the command line
// before its output. The clock is fixed (SLMGR_NOW) and TZ is UTC, so the output is the same on
// every run except the random parts (CMIDs, and the Installation IDs derived from them). The lab
// host key is a LAB KEY from fixtures/lab/host-keys.json; it is shown masked, like slmgr shows it.
// Exits 0 when every step did what it should, 1 otherwise (the failing step's output is printed).

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'slmgr.js');

const START = '2026-11-25T12:00:00Z';
/** Two hours later: a KMS client retries a failed activation every activation interval (120 minutes). */
const RETRY = '2026-11-25T14:00:00Z';
const HOST = 'kms01';
const DOMAIN = 'lab.test';
const CLIENTS = 25;
const ENTERPRISE_GVLK = 'NPPR9-FWDCX-D2C8J-H872K-2YT43'; // public KMS client key (Windows Enterprise)

const USAGE = `Usage: npm run lab-demo [-- --keep]

Runs a complete KMS lab on the embedded simulator in a fresh temporary store:
a KMS host with a lab host key, its DNS SRV record, ${CLIENTS} Windows Enterprise clients, /dlv of both, and the health check.
  --keep    keep the temporary store afterwards (its path is printed)
  --help    this text`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
const unknown = args.filter((a) => a !== '--keep');
if (unknown.length > 0) {
  console.error(`lab-demo: unknown argument ${unknown[0]}\n\n${USAGE}`);
  process.exit(1);
}
const keep = args.includes('--keep');

if (!existsSync(join(root, 'dist', 'bundle', 'main.js'))) {
  console.error('lab-demo: the CLI is not built (dist/ is missing). Run "npm run build" (npm ci does it too).');
  process.exit(1);
}

const labKeys = JSON.parse(readFileSync(join(root, 'fixtures', 'lab', 'host-keys.json'), 'utf8'));
const hostKey = labKeys.find((k) => k.id === 'ws2022');
if (!hostKey) {
  console.error('lab-demo: fixtures/lab/host-keys.json has no "ws2022" lab key.');
  process.exit(1);
}
const lastGroup = hostKey.key.split('-').at(-1);
const maskedHostKey = `XXXXX-XXXXX-XXXXX-XXXXX-${lastGroup}`;

const dir = await mkdtemp(join(tmpdir(), 'slmgr-lab-demo-'));
const store = join(dir, 'lab.db');

const env = { ...process.env };
for (const name of Object.keys(env)) if (name.startsWith('SLMGR_') || name === 'FORCE_COLOR') delete env[name];
Object.assign(env, { SLMGR_STORE: store, SLMGR_NOW: START, TZ: 'UTC' });

let interrupted = false;
process.on('SIGINT', () => {
  interrupted = true;
});

function cleanUp() {
  if (keep) {
    console.log(`Kept the lab store: ${store}`);
    console.log(`Explore it: SLMGR_STORE=${store} SLMGR_NOW=${RETRY} node bin/slmgr.js lab machines`);
  } else {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fail(message, result) {
  console.error(`\nlab-demo: FAILED: ${message}`);
  if (result && !result.echoed) {
    if (result.stdout) console.error(`--- stdout ---\n${result.stdout.trimEnd()}`);
    if (result.stderr) console.error(`--- stderr ---\n${result.stderr.trimEnd()}`);
  }
  cleanUp();
  process.exit(interrupted ? 130 : 1);
}

function say(...lines) {
  for (const line of lines) console.log(`# ${line}`);
}

/**
 * Runs `slmgr <argv>` and checks it. `shown` is the command line as echoed (the host key masked);
 * `compact` prints the command and the last line of its output on one line.
 */
function slmgr(argv, { shown = argv, expectStatus = 0, compact = false } = {}) {
  const result = spawnSync(process.execPath, [bin, ...argv], { env, encoding: 'utf8' });
  if (interrupted || result.signal === 'SIGINT') fail('interrupted');
  const stdout = (result.stdout ?? '').replace(/\r\n/g, '\n');
  const stderr = (result.stderr ?? '').replace(/\r\n/g, '\n');
  // The CLI never prints a lab key in full; the demo checks it rather than trusting it.
  if (stdout.includes(hostKey.key) || stderr.includes(hostKey.key)) fail(`slmgr ${shown.join(' ')} printed the host key in full`);
  const commandLine = `$ slmgr ${shown.join(' ')}`;
  if (compact) {
    console.log(`${commandLine}  ->  ${stdout.trimEnd().split('\n').at(-1) ?? ''}`);
  } else {
    console.log(commandLine);
    process.stdout.write(stdout);
    if (stderr) process.stderr.write(stderr);
  }
  if (result.error) fail(`could not run ${bin}: ${result.error.message}`);
  // Output already echoed is not repeated when the step fails; a compact line's output is.
  const run = { stdout, stderr, status: result.status, echoed: !compact };
  if (result.status !== expectStatus) fail(`slmgr ${shown.join(' ')} exited ${result.status} (expected ${expectStatus})`, run);
  return run;
}

function expect(condition, message, result) {
  if (!condition) fail(message, result);
}

console.log('slmgr lab demo: a complete KMS lab on the embedded simulator (sim backend)');
console.log(`Store: ${store} (temporary${keep ? '; kept at the end' : '; removed at the end, --keep keeps it'})`);
console.log(`Clock: SLMGR_NOW=${START}, TZ=UTC`);
console.log('');

say(`1. Make ${HOST} a KMS host: install the "ws2022" lab host key (a LAB KEY, lab-only key group,`,
  '   behaves like a Windows Server 2022 CSVLK; see docs/lab-keys.md). slmgr shows it masked.');
let r = slmgr([HOST, '/ipk', hostKey.key], { shown: [HOST, '/ipk', maskedHostKey] });
expect(r.stdout.includes(`Installed product key ${maskedHostKey} successfully.`), '/ipk did not install the lab host key', r);

say('2. Activate the host key with the (simulated) Microsoft activation service.');
r = slmgr([HOST, '/ato']);
expect(r.stdout.includes('Product activated successfully.'), `${HOST} /ato did not activate`, r);

say(`3. An activated host with DNS publishing on publishes _vlmcs._tcp.${DOMAIN} in the lab DNS.`);
r = slmgr(['lab', 'dns', 'list', DOMAIN]);
expect(r.stdout.includes(`svr hostname   = ${HOST}.${DOMAIN}`), `no SRV record for ${HOST}.${DOMAIN} in ${DOMAIN}`, r);

say(`4. Create ${CLIENTS} Windows Enterprise clients with the public GVLK; each finds ${HOST} through DNS and asks it.`,
  `   A Windows client needs a count of 25: the first ${CLIENTS - 1} get 0xC004F038 and stay in grace.`);
r = slmgr(['lab', 'clients', '--count', String(CLIENTS), '--key', ENTERPRISE_GVLK]);
const tally = /Activated: (\d+); failed: (\d+)/.exec(r.stdout);
expect(tally !== null, 'lab clients printed no tally', r);
const activatedAtOnce = Number(tally[1]);
const failedAtOnce = Number(tally[2]);
expect(activatedAtOnce + failedAtOnce === CLIENTS && activatedAtOnce >= 1, `expected ${CLIENTS} clients, at least one activated`, r);
// On a fresh lab every new CMID raises the count by one, so the clients below the threshold are
// the first ones created; the ones listed must say so.
const names = Array.from({ length: CLIENTS }, (_, i) => `client${String(i + 1).padStart(3, '0')}`);
const retry = names.slice(0, failedAtOnce);
for (const [, machine, hresult] of r.stdout.matchAll(/^ {2}(\S+): (0x[0-9A-F]{8})$/gm)) {
  expect(retry.includes(machine) && hresult === '0xC004F038', `unexpected failure ${machine}: ${hresult}`, r);
}

if (retry.length > 0) {
  say(`5. Each client retries every activation interval (120 minutes). Two hours later the count is ${CLIENTS}:`);
  const [first, ...rest] = retry;
  r = slmgr([first, '/ato', '--now', RETRY]);
  expect(r.stdout.includes('Product activated successfully.'), `${first} did not activate on retry`, r);
  for (const name of rest) {
    r = slmgr([name, '/ato', '--now', RETRY], { compact: true });
    expect(r.stdout.includes('Product activated successfully.'), `${name} did not activate on retry`, r);
  }
  console.log('');
}

say(`6. The host: current count, listening port, DNS publishing, priority, and the request counters.`);
r = slmgr([HOST, '/dlv', '--now', RETRY]);
const count = Number(/Current count: (\d+)/.exec(r.stdout)?.[1]);
expect(count === CLIENTS, `${HOST} reports a count of ${count}, expected ${CLIENTS}`, r);

say('7. A client: Licensed for 180 days, with the host it found in DNS and the host\'s ePID.');
r = slmgr(['client001', '/dlv', '--now', RETRY]);
expect(r.stdout.includes('License Status: Licensed'), 'client001 is not Licensed', r);
expect(r.stdout.includes(`KMS machine name from DNS: ${HOST}.${DOMAIN}:1688`), `client001 did not get ${HOST} from DNS`, r);

say('8. The health check walks every layer a client goes through, from DNS to the count (docs/check.md).');
r = slmgr(['check', '--domain', DOMAIN, '--now', RETRY]);
expect(/^Result: OK - /m.test(r.stdout), 'the health check of the lab did not pass', r);

console.log(`Summary: ${HOST} (Windows Server 2022 lab host key ...${lastGroup}) is activated and published in ${DOMAIN}; ` +
  `count ${count}; ${activatedAtOnce + retry.length}/${CLIENTS} Windows Enterprise clients Licensed ` +
  `(${activatedAtOnce} at once, ${retry.length} on their 2-hour retry).`);
cleanUp();
