// SRV lookups against a real DNS server (dnsmasq on loopback), through both modes: our own query
// to a given server, and the system resolver pointed at the same server. Fake servers only where
// dnsmasq cannot misbehave the way we need (wrong ids, strangers, garbage).

import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsLookupError, lookupSrv, parseDnsServer, type SrvLookupOptions } from '../../src/discovery/dns.js';
import { InterruptedError, NetworkError, OptionError } from '../../src/errors.js';
import { hasIpv6Loopback, startDnsmasq, startSilentUdpServer, type Dnsmasq, type SilentUdpServer } from '../helpers/dnsmasq.js';

const LAB_RECORDS = [
  { priority: 0, weight: 60, port: 1688, target: 'kms01.lab.test' },
  { priority: 0, weight: 40, port: 1688, target: 'kms02.lab.test' },
  { priority: 10, weight: 0, port: 11688, target: 'kms03.lab.test' },
  // Published, but nothing answers there (no address record, and the port is dead anyway).
  { priority: 20, weight: 5, port: 1689, target: 'dead.lab.test' },
];
const BIG_COUNT = 40;

const ipv6 = await hasIpv6Loopback();

let zone: Dnsmasq;
let validating: Dnsmasq;
let silent: SilentUdpServer;

beforeAll(async () => {
  zone = await startDnsmasq({
    localDomains: ['lab.test', 'big.test', 'gone.test'],
    srv: [
      ...LAB_RECORDS.map((r) => ({ name: '_vlmcs._tcp.lab.test', ...r })),
      ...Array.from({ length: BIG_COUNT }, (_, i) => ({ name: '_vlmcs._tcp.big.test', target: `kms-host-number-${i + 1}.big.test`, port: 1688, priority: i % 3, weight: i })),
      { name: '_vlmcs._tcp.gone.test', target: '.', port: 1688 },
    ],
    hosts: [
      { name: 'kms01.lab.test', address: '127.0.0.1' },
      { name: 'kms02.lab.test', address: '127.0.0.2' },
    ],
    ipv6: true,
  });
  // Forwards everything to `zone` and validates it against a trust anchor nothing satisfies: SERVFAIL.
  validating = await startDnsmasq({ servers: [`127.0.0.1#${zone.port}`], dnssecServfail: true });
  silent = await startSilentUdpServer();
});

afterAll(async () => {
  await Promise.all([zone?.stop(), validating?.stop(), silent?.close()]);
});

const byPriorityThenTarget = (a: { priority: number; target: string }, b: { priority: number; target: string }): number =>
  a.priority - b.priority || a.target.localeCompare(b.target);

async function failure(promise: Promise<unknown>): Promise<DnsLookupError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(DnsLookupError);
  return error as DnsLookupError;
}

type Mode = 'direct' | 'system';
const MODES: readonly Mode[] = ['direct', 'system'];

/** The same server, asked by our own query or by the system resolver (c-ares) with its server list replaced. */
function via(mode: Mode, server: { host: string; port: number }, extra: SrvLookupOptions = {}): SrvLookupOptions {
  return mode === 'direct' ? { server, ...extra } : { systemServers: [`${server.host}:${server.port}`], ...extra };
}

