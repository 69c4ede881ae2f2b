// DNS SRV lookups for KMS discovery (`_vlmcs._tcp.<domain>`), two ways:
//
// - the system resolver (node:dns `Resolver`, i.e. c-ares with the OS's server list), used when no
//   `--dns-server` is given;
// - a given DNS server (`--dns-server host[:port]`): our own query, encoded with dns-packet, over
//   UDP with the RD bit set, retried once, and over TCP when the answer comes back truncated.
//
// Either way the result is the raw SRV records in the server's order; choosing among them (RFC 2782
// priority and weight) is `orderSrvRecords` in srv.ts. Only SRV is looked up here: the KMS
// transport connects to the SRV targets by name through the OS resolver, even when `--dns-server`
// was given — like Windows, which asks its configured DNS servers for the targets' addresses
// (dnsmasq and Windows DNS hand them over as additional records anyway, which we do not use).

import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { lookup as osLookup, Resolver } from 'node:dns/promises';
import { randomInt } from 'node:crypto';
import { connect as tcpConnect, isIP } from 'node:net';
import packet, { type DecodedPacket } from 'dns-packet';
import { InterruptedError, NetworkError, OptionError } from '../errors.js';
import { DNS_PORT, parseDnsServer, type DnsServer } from './endpoint.js';
import type { SrvRecord } from './srv.js';

// `--dns-server` parsing lives in endpoint.ts (no networking code loaded to read options).
export { DNS_PORT, parseDnsServer, type DnsServer };

export const DEFAULT_DNS_TIMEOUT_MS = 5_000;

export interface SrvLookupOptions {
  /** Ask this server directly (`--dns-server`). Absent: the system resolver. */
  server?: DnsServer;
  /** The whole lookup, retries and TCP fallback included. Default 5000 ms. */
  timeoutMs?: number;
  /** Ctrl-C: the lookup stops at once with an InterruptedError. */
  signal?: AbortSignal;
  /**
   * System mode only: these servers instead of the OS's list, in `Resolver.setServers` form
   * (`'127.0.0.1:5353'`, `'[::1]:5353'`). For tests and API users; cannot be combined with `server`.
   */
  systemServers?: readonly string[];
}

export type DnsFailure =
  /** NXDOMAIN: the name does not exist. */
  | 'nxdomain'
  /** NOERROR without SRV records (NODATA), or only the "service not available" target `.`. */
  | 'no-records'
  /** SERVFAIL, and any other error rcode (FORMERR, NOTIMP, …): `rcode` says which. */
  | 'server-failure'
  /** REFUSED. */
  | 'refused'
  /** No answer before the timeout (a silent server, or packets dropped on the way). */
  | 'timeout'
  /** The server could not be reached: port unreachable, no route, TCP reset, its name does not resolve. */
  | 'network'
  /** An answer came, but it is not a DNS answer to our question. */
  | 'malformed';

const RCODE_NAMES: Readonly<Record<number, string>> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED',
  6: 'YXDOMAIN', 7: 'YXRRSET', 8: 'NXRRSET', 9: 'NOTAUTH', 10: 'NOTZONE',
};

/**
 * What Windows' own DNS client reports for the same outcome (DNS_ERROR_RCODE_* as HRESULTs, and
 * DNS_INFO_NO_RECORDS): slmgr /ato shows 0x8007232B when the SRV name does not exist.
 */
const WINDOWS_DNS_HRESULTS: Readonly<Record<number, number>> = {
  1: 0x80072329, 2: 0x8007232a, 3: 0x8007232b, 4: 0x8007232c, 5: 0x8007232d,
};
const DNS_INFO_NO_RECORDS = 0x8007251d;

/** A failed SRV lookup. `hresult` is 0xC004F074 (no KMS host could be contacted) like every NetworkError. */
export class DnsLookupError extends NetworkError {
  readonly reason: DnsFailure;
  /** The response code when a server answered with one (0 for no-records), else undefined. */
  readonly rcode: number | undefined;
  /** The name that was looked up, e.g. `_vlmcs._tcp.example.com`. */
  readonly query: string;
  /** `host:port` of the server asked, or `system resolver`. */
  readonly server: string;
  /** The HRESULT Windows' DNS client gives for this outcome (0x8007232B for NXDOMAIN, …), if it has one. */
  readonly windowsDnsHresult: number | undefined;

  constructor(reason: DnsFailure, query: string, server: string, message: string, details: { rcode?: number; cause?: unknown } = {}) {
    super(message, undefined, details.cause === undefined ? undefined : { cause: details.cause });
    this.reason = reason;
    this.rcode = details.rcode;
    this.query = query;
    this.server = server;
    this.windowsDnsHresult = reason === 'no-records' ? DNS_INFO_NO_RECORDS : details.rcode === undefined ? undefined : WINDOWS_DNS_HRESULTS[details.rcode];
  }
}

