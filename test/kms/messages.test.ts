import { createHash, createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { filetimeToDate, guidToBytes } from '../../src/kms/bytes.js';
import { KmsProtocolError } from '../../src/kms/errors.js';
import {
  buildKmsRequest,
  encodeBaseRequest,
  encodeWorkstationName,
  KMS_V4_KEY,
  KMS_V5_KEY,
  KMS_V6_KEY,
  parseKmsResponse,
  v6HmacKey,
  type KmsRequest,
  type KmsRequestFields,
  type KmsResponse,
} from '../../src/kms/messages.js';
import { cbcDecrypt, cbcEncrypt, Rijndael } from '../../src/kms/rijndael.js';

// ---- golden vectors -------------------------------------------------------------------------------

interface VectorRequestFields {
  minorVersion: number;
  majorVersion: number;
  vmInfo: number;
  licenseStatus: number;
  bindingExpiration: number;
  applicationId: string;
  skuId: string;
  kmsCountedId: string;
  clientMachineId: string;
  requiredClientCount: number;
  requestTimeFiletime: string;
  previousClientMachineId: string;
  workstationName: string;
  workstationNameRawHex: string;
}

interface VectorExchange {
  responsePduIndex: number;
  kmsRequest: { hex: string; ivHex?: string; decryptedIvHex?: string; fields: VectorRequestFields };
  kmsResponse?: {
    hex?: string;
    fields: Record<string, unknown>;
    checks: Record<string, boolean>;
    hwidHex?: string;
    hmacKeyHex?: string;
    hmacTimeSlotTolerance?: number;
  };
}

interface Vector {
  name: string;
  expectation: { success?: boolean; responseChecksPass?: boolean; truncated?: boolean; errorReturnCode?: string; fault?: string };
  connections: { pdus: { hex: string }[]; exchanges: VectorExchange[] }[];
}

const FIXTURES = new URL('../../fixtures/kms/', import.meta.url);
const vectors: Vector[] = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as Vector);

const exchanges = vectors.flatMap((vector) =>
  vector.connections.flatMap((connection, c) =>
    connection.exchanges.map((exchange, x) => ({ label: `${vector.name} [${c}.${x}]`, vector, connection, exchange })),
  ),
);

const withResponse = exchanges.filter(({ exchange }) => exchange.kmsResponse?.hex !== undefined);

const fromHex = (text: string) => Buffer.from(text, 'hex');

function requestFields(fields: VectorRequestFields): KmsRequestFields {
  return {
    majorVersion: fields.majorVersion,
    minorVersion: fields.minorVersion,
    vmInfo: fields.vmInfo,
    licenseStatus: fields.licenseStatus,
    bindingExpiration: fields.bindingExpiration,
    applicationId: fields.applicationId,
    skuId: fields.skuId,
    kmsCountedId: fields.kmsCountedId,
    clientMachineId: fields.clientMachineId,
    requiredClientCount: fields.requiredClientCount,
    requestTime: BigInt(fields.requestTimeFiletime),
    previousClientMachineId: fields.previousClientMachineId,
    workstationName: fields.workstationName,
  };
}

function requestOf(exchange: VectorExchange): KmsRequest {
  const { ivHex, fields } = exchange.kmsRequest;
  return buildKmsRequest(requestFields(fields), ivHex === undefined ? undefined : fromHex(ivHex));
}

/** A parsed response in the shape of a vector's `kmsResponse.fields`. */
function asVectorFields(response: KmsResponse): Record<string, unknown> {
  return {
    minorVersion: response.minorVersion,
    majorVersion: response.majorVersion,
    epidSize: response.epidSize,
    epid: response.epid,
    clientMachineId: response.clientMachineId,
    requestTimeFiletime: response.requestTime.toString(),
    requestTimeUtc: filetimeToDate(response.requestTime).toISOString(),
    currentClientCount: response.currentCount,
    vlActivationIntervalMinutes: response.activationInterval,
    vlRenewalIntervalMinutes: response.renewalInterval,
  };
}

function kmsError(run: () => unknown): KmsProtocolError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(KmsProtocolError);
    return error as KmsProtocolError;
  }
  throw new Error('expected a KmsProtocolError, nothing was thrown');
}

const WARNING_CHECKS = ['sizeOk', 'paddingLengthOk', 'ivDiffersFromRequestIv'];

