// A real DNS server for tests: dnsmasq (Debian package `dnsmasq-base`) on a free loopback port,
// configured from a generated file, answering before `startDnsmasq` returns, stopped by `stop()`.
// Plus `startSilentUdpServer`, a "DNS server" that reads queries and never answers.
//
// What dnsmasq 2.90 answers (checked by hand, and by test/discovery/dns.test.ts):
// - `srv-host` / `host-record` names: the records (with a 512-byte UDP limit and no EDNS in the
//   query, a long SRV answer comes back with TC set and dnsmasq serves it whole over TCP);
// - other names under a `localDomains` entry (`local=/lab.test/`): NXDOMAIN, or NOERROR without
//   data for an existing name asked for a type it does not have;
// - names outside them, with no upstream: REFUSED;
// - forwarded names when `dnssecServfail` is set: SERVFAIL. A dead upstream does not give SERVFAIL
//   (dnsmasq just never answers), but a validating dnsmasq whose trust anchor the upstream cannot
//   satisfy does ("validation … is ABANDONED"), immediately.

import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import packet from 'dns-packet';

export const DNSMASQ_INSTALL_HINT = 'dnsmasq is required for the DNS tests: install it with `apt-get install -y dnsmasq-base` (Debian/Ubuntu), or set DNSMASQ=/path/to/dnsmasq';

export interface SrvHost {
  /** e.g. `_vlmcs._tcp.lab.test` */
  name: string;
  target: string;
  port: number;
  priority?: number;
  weight?: number;
}

export interface DnsmasqOptions {
  srv?: readonly SrvHost[];
  /** `host-record`: A/AAAA records. */
  hosts?: readonly { name: string; address: string }[];
  /** Answered from local data only: unknown names in them are NXDOMAIN. */
  localDomains?: readonly string[];
  /** Upstream servers, `server=` values, e.g. `127.0.0.1#5353` or `/corp.test/127.0.0.1#5353`. */
  servers?: readonly string[];
  /** Validate forwarded answers against a root trust anchor no upstream can satisfy: SERVFAIL. */
  dnssecServfail?: boolean;
  /** Also listen on ::1 when the machine has IPv6 loopback. */
  ipv6?: boolean;
}

export interface Dnsmasq {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Whether it also listens on [::1]:port. */
  readonly ipv6: boolean;
  /** What dnsmasq logged so far (queries included). */
  log(): string;
  stop(): Promise<void>;
}

/** The dnsmasq binary; throws with the install hint when there is none (tests must not skip). */
export function findDnsmasq(): string {
  const fromEnv = process.env.DNSMASQ;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`DNSMASQ=${fromEnv} does not exist. ${DNSMASQ_INSTALL_HINT}`);
    return fromEnv;
  }
  // /usr/sbin is not on every non-root PATH.
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (dir && existsSync(join(dir, 'dnsmasq'))) return join(dir, 'dnsmasq');
  }
  throw new Error(`dnsmasq not found on PATH or in /usr/sbin. ${DNSMASQ_INSTALL_HINT}`);
}

/** A port free for both UDP and TCP on 127.0.0.1 (and ::1 when asked) at the time of asking. */
async function freePort(ipv6: boolean): Promise<number> {
  const udp = createSocket('udp4');
  const port = await new Promise<number>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(0, '127.0.0.1', () => resolve(udp.address().port));
  });
  try {
    await canListenTcp(port, '127.0.0.1');
    if (ipv6) await canListenTcp(port, '::1');
  } finally {
    udp.close();
  }
  return port;
}