/**
 * The SRV records of `name`, in the order the server sent them. Rejects with a DnsLookupError
 * (any failure, including NXDOMAIN and an empty answer), an InterruptedError (the signal fired) or
 * an OptionError (`name` is not a valid DNS name).
 */
export async function lookupSrv(name: string, options: SrvLookupOptions = {}): Promise<SrvRecord[]> {
  const query = checkDnsName(name);
  const timeoutMs = options.timeoutMs ?? DEFAULT_DNS_TIMEOUT_MS;
  if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) throw new RangeError(`timeoutMs must be a positive number of milliseconds (got ${timeoutMs})`);
  if (options.server && options.systemServers) throw new OptionError('a DNS lookup takes either a server to ask directly or system resolver servers, not both');
  if (options.signal?.aborted) throw new InterruptedError();
  const server = options.server ? formatServer(options.server) : 'system resolver';
  const fail = (reason: DnsFailure, message: string, details?: { rcode?: number; cause?: unknown }): DnsLookupError =>
    new DnsLookupError(reason, query, server, message, details);

  // One signal for the whole lookup: it fires on our deadline (reason: a timeout error) or on
  // the caller's abort (reason: InterruptedError); every stage stops and cleans up on it.
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(fail('timeout', `no answer from ${describeServer(server)} within ${timeoutMs} ms`)), timeoutMs);
  const onAbort = (): void => stop.abort(new InterruptedError());
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return options.server
      ? await lookupDirect(query, { host: options.server.host.replace(/^\[(.*)\]$/, '$1'), port: options.server.port }, timeoutMs, stop.signal, fail)
      : await lookupSystem(query, options.systemServers, timeoutMs, stop.signal, fail);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

type Fail = (reason: DnsFailure, message: string, details?: { rcode?: number; cause?: unknown }) => DnsLookupError;

function formatServer({ host, port }: DnsServer): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

function describeServer(server: string): string {
  return server === 'system resolver' ? 'the system resolver' : server;
}

/** Lower-cased, without the trailing dot; OptionError unless every label is 1–63 printable ASCII bytes. */
function checkDnsName(name: string): string {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  const labels = bare.split('.');
  const ok = bare.length > 0 && bare.length <= 253 && labels.every((label) => label.length >= 1 && label.length <= 63 && /^[\x21-\x7e]+$/.test(label) && !label.includes('\\'));
  if (!ok) throw new OptionError(`"${name}" is not a valid DNS name`);
  return bare.toLowerCase();
}

