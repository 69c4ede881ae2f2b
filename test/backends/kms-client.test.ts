// The KMS client over real TCP on loopback, against a double that replays the golden vectors'
// server bytes and checks that the client sends exactly the recorded ones.
import { afterEach, describe, expect, it } from 'vitest';
import { assertPrintableEpid, KmsSession, requestKmsActivation, type KmsRequestInput } from '../../src/backends/kms/client.js';
import { KmsConnectionError, type KmsTransport } from '../../src/backends/kms/transport.js';
import { guidToBytes } from '../../src/kms/bytes.js';
import { InterruptedError } from '../../src/errors.js';
import { KmsProtocolError } from '../../src/kms/errors.js';
import { hasIpv6Loopback } from '../helpers/dnsmasq.js';
import { loadVector, recordedInputs, startReplayHost, vectorNames, type GoldenVector, type HostileMode, type ReplayHost } from '../helpers/kms-replay.js';

const hosts: ReplayHost[] = [];
afterEach(async () => {
  for (const host of hosts.splice(0)) await host.close();
});

async function replay(vectors: GoldenVector | GoldenVector[], options: Parameters<typeof startReplayHost>[1] = {}): Promise<ReplayHost> {
  const host = await startReplayHost(vectors, options);
  hosts.push(host);
  return host;
}

function inputFor(vector: GoldenVector, exchangeIndex = 0): KmsRequestInput {
  const recorded = recordedInputs(vector, exchangeIndex);
  const fields = recorded.exchange.kmsRequest.fields as Record<string, unknown>;
  return {
    product: {
      applicationId: fields.applicationId as string,
      skuId: fields.skuId as string,
      kmsCountedId: fields.kmsCountedId as string,
      requiredClientCount: fields.requiredClientCount as number,
    },
    clientMachineId: recorded.clientMachineId,
    workstationName: recorded.workstationName,
    protocolVersion: fields.majorVersion as 4 | 5 | 6,
    licenseStatus: fields.licenseStatus as number,
    bindingExpirationMinutes: fields.bindingExpiration as number,
    now: () => recorded.requestTime,
    randomBytes: recorded.randomBytes,
  };
}

const endpoint = (host: ReplayHost) => ({ host: '127.0.0.1', port: host.port });

const SINGLE_REQUEST_SUCCESS = vectorNames().filter((name) => {
  const vector = loadVector(name);
  return vector.expectation.success === true && vector.connections[0]!.exchanges.length === 1;
});

describe('requestKmsActivation against recorded hosts', () => {
  it.each(SINGLE_REQUEST_SUCCESS)('%s: sends the recorded bytes and reads the recorded answer', async (name) => {
    const vector = loadVector(name);
    const host = await replay(vector);
    // "The simplest client": NDR32 alone, without the multiplex flag.
    const minimal = name.endsWith('minimal-bind');
    const response = await requestKmsActivation(endpoint(host), inputFor(vector), minimal ? { bind: 'ndr32', multiplex: false } : {});
    expect(host.mismatches).toEqual([]);
    const fields = vector.connections[0]!.exchanges[0]!.kmsResponse!.fields;
    expect(response).toMatchObject({
      host: '127.0.0.1',
      port: host.port,
      ipAddress: '127.0.0.1',
      transferSyntax: 'NDR32',
      extendedPid: fields.epid,
      currentCount: fields.currentClientCount,
      activationIntervalMinutes: fields.vlActivationIntervalMinutes,
      renewalIntervalMinutes: fields.vlRenewalIntervalMinutes,
      clientMachineId: fields.clientMachineId,
      requestTime: new Date(fields.requestTimeUtc as string),
      hwid: vector.connections[0]!.exchanges[0]!.kmsResponse!.hwidHex ?? null,
    });
  });

  it('sends the second request of a connection over NDR64, as Windows does', async () => {
    const vector = loadVector('v6-win-enterprise-ndr64-second-request');
    const host = await replay(vector);
    const session = await KmsSession.open(endpoint(host));
    try {
      const first = await session.request(inputFor(vector, 0));
      const second = await session.request(inputFor(vector, 1));
      expect([first.transferSyntax, second.transferSyntax]).toEqual(['NDR32', 'NDR64']);
      expect(second.extendedPid).toBe(vector.connections[0]!.exchanges[1]!.kmsResponse!.fields.epid);
    } finally {
      session.close();
    }
    expect(host.mismatches).toEqual([]);
  });

  it('reads a host that really counts: 1, 2, 3 for three new CMIDs', async () => {
    const vector = loadVector('v6-win-enterprise-count-from-empty-host');
    const host = await replay(vector);
    const session = await KmsSession.open(endpoint(host));
    const counts: number[] = [];
    try {
      for (let i = 0; i < 3; i++) counts.push((await session.request(inputFor(vector, i))).currentCount);
    } finally {
      session.close();
    }
    expect(host.mismatches).toEqual([]);
    expect(counts).toEqual([1, 2, 3]);
  });
});