test('the fixture directory holds every vector the README lists', () => {
  expect(vectors).toHaveLength(16);
  expect(withResponse.length).toBeGreaterThanOrEqual(12);
});

describe.each(exchanges)('$label', ({ vector, connection, exchange }) => {
  test('request is rebuilt byte for byte from the recorded fields and IV', () => {
    const request = requestOf(exchange);
    expect(request.message.toString('hex')).toBe(exchange.kmsRequest.hex);
    expect(request.decryptedIv?.toString('hex')).toBe(exchange.kmsRequest.decryptedIvHex);
    expect(encodeWorkstationName(exchange.kmsRequest.fields.workstationName).toString('hex')).toBe(exchange.kmsRequest.fields.workstationNameRawHex);
  });

  const response = exchange.kmsResponse;
  if (response?.hex !== undefined) {
    const hex = response.hex;
    if (vector.expectation.success) {
      test('response parses into exactly the recorded values, every check passing', () => {
        const parsed = parseKmsResponse(fromHex(hex), requestOf(exchange));
        expect(asVectorFields(parsed)).toEqual(response.fields);
        expect(parsed.hwid).toBe(response.hwidHex);
        expect(parsed.checks).toEqual(response.checks);
        expect(Object.values(parsed.checks).every(Boolean)).toBe(true);
        expect(parsed.warnings).toEqual([]);
      });
      test('response also passes with no HMAC slot tolerance', () => {
        expect(() => parseKmsResponse(fromHex(hex), requestOf(exchange), { hmacSlotTolerance: 0 })).not.toThrow();
      });
    } else {
      test('response is rejected with exactly the recorded failing checks', () => {
        const error = kmsError(() => parseKmsResponse(fromHex(hex), requestOf(exchange)));
        expect(error.code).toBe('verification-failed');
        const failing = Object.entries(response.checks)
          .filter(([name, ok]) => !ok && !WARNING_CHECKS.includes(name))
          .map(([name]) => name);
        expect([...error.failedChecks].sort()).toEqual(failing.sort());
      });
    }
    if (response.hmacKeyHex !== undefined) {
      test('V6 HMAC key matches the recorded one', () => {
        const time = BigInt(exchange.kmsRequest.fields.requestTimeFiletime);
        expect(v6HmacKey(time, response.hmacTimeSlotTolerance ?? 0).toString('hex')).toBe(response.hmacKeyHex);
      });
    }
  } else if (vector.expectation.truncated) {
    test('the part of the response that arrived is rejected as a protocol error', () => {
      // NDR32 response stub: 24-byte PDU header, then size, referent and max_count before the message.
      const partial = fromHex(connection.pdus[exchange.responsePduIndex]!.hex).subarray(24 + 12);
      const error = kmsError(() => parseKmsResponse(partial, requestOf(exchange)));
      expect(['truncated', 'malformed']).toContain(error.code);
    });
  }
});

test('the tampered-HMAC vector fails on hmacOk alone', () => {
  const tampered = exchanges.find(({ vector }) => vector.name === 'neg-v6-tampered-response-hmac');
  expect(tampered).toBeDefined();
  const { exchange } = tampered!;
  const error = kmsError(() => parseKmsResponse(fromHex(exchange.kmsResponse!.hex!), requestOf(exchange)));
  expect(error.code).toBe('verification-failed');
  expect(error.failedChecks).toEqual(['hmacOk']);
});

// ---- helpers for responses no vector shows --------------------------------------------------------

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
};

// Written again here, from the notes, so the parser's MAC is checked against a second implementation.
const v4MacCipher = new Rijndael(KMS_V4_KEY);
function v4Mac(data: Buffer): Buffer {
  const padded = Buffer.concat([data, Buffer.from([0x80]), Buffer.alloc(15 - (data.length % 16))]);
  let mac = Buffer.alloc(16);
  for (let at = 0; at < padded.length; at += 16) {
    const block = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) block[i] = mac[i]! ^ padded[at + i]!;
    mac = Buffer.from(v4MacCipher.encryptBlock(block));
  }
  return mac;
}