/** Rejects with the stop signal's reason as soon as it fires. */
function stopped(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

// ---------------------------------------------------------------------------------------------
// System resolver (c-ares). It retries and falls back to TCP on truncation by itself.

const CARES_FAILURES: Readonly<Record<string, [DnsFailure, number | undefined, string]>> = {
  ENOTFOUND: ['nxdomain', 3, 'the name does not exist (NXDOMAIN)'],
  ENODATA: ['no-records', 0, 'the name has no SRV records (NOERROR, no data)'],
  ESERVFAIL: ['server-failure', 2, 'the DNS server failed (SERVFAIL)'],
  EFORMERR: ['server-failure', 1, 'the DNS server could not read the query (FORMERR)'],
  ENOTIMP: ['server-failure', 4, 'the DNS server does not implement the query (NOTIMP)'],
  EREFUSED: ['refused', 5, 'the DNS server refused the query (REFUSED)'],
  ETIMEOUT: ['timeout', undefined, 'no answer from the DNS server'],
  ECONNREFUSED: ['network', undefined, 'cannot reach the DNS server (connection refused)'],
  EBADRESP: ['malformed', undefined, 'malformed answer from the DNS server'],
  EBADFAMILY: ['network', undefined, 'unsupported address family for the DNS server'],
  ENOSERVER: ['network', undefined, 'no DNS server is configured'],
};

async function lookupSystem(query: string, servers: readonly string[] | undefined, timeoutMs: number, signal: AbortSignal, fail: Fail): Promise<SrvRecord[]> {
  // Two tries per server, each with half the budget; our own deadline still bounds the total.
  const resolver = new Resolver({ timeout: Math.max(1, Math.ceil(timeoutMs / 2)), tries: 2 });
  if (servers) {
    try {
      resolver.setServers([...servers]);
    } catch (error) {
      throw new OptionError(`not a list of DNS server addresses: ${servers.join(', ')} (${(error as Error).message})`);
    }
  }
  const onStop = (): void => resolver.cancel();
  signal.addEventListener('abort', onStop, { once: true });
  let records: { priority: number; weight: number; port: number; name: string }[];
  try {
    const answer = resolver.resolveSrv(query);
    answer.catch(() => undefined); // settled after a cancel; only the stop reason matters then
    records = await Promise.race([answer, stopped(signal)]);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const known = CARES_FAILURES[code];
    if (known) throw fail(known[0], `${known[2]} (${code} from the system resolver)`, { rcode: known[1], cause: error });
    throw fail('network', `the system resolver failed: ${(error as Error).message}`, { cause: error });
  } finally {
    signal.removeEventListener('abort', onStop);
  }
  return usable(records.map((r) => ({ priority: r.priority, weight: r.weight, port: r.port, target: r.name })), fail, 'NOERROR from the system resolver');
}

// ---------------------------------------------------------------------------------------------
// A given server: our own query.

const HEADER_BYTES = 12;
const QR = 0x8000;
const TC = 0x0200;
const OPCODE_MASK = 0x7800;

async function lookupDirect(query: string, server: DnsServer, timeoutMs: number, signal: AbortSignal, fail: Fail): Promise<SrvRecord[]> {
  const started = Date.now();
  const addresses = await Promise.race([serverAddresses(server, fail), stopped(signal)]);
  const id = randomInt(0, 0x10000);
  const request = packet.encode({ type: 'query', id, flags: packet.RECURSION_DESIRED, questions: [{ type: 'SRV', class: 'IN', name: query }] });
  let lastNetworkError: DnsLookupError | undefined;
  // A name may have several addresses (A and AAAA); go on to the next only when one is unreachable.
  for (const address of addresses) {
    const target = { address, port: server.port };
    try {
      // Retry once after half of what is left, so the retry still has time for its answer.
      const retryAfterMs = Math.max(1, Math.floor((timeoutMs - (Date.now() - started)) / 2));
      let answer = await udpExchange(request, id, target, retryAfterMs, signal, fail);
      if ((answer.readUInt16BE(2) & TC) !== 0) answer = await tcpExchange(request, id, target, signal, fail);
      return interpret(answer, query, fail, formatServer({ host: address, port: server.port }));
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (!(error instanceof DnsLookupError && error.reason === 'network')) throw error;
      lastNetworkError = error;
    }
  }
  throw lastNetworkError ?? fail('network', `${server.host} has no address`);
}

/** The server's addresses: an IP literal as is, a name through the OS resolver. */
async function serverAddresses(server: DnsServer, fail: Fail): Promise<string[]> {
  if (isIP(server.host) !== 0) return [server.host];
  try {
    const found = await osLookup(server.host, { all: true });
    if (found.length === 0) throw Object.assign(new Error('no addresses'), { code: 'ENOTFOUND' });
    return found.map((entry) => entry.address);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw fail('network', `cannot resolve the DNS server's name ${server.host} (${code})`, { cause: error });
  }
}

const SOCKET_FAILURES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'nothing listens on that port (connection refused)',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  EACCES: 'not allowed to send there',
};

function socketFailure(error: unknown, target: { address: string; port: number }, fail: Fail): DnsLookupError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const text = SOCKET_FAILURES[code] ?? (error as Error).message;
  return fail('network', `cannot reach the DNS server at ${formatServer({ host: target.address, port: target.port })}: ${text}${code ? ` (${code})` : ''}`, { cause: error });
}

/**
 * Sends the query over a connected UDP socket and resolves with the first datagram that answers
 * it: from the server's address and port, with our id, the QR bit set and opcode QUERY. Anything
 * else is ignored. Sends once more after `retryAfterMs` without an answer; the overall deadline
 * (`signal`) ends the wait.
 */
function udpExchange(request: Buffer, id: number, target: { address: string; port: number }, retryAfterMs: number, signal: AbortSignal, fail: Fail): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket: UdpSocket = createSocket(isIP(target.address) === 6 ? 'udp6' : 'udp4');
    let retry: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (error: unknown, answer?: Buffer): void => {
      if (done) return;
      done = true;
      clearTimeout(retry);
      signal.removeEventListener('abort', onStop);
      socket.close();
      if (answer) resolve(answer);
      else reject(error);
    };
    const onStop = (): void => finish(signal.reason);
    if (signal.aborted) return onStop();
    signal.addEventListener('abort', onStop, { once: true });
    const send = (): void => {
      if (!done) socket.send(request, (error) => { if (error) finish(socketFailure(error, target, fail)); });
    };
    // A connected socket also hears ICMP "port unreachable": recvmsg fails with ECONNREFUSED.
    socket.on('error', (error) => finish(socketFailure(error, target, fail)));
    let peer: { address: string; port: number } | undefined;
    socket.on('message', (message: Buffer, from: RemoteInfo) => {
      // The kernel already filters a connected socket's datagrams; check anyway, as resolvers do.
      if (peer === undefined || from.address !== peer.address || from.port !== peer.port) return;
      if (!answers(message, id)) return;
      finish(undefined, message);
    });
    socket.once('connect', () => {
      peer = socket.remoteAddress();
      send();
      retry = setTimeout(send, retryAfterMs);
    });
    socket.connect(target.port, target.address);
  });
}