describe('a host that accepts NDR32 and rejects NDR64 and BTFN', () => {
  it('binds once (no alter_context) and sends its request over NDR32, through an injected transport', async () => {
    // The recorded bind_ack of the full bind, with its three results rewritten the way a host
    // without NDR64 answers: NDR32 accepted, NDR64 and BTFN provider-rejected (reason 2).
    const full = loadVector('v6-win-enterprise');
    const minimal = loadVector('v6-win-enterprise-minimal-bind');
    const bindAck = Buffer.from(full.connections[0]!.pdus.find((p) => p.type === 'bind_ack')!.hex, 'hex');
    const resultsAt = 36;
    expect(bindAck.readUInt8(resultsAt - 4)).toBe(3);
    const result = (index: number, code: number, reason: number, uuid: string, version: number) => {
      const at = resultsAt + index * 24;
      bindAck.writeUInt16LE(code, at);
      bindAck.writeUInt16LE(reason, at + 2);
      guidToBytes(uuid).copy(bindAck, at + 4);
      bindAck.writeUInt32LE(version, at + 20);
    };
    result(0, 0, 0, '8a885d04-1ceb-11c9-9fe8-08002b104860', 2);
    result(1, 2, 2, '00000000-0000-0000-0000-000000000000', 0);
    result(2, 2, 2, '00000000-0000-0000-0000-000000000000', 0);

    const sent: string[] = [];
    const minimalPdus = minimal.connections[0]!.pdus;
    const transport: KmsTransport = async () => ({
      remoteAddress: null,
      exchange: async (pdu) => {
        sent.push(Buffer.from(pdu).toString('hex'));
        return sent.length === 1 ? bindAck : Buffer.from(minimalPdus.find((p) => p.type === 'response')!.hex, 'hex');
      },
      close: () => undefined,
    });
    const response = await requestKmsActivation({ host: 'kms.example.test', port: 1688 }, inputFor(minimal), { transport });
    expect(sent).toHaveLength(2);
    expect(sent[1]).toBe(minimalPdus.find((p) => p.type === 'request')!.hex);
    expect(response).toMatchObject({ transferSyntax: 'NDR32', ipAddress: null, host: 'kms.example.test' });
  });
});