describe.each(MODES)('lookupSrv through %s mode, against dnsmasq', (mode) => {
  it('returns every SRV record of the name with priority, weight, port and target', async () => {
    const records = await lookupSrv('_vlmcs._tcp.lab.test', via(mode, zone, { timeoutMs: 3_000 }));
    expect([...records].sort(byPriorityThenTarget)).toEqual([...LAB_RECORDS].sort(byPriorityThenTarget));
  });

  it('accepts the name with a trailing dot and in another case', async () => {
    const records = await lookupSrv('_VLMCS._TCP.Lab.Test.', via(mode, zone, { timeoutMs: 3_000 }));
    expect(records).toHaveLength(LAB_RECORDS.length);
  });

  it('NXDOMAIN: a name that does not exist', async () => {
    const error = await failure(lookupSrv('_vlmcs._tcp.nowhere.lab.test', via(mode, zone, { timeoutMs: 3_000 })));
    expect(error.reason).toBe('nxdomain');
    expect(error.rcode).toBe(3);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.hresult).toBe(0xc004f074);
    expect(error.windowsDnsHresult).toBe(0x8007232b);
    expect(error.query).toBe('_vlmcs._tcp.nowhere.lab.test');
    expect(error.message).toMatch(/NXDOMAIN/);
  });

  it('no records: the name exists but has no SRV records (NOERROR, no data)', async () => {
    const error = await failure(lookupSrv('kms01.lab.test', via(mode, zone, { timeoutMs: 3_000 })));
    expect(error.reason).toBe('no-records');
    expect(error.rcode).toBe(0);
    expect(error.windowsDnsHresult).toBe(0x8007251d);
  });

  it('no records: a lone target "." says the service is not available there', async () => {
    const error = await failure(lookupSrv('_vlmcs._tcp.gone.test', via(mode, zone, { timeoutMs: 3_000 })));
    expect(error.reason).toBe('no-records');
    expect(error.message).toMatch(/not available/);
  });

  it('SERVFAIL', async () => {
    const error = await failure(lookupSrv('_vlmcs._tcp.lab.test', via(mode, validating, { timeoutMs: 3_000 })));
    expect(error.reason).toBe('server-failure');
    expect(error.rcode).toBe(2);
    expect(error.message).toMatch(/SERVFAIL/);
  });

  it('REFUSED: a name the server has no data or upstream for', async () => {
    const error = await failure(lookupSrv('_vlmcs._tcp.elsewhere.example', via(mode, zone, { timeoutMs: 3_000 })));
    expect(error.reason).toBe('refused');
    expect(error.rcode).toBe(5);
  });

  it('falls back to TCP when the UDP answer is truncated, and returns every record', async () => {
    // The premise: over UDP, dnsmasq really sets TC and sends only part of the records.
    const overUdp = await rawUdpQuery(zone.port, '_vlmcs._tcp.big.test');
    expect(overUdp.flag_tc).toBe(true);
    expect(overUdp.answers?.length ?? 0).toBeLessThan(BIG_COUNT);

    const records = await lookupSrv('_vlmcs._tcp.big.test', via(mode, zone, { timeoutMs: 3_000 }));
    expect(records).toHaveLength(BIG_COUNT);
    expect(new Set(records.map((r) => r.target)).size).toBe(BIG_COUNT);
    expect(records).toContainEqual({ priority: 0, weight: 39, port: 1688, target: 'kms-host-number-40.big.test' });
  });

  it('a silent server: rejects with a timeout, within a generous bound of the configured timeout', async () => {
    const before = silent.received.length;
    const timeoutMs = 400;
    const started = Date.now();
    const error = await failure(lookupSrv('_vlmcs._tcp.lab.test', via(mode, silent, { timeoutMs })));
    const elapsed = Date.now() - started;
    expect(error.reason).toBe('timeout');
    expect(error.rcode).toBeUndefined();
    expect(elapsed).toBeLessThan(5 * timeoutMs);
    // Our own query is sent once more before giving up (c-ares does its own retries).
    if (mode === 'direct') expect(silent.received.length - before).toBe(2);
  });

  it('an AbortSignal stops the lookup at once with an InterruptedError', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = lookupSrv('_vlmcs._tcp.lab.test', via(mode, silent, { timeoutMs: 10_000, signal: controller.signal }));
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toBeInstanceOf(InterruptedError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a signal that already fired: InterruptedError without asking anyone', async () => {
    const before = silent.received.length;
    await expect(lookupSrv('_vlmcs._tcp.lab.test', via(mode, silent, { signal: AbortSignal.abort() }))).rejects.toBeInstanceOf(InterruptedError);
    expect(silent.received.length).toBe(before);
  });
});

