// One CI job of the load test (forked by load.test.ts). It waits for "go", then runs slmgr commands
// against the shared store one after another: most through the bundle's run() (each one a whole
// command: open the store, one transaction, close, exactly as a separate invocation does, without
// paying for a node start), some as real `node bin/slmgr.js` processes. It reports every exit code.
//
// argv: bundle bin store now prefix clients reactivateEvery spawnEvery key

import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';

const [bundle, bin, store, now, prefix, clientsArg, reactivateArg, spawnArg, key] = process.argv.slice(2);
const clients = Number(clientsArg);
const reactivateEvery = Number(reactivateArg);
const spawnEvery = Number(spawnArg);
const { run } = await import(bundle);

const env = { ...process.env, SLMGR_STORE: store, SLMGR_NOW: now, TZ: 'UTC' };
for (const name of Object.keys(env)) if (name.startsWith('SLMGR_') && name !== 'SLMGR_STORE' && name !== 'SLMGR_NOW') delete env[name];
const results = [];

async function inProcess(argv) {
  let stdout = '';
  let stderr = '';
  const started = performance.now();
  const status = await run({
    argv,
    env,
    platform: process.platform,
    stdout: { write: (s) => { stdout += s; } },
    stderr: { write: (s) => { stderr += s; } },
    hostname: hostname(),
    homedir: process.env.HOME ?? '/nonexistent',
    dnsSuffix: null,
  });
  results.push({ argv, status, ms: performance.now() - started, spawned: false, stdout: status === 0 ? '' : stdout, stderr });
}

function spawned(argv) {
  const started = performance.now();
  const r = spawnSync(process.execPath, [bin, ...argv], { env, encoding: 'utf8' });
  results.push({ argv, status: r.status, signal: r.signal, ms: performance.now() - started, spawned: true, stdout: r.status === 0 ? '' : r.stdout, stderr: r.stderr });
}

const name = (i) => `${prefix}${String(i).padStart(3, '0')}`;

process.once('message', async () => {
  try {
    // The clients, with the GVLK installed (no activation yet).
    await inProcess(['lab', 'clients', '--count', String(clients), '--key', key, '--prefix', prefix, '--no-activate']);
    // Each activates once, as its own command; a reader looks at the host now and then.
    for (let i = 1; i <= clients; i++) {
      const argv = [name(i), '/ato'];
      if (spawnEvery > 0 && i % spawnEvery === 0) spawned(argv);
      else await inProcess(argv);
      if (i % 10 === 0) await inProcess(['kms01', '/dlv', '--json']);
    }
    // Some activate again; every other one of those as a real process.
    let n = 0;
    for (let i = reactivateEvery; i <= clients; i += reactivateEvery) {
      const argv = [name(i), '/ato'];
      if (n++ % 2 === 0) spawned(argv);
      else await inProcess(argv);
    }
    process.send({ ok: true, results }, () => process.exit(0));
  } catch (error) {
    process.send({ ok: false, error: String(error?.stack ?? error), results }, () => process.exit(1));
  }
});
process.send('ready');