describe('addresses', async () => {
  const ipv6 = await hasIpv6Loopback();
  it.runIf(ipv6).each(['::1', '[::1]'])('reaches a host at the IPv6 address %s', async (address) => {
    const vector = loadVector('v6-win-enterprise');
    const host = await replay(vector, { address: '::1' });
    const response = await requestKmsActivation({ host: address, port: host.port }, inputFor(vector));
    expect(response.ipAddress).toBe('::1');
    expect(host.mismatches).toEqual([]);
  });

  it('a name that does not resolve is a connection error, not a hang', async () => {
    const error = await requestKmsActivation({ host: 'kms.does-not-exist.invalid', port: 1688 }, inputFor(loadVector('v6-win-enterprise'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsConnectionError);
    expect(error).toMatchObject({ reason: expect.stringMatching(/^(name-not-found|unreachable)$/) });
  });
});

describe('what a host may put in its ePID', () => {
  it('printable text, including non-ASCII, passes; control characters are refused as malformed', () => {
    expect(() => assertPrintableEpid('03612-00206-556-123727-03-1033-17763.0000-2972018')).not.toThrow();
    expect(() => assertPrintableEpid('Überhost-ÄÖ')).not.toThrow();
    for (const hostile of ['03612\u001b[2J', 'a\nb', 'x\u0000', 'bell\u0007', 'c1\u009b31m', 'line\u2028sep']) {
      expect(() => assertPrintableEpid(hostile)).toThrow(KmsProtocolError);
    }
  });
});

describe('hosts that refuse', () => {
  it('surfaces 0xC004F042 when the host declines the product (NDR32, then NDR64 on the same connection)', async () => {
    const vector = loadVector('neg-v6-product-refused-0xC004F042');
    const host = await replay(vector);
    const session = await KmsSession.open(endpoint(host));
    try {
      for (const exchange of [0, 1]) {
        const error = await session.request(inputFor(vector, exchange)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(KmsProtocolError);
        expect(error).toMatchObject({ code: 'host-hresult', hresult: 0xc004f042 });
      }
    } finally {
      session.close();
    }
    expect(host.mismatches).toEqual([]);
  });

  it('surfaces 0xC004F06C when the host finds the request time too far off', async () => {
    const vector = loadVector('neg-v6-client-time-skew-0xC004F06C');
    const host = await replay(vector);
    const error = await requestKmsActivation(endpoint(host), inputFor(vector), { bind: 'ndr32' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'host-hresult', hresult: 0xc004f06c });
    expect(host.mismatches).toEqual([]);
  });

  it('reports the RPC fault of a host asked on a context it never accepted', async () => {
    // The recorded client used a context id it had not negotiated; ours would not, so the double
    // answers whatever request arrives with the recorded fault.
    const vector = loadVector('neg-rpc-fault-unknown-context');
    const host = await replay(vector, { strict: false });
    const error = await requestKmsActivation(endpoint(host), inputFor(vector), { bind: 'ndr32' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'rpc-fault', status: 0x1c010003 });
  });

  it('rejects a response whose HMAC does not verify (one bit flipped in transit)', async () => {
    const vector = loadVector('neg-v6-tampered-response-hmac');
    const host = await replay(vector);
    const error = await requestKmsActivation(endpoint(host), inputFor(vector)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsProtocolError);
    expect((error as KmsProtocolError).code).toBe('verification-failed');
    expect((error as KmsProtocolError).failedChecks).toContain('hmacOk');
  });

  it('reports an incomplete response when the host hangs up halfway', async () => {
    const vector = loadVector('neg-v6-truncated-response');
    const host = await replay(vector);
    const error = await requestKmsActivation(endpoint(host), inputFor(vector)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'truncated' });
  });

  it('steps down a version on a new connection when the host answers 0x8007000D', async () => {
    // Connection 1: a host that only speaks older versions (its recorded answer to a newer request);
    // connection 2: the recorded V5 exchange, which the client must then reproduce exactly.
    const refused = loadVector('neg-v6-unsupported-version-0x8007000D');
    const v5 = loadVector('v5-win-enterprise');
    const host = await replay([refused, v5], { strict: (connection) => connection > 0 });
    const response = await requestKmsActivation(endpoint(host), { ...inputFor(v5), protocolVersion: 6 });
    expect(response.protocolVersion).toBe(5);
    expect(host.connections).toBe(2);
    expect(host.mismatches).toEqual([]);
  });

  it('does not step down when fallback is off', async () => {
    const host = await replay(loadVector('neg-v6-unsupported-version-0x8007000D'), { strict: false });
    const error = await requestKmsActivation(endpoint(host), { ...inputFor(loadVector('v6-win-enterprise')), versionFallback: false }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'host-hresult', hresult: 0x8007000d });
  });
});

describe('hostile hosts end in a typed error within the timeout', () => {
  const vector = loadVector('v6-win-enterprise');
  const cases: Array<[HostileMode, (error: unknown) => void]> = [
    ['silent', (e) => expect(e).toMatchObject({ name: 'NetworkError', reason: 'timeout' })],
    ['close-mid-pdu', (e) => expect(e).toMatchObject({ code: 'truncated' })],
    ['garbage', (e) => expect(e).toBeInstanceOf(KmsProtocolError)],
    ['huge-fragment', (e) => expect(e).toMatchObject({ code: 'pdu-too-large' })],
    ['reset', (e) => expect(e).toMatchObject({ reason: expect.stringMatching(/^(reset|closed)$/) })],
    ['wrong-call-id', (e) => expect(e).toBeInstanceOf(KmsProtocolError)],
  ];
  it.each(cases)('%s', async (mode, check) => {
    const host = await replay(vector, { hostile: mode });
    const started = Date.now();
    const error = await requestKmsActivation(endpoint(host), inputFor(vector), { timeoutMs: 400, connectTimeoutMs: 400 }).catch((e: unknown) => e);
    check(error);
    if (mode === 'silent') expect(error).toBeInstanceOf(KmsConnectionError);
    // Generous: the point is "ends", not "ends fast" (no timed assertions on a busy machine).
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a refused port is a connection error naming the host', async () => {
    const host = await replay(vector);
    const port = host.port;
    await host.close();
    hosts.splice(hosts.indexOf(host), 1);
    const error = await requestKmsActivation({ host: '127.0.0.1', port }, inputFor(vector)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsConnectionError);
    expect(error).toMatchObject({ reason: 'refused', hresult: 0xc004f074 });
  });

  it('an abort (Ctrl-C) ends the wait with InterruptedError', async () => {
    const host = await replay(vector, { hostile: 'silent' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await requestKmsActivation(endpoint(host), inputFor(vector), { signal: controller.signal, timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterruptedError);
  });
});