const v4Exchange = exchanges.find(({ vector }) => vector.name === 'v4-win-enterprise')!.exchange;
const v5Exchange = exchanges.find(({ vector }) => vector.name === 'v5-win-enterprise')!.exchange;
const v6Exchange = exchanges.find(({ vector }) => vector.name === 'v6-win-enterprise')!.exchange;
const v4Request = requestOf(v4Exchange);
const v5Request = requestOf(v5Exchange);
const v6Request = requestOf(v6Exchange);
const recorded = (exchange: VectorExchange) => fromHex(exchange.kmsResponse!.hex!);

interface V4ResponseParts {
  epid?: string;
  epidBytes?: Buffer;
  pidSize?: number;
  majorVersion?: number;
  clientMachineId?: string;
  requestTime?: bigint;
  extra?: Buffer;
}

/** A V4 response to `v4Request` as a host would build it; V4 has no secret beyond the public key. */
function v4Response(parts: V4ResponseParts = {}): Buffer {
  const epidBytes = parts.epidBytes ?? Buffer.from(`${parts.epid ?? '03612-00206-556-123727-03-1033-17763.0000-2972018'}\0`, 'utf16le');
  const body = Buffer.concat([
    u16(0),
    u16(parts.majorVersion ?? 4),
    u32(parts.pidSize ?? epidBytes.length),
    epidBytes,
    guidToBytes(parts.clientMachineId ?? v4Request.fields.clientMachineId),
    u64(parts.requestTime ?? v4Request.fields.requestTime),
    u32(50),
    u32(120),
    u32(10080),
    parts.extra ?? Buffer.alloc(0),
  ]);
  return Buffer.concat([body, v4Mac(body)]);
}

const v5Cipher = new Rijndael(KMS_V5_KEY);
const v6Cipher = new Rijndael(KMS_V6_KEY, { kmsV6Tweak: true });

/** The recorded V6 response's plaintext (after the wire IV, without padding) and its wire IV. */
function openV6(message: Buffer): { wireIv: Buffer; plain: Buffer } {
  const wireIv = message.subarray(4, 20);
  const decrypted = cbcDecrypt(v6Cipher, wireIv, message.subarray(20));
  return { wireIv, plain: decrypted.subarray(0, decrypted.length - decrypted[decrypted.length - 1]!) };
}

interface SealOptions {
  wireIv?: Buffer;
  /** HMAC key slot offset; undefined keeps the HMAC bytes of `plain` as they are. */
  hmacSlot?: number;
  /** Raw padding instead of PKCS#7. */
  pad?: Buffer;
}

/**
 * Re-encrypts an edited copy of a recorded V6 plaintext, so the parser can be shown responses no
 * capture contains (other ePID lengths, HMAC slots, IV reuse, bad padding).
 */
function sealV6(plain: Buffer, options: SealOptions = {}): Buffer {
  const wireIv = options.wireIv ?? openV6(recorded(v6Exchange)).wireIv;
  let body = Buffer.from(plain);
  if (options.hmacSlot !== undefined) {
    const unsigned = body.subarray(0, body.length - 16);
    const plainIv = Buffer.from(v6Cipher.decryptBlock(wireIv));
    const hmac = createHmac('sha256', v6HmacKey(BigInt(v6Exchange.kmsRequest.fields.requestTimeFiletime), options.hmacSlot))
      .update(Buffer.concat([plainIv, unsigned]))
      .digest()
      .subarray(16);
    body = Buffer.concat([unsigned, hmac]);
  }
  const padLength = 16 - (body.length % 16);
  const pad = options.pad ?? Buffer.alloc(padLength, padLength);
  return Buffer.concat([Buffer.from([0, 0, 6, 0]), wireIv, cbcEncrypt(v6Cipher, wireIv, Buffer.concat([body, pad]))]);
}

/** Replaces the ePID of a base-response plaintext, keeping everything after it. */
function withEpid(plain: Buffer, epidBytes: Buffer, pidSize = epidBytes.length): Buffer {
  const oldSize = plain.readUInt32LE(4);
  return Buffer.concat([plain.subarray(0, 4), u32(pidSize), epidBytes, plain.subarray(8 + oldSize)]);
}

// ---- V4 ------------------------------------------------------------------------------------------