function canListenTcp(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

let ipv6Loopback: Promise<boolean> | undefined;
/** Whether ::1 can be bound here (CI containers sometimes have no IPv6 at all). */
export function hasIpv6Loopback(): Promise<boolean> {
  ipv6Loopback ??= new Promise((resolve) => {
    const socket = createSocket('udp6');
    socket.once('error', () => { socket.close(); resolve(false); });
    socket.bind(0, '::1', () => { socket.close(); resolve(true); });
  });
  return ipv6Loopback;
}

function configLines(options: DnsmasqOptions, port: number, ipv6: boolean): string[] {
  const lines = [
    `port=${port}`,
    'listen-address=127.0.0.1',
    ...(ipv6 ? ['listen-address=::1'] : []),
    'bind-interfaces',
    'no-resolv',
    'no-hosts',
    'no-poll',
    'log-queries',
    // Tests talk over loopback only; keep dnsmasq from touching /etc/hosts, DHCP, D-Bus, …
  ];
  for (const domain of options.localDomains ?? []) lines.push(`local=/${domain}/`);
  for (const server of options.servers ?? []) lines.push(`server=${server}`);
  for (const s of options.srv ?? []) lines.push(`srv-host=${s.name},${s.target},${s.port},${s.priority ?? 0},${s.weight ?? 0}`);
  for (const h of options.hosts ?? []) lines.push(`host-record=${h.name},${h.address}`);
  if (options.dnssecServfail) {
    // The real root KSK-2017 DS record: nothing behind a test upstream can be validated against it.
    lines.push('dnssec', 'trust-anchor=.,20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D');
  }
  return lines;
}

/** Starts dnsmasq and waits until it answers a query; retries on a port lost to a race. */
export async function startDnsmasq(options: DnsmasqOptions = {}): Promise<Dnsmasq> {
  const binary = findDnsmasq();
  const ipv6 = options.ipv6 === true && (await hasIpv6Loopback());
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await startOnce(binary, options, await freePort(ipv6), ipv6);
    } catch (error) {
      lastError = error;
      if (!/address already in use/i.test(String((error as Error).message))) throw error;
    }
  }
  throw lastError;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

async function startOnce(binary: string, options: DnsmasqOptions, port: number, ipv6: boolean): Promise<Dnsmasq> {
  const dir = await mkdtemp(join(tmpdir(), 'slmgr-dnsmasq-'));
  const conf = join(dir, 'dnsmasq.conf');
  await writeFile(conf, configLines(options, port, ipv6).join('\n') + '\n');
  // --keep-in-foreground: our child, so we can stop it. --user=root/--group=root: as root (CI),
  // stay root instead of switching to nobody/dip, which fails in containers without CAP_SETUID;
  // ignored when not started as root. --pid-file with no value: no pid file.
  const args = [`--conf-file=${conf}`, '--keep-in-foreground', '--log-facility=-', '--pid-file=', '--user=root', '--group=root'];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(`could not start ${binary}: ${error.message}`));
    child.once('exit', (code, signal) => resolve(`dnsmasq exited (${signal ?? `code ${code}`})`));
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await gone;
      clearTimeout(force);
    }
    running.delete(child);
    await rm(dir, { recursive: true, force: true });
  };

  const ready = await Promise.race([waitUntilAnswering(port, 5_000).then(() => null), exited]);
  if (ready !== null || child.exitCode !== null) {
    await stop();
    throw new Error(`dnsmasq did not start on 127.0.0.1:${port}: ${ready ?? 'no answer'}\n${output}`);
  }
  return { host: '127.0.0.1', port, ipv6, log: () => output, stop };
}

/** Sends a query every 50 ms until any answer (REFUSED is fine) comes back. */
async function waitUntilAnswering(port: number, timeoutMs: number): Promise<void> {
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      const query = packet.encode({ type: 'query', id: 1, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name: 'ready.invalid' }] });
      const tick = setInterval(() => socket.send(query, port, '127.0.0.1'), 50);
      const give = setTimeout(() => { clearInterval(tick); reject(new Error(`no answer on 127.0.0.1:${port} within ${timeoutMs} ms`)); }, timeoutMs);
      socket.on('error', () => undefined); // ICMP port unreachable until it listens
      socket.on('message', () => { clearInterval(tick); clearTimeout(give); resolve(); });
      socket.send(query, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

export interface SilentUdpServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Datagrams received so far. */
  readonly received: Buffer[];
  close(): Promise<void>;
}

/** A UDP "DNS server" that reads every query and never answers. */
export async function startSilentUdpServer(): Promise<SilentUdpServer> {
  const socket = createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (message: Buffer) => received.push(message));
  const port = await new Promise<number>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve(socket.address().port));
  });
  return { host: '127.0.0.1', port, received, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}