describe('lookupSrv to a given server (our own query)', () => {
  it('sends a query with the RD bit and a random id', async () => {
    const ids = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const before = silent.received.length;
      await failure(lookupSrv('_vlmcs._tcp.lab.test', { server: silent, timeoutMs: 60 }));
      const query = packet.decode(silent.received[before] as Buffer);
      expect(query.flag_rd).toBe(true);
      expect(query.questions).toEqual([{ name: '_vlmcs._tcp.lab.test', type: 'SRV', class: 'IN' }]);
      ids.add(query.id as number);
    }
    expect(ids.size).toBeGreaterThan(1);
  });

  it('a server given by name is resolved through the OS (localhost)', async () => {
    const records = await lookupSrv('_vlmcs._tcp.lab.test', { server: { host: 'localhost', port: zone.port }, timeoutMs: 3_000 });
    expect(records).toHaveLength(LAB_RECORDS.length);
  });

  it.runIf(ipv6)('an IPv6 server ([::1]:port)', async () => {
    expect(zone.ipv6).toBe(true);
    const records = await lookupSrv('_vlmcs._tcp.lab.test', { server: parseDnsServer(`[::1]:${zone.port}`), timeoutMs: 3_000 });
    expect(records).toHaveLength(LAB_RECORDS.length);
  });

  it('a closed port: a network error, long before the timeout', async () => {
    const port = await closedUdpPort();
    const started = Date.now();
    const error = await failure(lookupSrv('_vlmcs._tcp.lab.test', { server: { host: '127.0.0.1', port }, timeoutMs: 10_000 }));
    expect(error.reason).toBe('network');
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a server name that does not resolve: a network error', async () => {
    const error = await failure(lookupSrv('_vlmcs._tcp.lab.test', { server: { host: 'no-such-dns-server.invalid', port: 53 }, timeoutMs: 3_000 }));
    expect(error.reason).toBe('network');
  });

  it('ignores datagrams with a wrong id or from another port, and takes the real answer', async () => {
    const stranger = await bindUdp();
    const fake = await fakeUdpServer((query, from, socket) => {
      const nxdomain = (id: number): Buffer => packet.encode({ type: 'response', id, flags: 3, questions: query.questions });
      socket.send(nxdomain(((query.id as number) + 1) & 0xffff), from.port, from.address);
      stranger.send(nxdomain(query.id as number), from.port, from.address);
      setTimeout(() => socket.send(srvAnswer(query, [{ priority: 1, weight: 2, port: 1688, target: 'real.lab.test' }]), from.port, from.address), 30);
    });
    try {
      const records = await lookupSrv('_vlmcs._tcp.lab.test', { server: { host: '127.0.0.1', port: fake.port }, timeoutMs: 3_000 });
      expect(records).toEqual([{ priority: 1, weight: 2, port: 1688, target: 'real.lab.test' }]);
    } finally {
      await Promise.all([fake.close(), new Promise<void>((resolve) => stranger.close(() => resolve()))]);
    }
  });

  it('retries once after a lost datagram and takes the answer to the retry', async () => {
    let seen = 0;
    const fake = await fakeUdpServer((query, from, socket) => {
      if (++seen === 2) socket.send(srvAnswer(query, [{ priority: 0, weight: 0, port: 1688, target: 'kms.lab.test' }]), from.port, from.address);
    });
    try {
      const records = await lookupSrv('_vlmcs._tcp.lab.test', { server: { host: '127.0.0.1', port: fake.port }, timeoutMs: 600 });
      expect(records).toEqual([{ priority: 0, weight: 0, port: 1688, target: 'kms.lab.test' }]);
      expect(seen).toBe(2);
    } finally {
      await fake.close();
    }
  });

  it('TCP fallback against a tiny fake server: TC over UDP, the whole answer over TCP', async () => {
    const records = [{ priority: 3, weight: 7, port: 1688, target: 'over-tcp.lab.test' }];
    const fake = await fakeUdpServer((query, from, socket) => {
      socket.send(packet.encode({ type: 'response', id: query.id, flags: packet.TRUNCATED_RESPONSE, questions: query.questions }), from.port, from.address);
    });
    let tcpQueries = 0;
    const tcp = await listenTcp(fake.port, (bytes) => {
      tcpQueries++;
      const query = packet.decode(bytes.subarray(2));
      const answer = srvAnswer(query, records);
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(answer.length);
      // Split the answer in two writes: the reader must reassemble it.
      return [Buffer.concat([prefix, answer.subarray(0, 5)]), answer.subarray(5)];
    });
    try {
      expect(await lookupSrv('_vlmcs._tcp.lab.test', { server: { host: '127.0.0.1', port: fake.port }, timeoutMs: 3_000 })).toEqual(records);
      expect(tcpQueries).toBe(1);
    } finally {
      await Promise.all([fake.close(), new Promise<void>((resolve) => tcp.close(() => resolve()))]);
    }
  });

  it('an answer that is not DNS: malformed', async () => {
    const fake = await fakeUdpServer((query, from, socket) => {
      const header = packet.encode({ type: 'response', id: query.id, flags: 0, questions: [] }).subarray(0, 12);
      header.writeUInt16BE(1, 4); // announces a question that is not there
      socket.send(Buffer.concat([header, Buffer.from([0xff, 0xff])]), from.port, from.address);
    });
    try {
      const error = await failure(lookupSrv('_vlmcs._tcp.lab.test', { server: { host: '127.0.0.1', port: fake.port }, timeoutMs: 3_000 }));
      expect(error.reason).toBe('malformed');
    } finally {
      await fake.close();
    }
  });

  it('an answer to another question: malformed', async () => {
    const fake = await fakeUdpServer((query, from, socket) => {
      socket.send(srvAnswer({ ...query, questions: [{ type: 'SRV', class: 'IN', name: '_vlmcs._tcp.other.test' }] }, []), from.port, from.address);
    });
    try {
      expect((await failure(lookupSrv('_vlmcs._tcp.lab.test', { server: { host: '127.0.0.1', port: fake.port }, timeoutMs: 3_000 }))).reason).toBe('malformed');
    } finally {
      await fake.close();
    }
  });

  it('other rcodes (NOTIMP) are a server failure with the rcode', async () => {
    const fake = await fakeUdpServer((query, from, socket) => {
      socket.send(packet.encode({ type: 'response', id: query.id, flags: 4, questions: query.questions }), from.port, from.address);
    });
    try {
      const error = await failure(lookupSrv('_vlmcs._tcp.lab.test', { server: { host: '127.0.0.1', port: fake.port }, timeoutMs: 3_000 }));
      expect(error.reason).toBe('server-failure');
      expect(error.rcode).toBe(4);
      expect(error.message).toMatch(/NOTIMP/);
    } finally {
      await fake.close();
    }
  });
});