describe('V4 responses built here', () => {
  test('the builder reproduces the recorded V4 response', () => {
    expect(v4Response().toString('hex')).toBe(v4Exchange.kmsResponse!.hex);
  });

  test('a flipped MAC byte fails macOk', () => {
    const message = recorded(v4Exchange);
    message[message.length - 1]! ^= 0x01;
    const error = kmsError(() => parseKmsResponse(message, v4Request));
    expect(error.code).toBe('verification-failed');
    expect(error.failedChecks).toEqual(['macOk']);
  });

  test('a flipped body byte fails macOk', () => {
    const message = recorded(v4Exchange);
    message[20]! ^= 0x01; // inside the ePID, so only the MAC notices
    expect(kmsError(() => parseKmsResponse(message, v4Request)).failedChecks).toEqual(['macOk']);
  });

  test.each([
    ['48 characters (4-digit build)', '03612-00206-556-123727-03-1033-9600.0000-2972018'],
    ['63 characters (the longest that fits in 128 bytes)', 'x'.repeat(63)],
    ['one character', '7'],
    ['odd length, non-ASCII', 'ePID-Ünïcødé-ПК'],
  ])('ePID of %s', (_name, epid) => {
    const message = v4Response({ epid });
    const parsed = parseKmsResponse(message, v4Request);
    expect(parsed.epid).toBe(epid);
    expect(parsed.epidSize).toBe((epid.length + 1) * 2);
    expect(message).toHaveLength(60 + parsed.epidSize);
    expect(parsed.checks.sizeOk).toBe(true);
    expect(parsed.warnings).toEqual([]);
  });

  test.each([
    ['64 characters (PIDSize 130 > 128)', { epidBytes: Buffer.from(`${'x'.repeat(64)}\0`, 'utf16le') }],
    ['odd PIDSize', { epidBytes: Buffer.from('41004200000000', 'hex') }],
    ['no terminating NUL', { epidBytes: Buffer.from('ABC', 'utf16le') }],
    ['a NUL before the end', { epidBytes: Buffer.from('A\0B\0', 'utf16le') }],
    ['PIDSize 0', { epidBytes: Buffer.alloc(0) }],
  ])('ePID with %s fails epidSizeOk', (_name, parts) => {
    const error = kmsError(() => parseKmsResponse(v4Response(parts), v4Request));
    expect(error.code).toBe('verification-failed');
    expect(error.failedChecks).toEqual(['epidSizeOk']);
  });

  test('a PIDSize pointing past the message is truncated, not a RangeError', () => {
    const error = kmsError(() => parseKmsResponse(v4Response({ pidSize: 0xffff_fff0 }), v4Request));
    expect(error.code).toBe('truncated');
  });

  test('echo and version mismatches are named', () => {
    expect(kmsError(() => parseKmsResponse(v4Response({ clientMachineId: '11111111-2222-3333-4444-555555555555' }), v4Request)).failedChecks).toEqual([
      'clientMachineIdMatchesRequest',
    ]);
    expect(kmsError(() => parseKmsResponse(v4Response({ requestTime: 1n }), v4Request)).failedChecks).toEqual(['requestTimeMatchesRequest']);
    expect(kmsError(() => parseKmsResponse(v4Response({ majorVersion: 5 }), v4Request)).failedChecks).toEqual(['versionMatchesRequest']);
  });

  test('a CMID sent in upper case still matches its echo', () => {
    const request = { ...v4Request, fields: { ...v4Request.fields, clientMachineId: v4Request.fields.clientMachineId.toUpperCase() } };
    expect(parseKmsResponse(v4Response(), request).clientMachineId).toBe(v4Request.fields.clientMachineId);
  });

  test('extra bytes before the MAC are only a size warning', () => {
    const parsed = parseKmsResponse(v4Response({ extra: Buffer.from([1, 2]) }), v4Request);
    expect(parsed.checks.sizeOk).toBe(false);
    expect(parsed.warnings).toEqual([expect.stringContaining('162 bytes, expected 160')]);
  });

  test('too short for a MAC, or for the base response', () => {
    expect(kmsError(() => parseKmsResponse(Buffer.alloc(15), v4Request)).code).toBe('truncated');
    expect(kmsError(() => parseKmsResponse(recorded(v4Exchange).subarray(0, 100), v4Request)).code).toBe('truncated');
  });
});

// ---- V5 and V6 -----------------------------------------------------------------------------------