/** Our id, a response (QR), opcode QUERY. The question itself is checked when decoded. */
function answers(message: Buffer, id: number): boolean {
  if (message.length < HEADER_BYTES) return false;
  const flags = message.readUInt16BE(2);
  return message.readUInt16BE(0) === id && (flags & QR) !== 0 && (flags & OPCODE_MASK) === 0;
}

/** RFC 1035 4.2.2 / RFC 7766: the same query with a 2-byte length prefix; one answer back. */
function tcpExchange(request: Buffer, id: number, target: { address: string; port: number }, signal: AbortSignal, fail: Fail): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: target.address, port: target.port });
    let buffered = Buffer.alloc(0);
    let done = false;
    const finish = (error: unknown, answer?: Buffer): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onStop);
      socket.destroy();
      if (answer) resolve(answer);
      else reject(error);
    };
    const onStop = (): void => finish(signal.reason);
    if (signal.aborted) return onStop();
    signal.addEventListener('abort', onStop, { once: true });
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16BE(request.length);
    socket.on('connect', () => socket.write(Buffer.concat([prefix, request])));
    socket.on('error', (error) => finish(socketFailure(error, target, fail)));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2) return;
      const length = buffered.readUInt16BE(0);
      if (buffered.length < 2 + length) return;
      const message = buffered.subarray(2, 2 + length);
      if (!answers(message, id)) finish(fail('malformed', `the answer over TCP from ${formatServer({ host: target.address, port: target.port })} does not match the query (id or flags)`));
      else finish(undefined, message);
    });
    socket.on('end', () => finish(fail('network', `the DNS server at ${formatServer({ host: target.address, port: target.port })} closed the TCP connection without a complete answer`)));
  });
}

function interpret(message: Buffer, query: string, fail: Fail, from: string): SrvRecord[] {
  let decoded: DecodedPacket;
  try {
    decoded = packet.decode(message);
  } catch (error) {
    throw fail('malformed', `undecodable answer from ${from}: ${(error as Error).message}`, { cause: error });
  }
  const question = decoded.questions?.[0];
  if (decoded.questions?.length !== 1 || question === undefined || question.type !== 'SRV' || question.name.toLowerCase() !== query) {
    throw fail('malformed', `the answer from ${from} is for another question (${question ? `${question.name} ${question.type}` : 'none'})`);
  }
  const rcode = message.readUInt16BE(2) & 0x000f;
  const rcodeName = RCODE_NAMES[rcode] ?? `rcode ${rcode}`;
  switch (rcode) {
    case 0:
      break;
    case 3:
      throw fail('nxdomain', `the name does not exist (NXDOMAIN from ${from})`, { rcode });
    case 5:
      throw fail('refused', `the DNS server refused the query (REFUSED from ${from})`, { rcode });
    case 2:
      throw fail('server-failure', `the DNS server failed (SERVFAIL from ${from})`, { rcode });
    default:
      throw fail('server-failure', `the DNS server answered ${rcodeName}${RCODE_NAMES[rcode] ? ` (rcode ${rcode})` : ''} (from ${from})`, { rcode });
  }
  // The SRV records owned by the name, or by the end of a CNAME chain starting at it.
  const owners = new Set([query]);
  const all = decoded.answers ?? [];
  for (let grew = true; grew;) {
    grew = false;
    for (const answer of all) {
      if (answer.type === 'CNAME' && owners.has(answer.name.toLowerCase()) && !owners.has(answer.data.toLowerCase())) {
        owners.add(answer.data.toLowerCase());
        grew = true;
      }
    }
  }
  const records: SrvRecord[] = [];
  for (const answer of all) {
    if (answer.type !== 'SRV' || (answer.class ?? 'IN') !== 'IN' || !owners.has(answer.name.toLowerCase())) continue;
    records.push({ priority: answer.data.priority ?? 0, weight: answer.data.weight ?? 0, port: answer.data.port, target: answer.data.target });
  }
  return usable(records, fail, `NOERROR from ${from}`);
}

/** RFC 2782: a lone target of "." means the service is decidedly not available at this domain. */
function usable(records: SrvRecord[], fail: Fail, from: string): SrvRecord[] {
  const real = records.filter((r) => r.target !== '' && r.target !== '.').map((r) => ({ ...r, target: r.target.replace(/\.$/, '') }));
  if (real.length > 0) return real;
  if (records.length > 0) throw fail('no-records', `the domain says the service is not available (SRV target ".", ${from})`, { rcode: 0 });
  throw fail('no-records', `the name has no SRV records (${from}, no data)`, { rcode: 0 });
}