describe('lookupSrv input checks', () => {
  it.each(['', '.', 'a..b', `${'x'.repeat(64)}.test`, 'with space.test', `${'abcdefghi.'.repeat(26)}test`])('rejects the name %j', async (name) => {
    await expect(lookupSrv(name, { server: silent })).rejects.toBeInstanceOf(OptionError);
  });
});

describe('parseDnsServer', () => {
  it.each([
    ['192.0.2.53', { host: '192.0.2.53', port: 53 }],
    ['192.0.2.53:5353', { host: '192.0.2.53', port: 5353 }],
    ['  192.0.2.53  ', { host: '192.0.2.53', port: 53 }],
    ['::1', { host: '::1', port: 53 }],
    ['2001:db8::53', { host: '2001:db8::53', port: 53 }],
    ['[::1]', { host: '::1', port: 53 }],
    ['[::1]:5353', { host: '::1', port: 5353 }],
    ['[2001:db8::53]:65535', { host: '2001:db8::53', port: 65535 }],
    ['ns1.lab.test', { host: 'ns1.lab.test', port: 53 }],
    ['ns1.lab.test:1', { host: 'ns1.lab.test', port: 1 }],
    ['localhost:5353', { host: 'localhost', port: 5353 }],
  ])('%j', (text, expected) => {
    expect(parseDnsServer(text)).toEqual(expected);
  });

  it.each(['192.0.2.53:0', '192.0.2.53:70000', '[::1]:0', '[::1]:65536', 'ns1.lab.test:abc', 'ns1.lab.test:', '192.0.2.53:-1', '', '   ', 'junk!', 'two words', '[::1', '[192.0.2.53]:53', 'http://192.0.2.53', '192.0.2.53:53:53'])(
    'rejects %j with an OptionError',
    (text) => {
      expect(() => parseDnsServer(text)).toThrow(OptionError);
    },
  );

  it('says what is wrong', () => {
    expect(() => parseDnsServer('192.0.2.53:70000')).toThrow(/--dns-server.*port/);
  });
});

// ---------------------------------------------------------------------------------------------

async function rawUdpQuery(port: number, name: string): Promise<packet.DecodedPacket> {
  const socket = await bindUdp();
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer')), 3_000);
      socket.on('message', (message: Buffer) => { clearTimeout(timer); resolve(packet.decode(message)); });
      socket.send(packet.encode({ type: 'query', id: 4242, flags: packet.RECURSION_DESIRED, questions: [{ type: 'SRV', name }] }), port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

function bindUdp(): Promise<UdpSocket> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve(socket));
  });
}

async function closedUdpPort(): Promise<number> {
  const socket = await bindUdp();
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

function srvAnswer(query: packet.Packet, records: readonly { priority: number; weight: number; port: number; target: string }[]): Buffer {
  const name = query.questions?.[0]?.name ?? '';
  return packet.encode({
    type: 'response',
    id: query.id,
    flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE,
    questions: query.questions,
    answers: records.map((data) => ({ type: 'SRV' as const, class: 'IN' as const, name, ttl: 60, data })),
  });
}

async function fakeUdpServer(onQuery: (query: packet.DecodedPacket, from: RemoteInfo, socket: UdpSocket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const socket = await bindUdp();
  socket.on('message', (message: Buffer, from: RemoteInfo) => onQuery(packet.decode(message), from, socket));
  return { port: socket.address().port, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}

/** A TCP server on 127.0.0.1:port that answers the first whole length-prefixed query with the given chunks. */
function listenTcp(port: number, answer: (query: Buffer) => Buffer[]): Promise<Server> {
  const server = createServer((socket) => {
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2 || buffered.length < 2 + buffered.readUInt16BE(0)) return;
      const chunks = answer(buffered);
      socket.write(chunks[0] as Buffer);
      setTimeout(() => { for (const c of chunks.slice(1)) socket.write(c); }, 20);
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