describe('V5 responses', () => {
  test('a wire IV other than the request IV fails ivEqualsRequestIv', () => {
    const message = recorded(v5Exchange);
    // Changing the IV changes plaintext byte 12 (an ePID digit, 0x33 -> 0x32) and nothing else.
    message[4 + 12]! ^= 0x01;
    expect(kmsError(() => parseKmsResponse(message, v5Request)).failedChecks).toEqual(['ivEqualsRequestIv']);
  });

  test('a wrong D(IVreq) fails hashOk', () => {
    const request = { ...v5Request, decryptedIv: Buffer.alloc(16) };
    expect(kmsError(() => parseKmsResponse(recorded(v5Exchange), request)).failedChecks).toEqual(['hashOk']);
  });

  test('the V5 cipher is plain AES-128: its request decrypts with node:crypto semantics', () => {
    const plain = cbcDecrypt(v5Cipher, v5Request.iv!, v5Request.message.subarray(20));
    expect(plain.toString('hex')).toBe(Buffer.concat([encodeBaseRequest(v5Request.fields), Buffer.alloc(4, 4)]).toString('hex'));
  });
});

describe('V6 responses sealed here from a recorded plaintext', () => {
  const { plain } = openV6(recorded(v6Exchange));

  test('resealing the recorded plaintext reproduces the recorded message', () => {
    expect(sealV6(plain).toString('hex')).toBe(v6Exchange.kmsResponse!.hex);
    expect(sealV6(plain, { hmacSlot: 0 }).toString('hex')).toBe(v6Exchange.kmsResponse!.hex);
  });

  test('HMAC slot tolerance: ±1 by default, configurable', () => {
    for (const slot of [-1, 1]) {
      const message = sealV6(plain, { hmacSlot: slot });
      expect(parseKmsResponse(message, v6Request).checks.hmacOk).toBe(true);
      expect(kmsError(() => parseKmsResponse(message, v6Request, { hmacSlotTolerance: 0 })).failedChecks).toEqual(['hmacOk']);
    }
    const twoAway = sealV6(plain, { hmacSlot: 2 });
    expect(kmsError(() => parseKmsResponse(twoAway, v6Request)).failedChecks).toEqual(['hmacOk']);
    expect(parseKmsResponse(twoAway, v6Request, { hmacSlotTolerance: 2 }).checks.hmacOk).toBe(true);
    expect(() => parseKmsResponse(twoAway, v6Request, { hmacSlotTolerance: -1 })).toThrow(TypeError);
  });

  test.each(['03612-00206-556-123727-03-1033-9600.0000-2972018', 'x'.repeat(63), 'A', 'Ünïcødé'])('ePID %j', (epid) => {
    const message = sealV6(withEpid(plain, Buffer.from(`${epid}\0`, 'utf16le')), { hmacSlot: 0 });
    const parsed = parseKmsResponse(message, v6Request);
    expect(parsed.epid).toBe(epid);
    expect(parsed.epidSize).toBe((epid.length + 1) * 2);
    expect(parsed.warnings).toEqual([]);
    expect(parsed.hwid).toBe('3a1c049600b60076');
  });

  test('an answer reusing the request IV is accepted with a warning', () => {
    const parsed = parseKmsResponse(sealV6(plain, { wireIv: v6Request.iv!, hmacSlot: 0 }), v6Request);
    expect(parsed.checks.ivDiffersFromRequestIv).toBe(false);
    expect(parsed.warnings).toEqual([expect.stringContaining('reuses the request IV')]);
  });

  test('bytes between the last field and the padding are warnings', () => {
    const message = sealV6(Buffer.concat([plain, Buffer.alloc(3)]));
    const parsed = parseKmsResponse(message, v6Request);
    expect(parsed.checks.paddingLengthOk).toBe(false);
    expect(parsed.checks.sizeOk).toBe(true); // 3 bytes still fit in the same padding block
    expect(parsed.warnings).toHaveLength(1);
    const longer = parseKmsResponse(sealV6(Buffer.concat([plain, Buffer.alloc(9)])), v6Request);
    expect(longer.checks.sizeOk).toBe(false);
    expect(longer.warnings).toHaveLength(2);
  });

  test.each([
    ['zero pad byte', Buffer.from([1, 2, 3, 4, 5, 6, 7, 0])],
    ['pad byte above 16', Buffer.from([8, 8, 8, 8, 8, 8, 8, 0x11])],
    ['unequal pad bytes', Buffer.from([8, 8, 8, 7, 8, 8, 8, 8])],
  ])('invalid PKCS#7 (%s) fails decryptOk', (_name, pad) => {
    const error = kmsError(() => parseKmsResponse(sealV6(plain, { pad }), v6Request));
    expect(error.code).toBe('verification-failed');
    expect(error.failedChecks).toEqual(['decryptOk']);
  });

  test('a different wire IV breaks the HMAC (it covers D(W))', () => {
    const message = recorded(v6Exchange);
    message[4 + 12]! ^= 0x01;
    expect(kmsError(() => parseKmsResponse(message, v6Request)).failedChecks).toEqual(['hmacOk']);
  });

  test('a wrong D(IVreq) fails the hash and the XoredIVs check', () => {
    const request = { ...v6Request, decryptedIv: Buffer.alloc(16) };
    expect(kmsError(() => parseKmsResponse(recorded(v6Exchange), request)).failedChecks).toEqual(['hashOk', 'xoredIvsEqualsDecryptedRequestIv']);
  });

  test('ciphertext that is not whole blocks is malformed; none at all is truncated', () => {
    expect(kmsError(() => parseKmsResponse(recorded(v6Exchange).subarray(0, 259), v6Request)).code).toBe('malformed');
    expect(kmsError(() => parseKmsResponse(recorded(v6Exchange).subarray(0, 20), v6Request)).code).toBe('truncated');
    expect(kmsError(() => parseKmsResponse(recorded(v6Exchange).subarray(0, 10), v6Request)).code).toBe('truncated');
  });

  test('a plaintext that ends early is truncated', () => {
    expect(kmsError(() => parseKmsResponse(sealV6(plain.subarray(0, 150)), v6Request)).code).toBe('truncated');
  });
});

// ---- requests ------------------------------------------------------------------------------------

describe('workstation names', () => {
  const zeroFilled = (units: Buffer) => Buffer.concat([units, Buffer.alloc(128 - units.length)]).toString('hex');

  test.each(['Ärztekammer-ПК-01', '🖥️-Büro-💻', 'ws-0042'])('%s is UTF-16LE, NUL-terminated and zero-filled', (name) => {
    const field = encodeWorkstationName(name);
    expect(field).toHaveLength(128);
    expect(field.toString('hex')).toBe(zeroFilled(Buffer.from(name, 'utf16le')));
  });

  test('the name lands at offset 108 of the base request, and survives V6 encryption', () => {
    const fields = { ...v6Request.fields, workstationName: 'Ärztekammer-ПК-01' };
    const request = buildKmsRequest(fields, v6Request.iv);
    const base = encodeBaseRequest(fields);
    expect(base.subarray(108).toString('hex')).toBe(zeroFilled(Buffer.from('Ärztekammer-ПК-01', 'utf16le')));
    const plain = cbcDecrypt(v6Cipher, request.iv!, request.message.subarray(20));
    expect(plain.toString('hex')).toBe(Buffer.concat([base, Buffer.alloc(4, 4)]).toString('hex'));
  });

  test('long names are cut to 63 UTF-16 units, keeping the terminator', () => {
    const field = encodeWorkstationName('a'.repeat(100));
    expect(field.toString('utf16le', 0, 126)).toBe('a'.repeat(63));
    expect(field.readUInt16LE(126)).toBe(0);
  });

  test('a surrogate pair is never split by the cut', () => {
    const straddling = encodeWorkstationName(`${'a'.repeat(62)}😀`);
    expect(straddling.toString('utf16le', 0, 124)).toBe('a'.repeat(62));
    expect(straddling.subarray(124).toString('hex')).toBe('00000000');
    const fitting = encodeWorkstationName(`${'a'.repeat(61)}😀b`);
    expect(fitting.toString('utf16le', 0, 126)).toBe(`${'a'.repeat(61)}😀`);
    expect(fitting.readUInt16LE(126)).toBe(0);
  });
});

describe('request building', () => {
  test('V5 and V6 need a 16-byte IV', () => {
    expect(() => buildKmsRequest(v6Request.fields)).toThrow(TypeError);
    expect(() => buildKmsRequest(v5Request.fields, new Uint8Array(15))).toThrow(TypeError);
  });

  test('sizes: 252 bytes for V4, 260 for V5 and V6; the base request is 236', () => {
    expect(v4Request.message).toHaveLength(252);
    expect(v5Request.message).toHaveLength(260);
    expect(v6Request.message).toHaveLength(260);
    expect(encodeBaseRequest(v4Request.fields)).toHaveLength(236);
  });

  test('the V4 request MAC agrees with the independent MAC above', () => {
    const base = encodeBaseRequest(v4Request.fields);
    expect(v4Request.message.subarray(236).toString('hex')).toBe(v4Mac(base).toString('hex'));
  });

  test('the IV is copied, so later changes to the caller buffer do not leak in', () => {
    const iv = Buffer.alloc(16, 7);
    const request = buildKmsRequest(v6Request.fields, iv);
    iv.fill(0);
    expect(request.iv!.toString('hex')).toBe('07'.repeat(16));
  });

  test('the V6 hash input really is D(IVreq)', () => {
    const { plain } = openV6(recorded(v6Exchange));
    const epidSize = plain.readUInt32LE(4);
    const randomXoredIvs = plain.subarray(44 + epidSize, 60 + epidSize);
    const hash = plain.subarray(60 + epidSize, 92 + epidSize);
    const random = Buffer.from(randomXoredIvs.map((b, i) => b ^ v6Request.decryptedIv![i]!));
    expect(createHash('sha256').update(random).digest().equals(hash)).toBe(true);
  });
});

// ---- robustness ----------------------------------------------------------------------------------

describe('parseKmsResponse on hostile bytes', () => {
  const requests = [v4Request, v5Request, v6Request];
  const samples = withResponse.map(({ exchange }) => ({ message: recorded(exchange), request: requestOf(exchange) }));

  function onlyProtocolErrors(message: Uint8Array, request: KmsRequest, hmacSlotTolerance?: number): void {
    try {
      parseKmsResponse(message, request, hmacSlotTolerance === undefined ? {} : { hmacSlotTolerance });
    } catch (error) {
      if (!(error instanceof KmsProtocolError)) throw error;
    }
  }

  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ maxLength: 40 }) }),
  );
  type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

  function mutate(bytes: Buffer, mutations: Mutation[]): Buffer {
    let out = Buffer.from(bytes);
    for (const m of mutations) {
      if (m.kind === 'append') out = Buffer.concat([out, m.bytes]);
      else if (out.length === 0) continue;
      else if (m.kind === 'truncate') out = out.subarray(0, m.at % out.length);
      else if (m.kind === 'flip') out[m.at % out.length]! ^= 1 << m.bit;
      else out[m.at % out.length] = m.value;
    }
    return out;
  }

  test('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom(...requests), (bytes, request) => onlyProtocolErrors(bytes, request)),
      { numRuns: 1500 },
    );
  });

  test('mutated and truncated recorded responses', () => {
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 3 }), (sample, mutations, tolerance) =>
        onlyProtocolErrors(mutate(sample.message, mutations), sample.request, tolerance),
      ),
      { numRuns: 1500 },
    );
  });

  // Ciphertext mutations almost never leave valid padding; mutating the plaintext and resealing it
  // (and re-MACing V4 bodies) drives the bytes past decryption and the MAC into the field parser.
  test('mutated plaintexts behind valid padding and MACs', () => {
    const v6Plain = openV6(recorded(v6Exchange)).plain;
    const v4Body = recorded(v4Exchange).subarray(0, -16);
    fc.assert(
      fc.property(fc.boolean(), fc.array(mutation, { minLength: 1, maxLength: 4 }), (useV6, mutations) => {
        if (useV6) {
          onlyProtocolErrors(sealV6(mutate(v6Plain, mutations)), v6Request);
        } else {
          const body = mutate(v4Body, mutations);
          onlyProtocolErrors(Buffer.concat([body, v4Mac(body)]), v4Request);
        }
      }),
      { numRuns: 1500 },
    );
  });

  test('PIDSize values around every boundary', () => {
    const v6Plain = openV6(recorded(v6Exchange)).plain;
    const sizes = [0, 1, 2, 98, 99, 100, 126, 127, 128, 129, 130, 150, 200, 0x7fff_ffff, 0xffff_ffff];
    for (const size of sizes) {
      const body = Buffer.from(recorded(v4Exchange).subarray(0, -16));
      body.writeUInt32LE(size, 4);
      onlyProtocolErrors(Buffer.concat([body, v4Mac(body)]), v4Request);
      const plain = Buffer.from(v6Plain);
      plain.writeUInt32LE(size, 4);
      onlyProtocolErrors(sealV6(plain), v6Request);
    }
  });
});
