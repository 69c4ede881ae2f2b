#!/usr/bin/env node
// Writes the lab KMS host keys the simulator, fixtures and docs use:
//   node scripts/make-lab-keys.mjs [path/to/kms-host-compatibility.json]
// Default input: ../shared/reference/kms-host-compatibility.json relative to the repository root,
// else the committed copy at fixtures/reference/kms-host-compatibility.json. Output:
// fixtures/lab/host-keys.json. Run scripts/build-host-keys.mjs afterwards (it reads that file).
//
// Why a key encoder exists at all: the simulator needs KMS host keys that `/ipk` can install, and
// the project must not ship real ones (docs/lab-keys.md). So these keys are pkey2009 encodings
// (shared/reference/product-key-format.md §2/§3, run backwards) in LAB-ONLY key groups
// 990001–990016. Microsoft's groups in the reference data are all below 6000 and no Microsoft
// product accepts these groups. The encoder refuses every other group, so it cannot be pointed at a
// Microsoft key group by mistake or on purpose.
//
// Everything is deterministic: fixed serial, security value taken from SHA-256 of the type id,
// so re-running the script reproduces the committed fixture byte for byte (the tests check it).
// This module only exports pure functions; it writes files only when run as a script.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The lab-only key groups. Nothing outside this range can be encoded. */
export const LAB_KEY_GROUP_MIN = 990001;
export const LAB_KEY_GROUP_MAX = 990016;

/** Every lab key uses this serial: the group alone tells the lab keys apart. */
export const LAB_KEY_SERIAL = 1;

export const LAB_KEY_NOTE = 'LAB KEY — lab-only key group, not a Microsoft key';

/**
 * The lab host-key types: one lab group each, and the csvlkCatalog entry (by csvlkActivationId)
 * whose behaviour the simulator gives it. Append new types at the end with the next free group;
 * never renumber, or keys already in users' lab stores would change meaning.
 */
export const LAB_KEY_TYPES = [
  { id: 'ws2012r2', groupId: 990001, behavesLike: '20e938bb-df44-45ee-bde1-4e4fe7477f37' }, // Windows Server 2012 R2 With Win 10
  { id: 'ws2016', groupId: 990002, behavesLike: 'd6992aac-29e7-452a-bf10-bbfb8ccabe59' }, // Windows Server 2016
  { id: 'ws2019', groupId: 990003, behavesLike: '2e7a9ad1-a849-4b56-babe-17d5a29fe4b4' }, // Windows Server 2019
  { id: 'ws2022', groupId: 990004, behavesLike: '661f7658-7035-4b4c-9f35-010682943ec2' }, // Windows Server 2022
  { id: 'ws2025', groupId: 990005, behavesLike: '84e331f6-4279-48c4-ab10-b75139181351' }, // Windows Server 2025
  { id: 'win10-client', groupId: 990006, behavesLike: '90da7373-1c51-430b-bf26-c97e9c5cdc31' }, // Windows 10 2019
  { id: 'office2021', groupId: 990007, behavesLike: '47f3b983-7c53-4d45-abc6-bcd91e2dd90a' }, // Office 2021
  { id: 'office2024', groupId: 990008, behavesLike: 'f3d89bbf-c0ec-47ce-a8fa-e5a5f97e447f' }, // Office 2024
  { id: 'office2019', groupId: 990009, behavesLike: '70512334-47b4-44db-a233-be5ea33b914c' }, // Office 2019
  { id: 'office2016', groupId: 990010, behavesLike: '98ebfe73-2084-4c97-932c-c0cd1643bea7' }, // Office 2016
];

// ---- pkey2009 arithmetic (product-key-format.md §2/§3). Mirrors src/licensing/product-key.ts,
// which deliberately only decodes; the tests cross-check the two on every public GVLK.

export const KEY_ALPHABET = 'BCDFGHJKMPQRTVWXY2346789';
const CHECKSUM_SHIFT = 103n;
const CHECKSUM_MASK = 0x3ffn;
const SERIAL_MAX = 0x3fffffff; // 30 bits
const SECURITY_MASK = (1n << 53n) - 1n;

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let r = n << 24;
  for (let bit = 0; bit < 8; bit++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
  return r >>> 0;
});

/** CRC-32/MPEG-2 over the value as 16 little-endian bytes, checksum bits cleared; ~crc & 0x3ff. */
export function checksumOf(value) {
  let rest = value & ~(CHECKSUM_MASK << CHECKSUM_SHIFT);
  let crc = 0xffffffff;
  for (let i = 0; i < 16; i++) {
    const byte = Number(rest & 0xffn);
    rest >>= 8n;
    crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]) >>> 0;
  }
  return ~crc & 0x3ff;
}

/** Decodes a dashed pkey2009 key into its fields (§2). Throws on anything that is not one. */
export function decodeKey(key) {
  const bare = String(key).replaceAll('-', '').toUpperCase();
  const p = bare.indexOf('N');
  if (bare.length !== 25 || p < 0 || p === 24 || bare.indexOf('N', p + 1) >= 0) throw new Error(`not a pkey2009 key`);
  let value = BigInt(p);
  for (const c of bare.slice(0, p) + bare.slice(p + 1)) {
    const d = KEY_ALPHABET.indexOf(c);
    if (d < 0) throw new Error(`not a pkey2009 key`);
    value = value * 24n + BigInt(d);
  }
  return {
    nPosition: p,
    value,
    groupId: Number(value & 0xfffffn),
    serial: Number((value >> 20n) & 0x3fffffffn),
    security: (value >> 50n) & SECURITY_MASK,
    checksum: Number((value >> CHECKSUM_SHIFT) & CHECKSUM_MASK),
    upgrade: Number((value >> 113n) & 1n),
    extra: Number((value >> 114n) & 1n),
  };
}

export function isLabKeyGroup(groupId) {
  return Number.isInteger(groupId) && groupId >= LAB_KEY_GROUP_MIN && groupId <= LAB_KEY_GROUP_MAX;
}

/**
 * Encodes a pkey2009 key in a lab-only group. Throws RangeError for any group outside
 * 990001–990016 (that is the safety property, not an input check), and for a serial or security
 * value that does not fit its field. Upgrade and extra bits are always 0.
 */
export function encodeLabKey({ groupId, serial, security }) {
  if (!isLabKeyGroup(groupId)) {
    throw new RangeError(
      `refusing key group ${groupId}: only lab-only groups ${LAB_KEY_GROUP_MIN}–${LAB_KEY_GROUP_MAX} can be encoded`,
    );
  }
  if (!Number.isInteger(serial) || serial < 0 || serial > SERIAL_MAX) throw new RangeError(`serial ${serial} does not fit 30 bits`);
  if (typeof security !== 'bigint' || security < 0n || security > SECURITY_MASK) {
    throw new RangeError('security must be a bigint that fits 53 bits');
  }

  const fields = (BigInt(security) << 50n) | (BigInt(serial) << 20n) | BigInt(groupId);
  const value = fields | (BigInt(checksumOf(fields)) << CHECKSUM_SHIFT);

  // 25 base-24 digits, most significant first. value < 2^113 < 8·24^24, so the leading digit,
  // which becomes the N position, is at most 7: N can never land in the last place.
  const digits = [];
  let rest = value;
  for (let i = 0; i < 25; i++) {
    digits.unshift(Number(rest % 24n));
    rest /= 24n;
  }
  if (rest !== 0n) throw new Error('value does not fit 25 base-24 digits');
  const [nPosition, ...others] = digits;
  const symbols = others.map((d) => KEY_ALPHABET[d]).join('');
  const bare = symbols.slice(0, nPosition) + 'N' + symbols.slice(nPosition);
  const key = bare.match(/.{5}/g).join('-');

  // Never hand out a key that does not read back as exactly what was asked for.
  const back = decodeKey(key);
  if (
    back.value !== value ||
    back.groupId !== groupId ||
    back.serial !== serial ||
    back.security !== security ||
    back.checksum !== checksumOf(back.value) ||
    back.upgrade !== 0 ||
    back.extra !== 0 ||
    back.nPosition === 24
  ) {
    throw new Error(`round trip failed for group ${groupId}`);
  }
  return key;
}

/** The fixed security value of a lab type: the low 53 bits of SHA-256(type id). */
export function labSecurityFor(id) {
  const digest = createHash('sha256').update(id, 'utf8').digest();
  return digest.readBigUInt64BE(0) & SECURITY_MASK;
}

/** The fixture entries, in LAB_KEY_TYPES order. `catalog` is csvlkCatalog, for the display names. */
export function buildLabKeys(catalog) {
  const byId = new Map(catalog.map((e) => [e.csvlkActivationId, e]));
  const seenIds = new Set();
  const seenGroups = new Set();
  return LAB_KEY_TYPES.map((t) => {
    const target = byId.get(t.behavesLike);
    if (!target) throw new Error(`${t.id}: behavesLike ${t.behavesLike} is not in csvlkCatalog`);
    if (seenIds.has(t.id) || seenGroups.has(t.groupId)) throw new Error(`${t.id}: duplicate id or group`);
    seenIds.add(t.id);
    seenGroups.add(t.groupId);
    return {
      id: t.id,
      key: encodeLabKey({ groupId: t.groupId, serial: LAB_KEY_SERIAL, security: labSecurityFor(t.id) }),
      groupId: t.groupId,
      serial: LAB_KEY_SERIAL,
      behavesLike: t.behavesLike,
      displayName: `${target.displayName} (lab key)`,
      note: LAB_KEY_NOTE,
    };
  });
}

function referencePath(arg) {
  if (arg) return resolve(process.cwd(), arg);
  const shared = resolve(repoRoot, '../shared/reference/kms-host-compatibility.json');
  return existsSync(shared) ? shared : resolve(repoRoot, 'fixtures/reference/kms-host-compatibility.json');
}

async function main() {
  const inputPath = referencePath(process.argv[2]);
  const reference = JSON.parse(readFileSync(inputPath, 'utf8'));
  const keys = buildLabKeys(reference.csvlkCatalog ?? []);

  // A lab key must never coincide with a published GVLK (it cannot: no GVLK is in a lab group;
  // checked anyway because it costs nothing).
  const gvlkPath = resolve(repoRoot, 'fixtures/reference/gvlk.json');
  if (existsSync(gvlkPath)) {
    const published = new Set(JSON.parse(readFileSync(gvlkPath, 'utf8')).rows.map((r) => r.gvlk));
    for (const k of keys) if (published.has(k.key)) throw new Error(`${k.id}: collides with a published GVLK`);
  }

  // Cross-check with the project's own parser when a build is present (the tests always do).
  const compiled = resolve(repoRoot, 'dist/licensing/product-key.js');
  if (existsSync(compiled)) {
    const { parseProductKey } = await import(pathToFileURL(compiled).href);
    for (const k of keys) {
      const parsed = parseProductKey(k.key);
      if (parsed.format !== 'pkey2009' || parsed.decoded.groupId !== k.groupId || parsed.decoded.serial !== k.serial) {
        throw new Error(`${k.id}: dist/licensing/product-key.js reads the key differently`);
      }
    }
  }

  const outputPath = resolve(repoRoot, 'fixtures/lab/host-keys.json');
  mkdirSync(dirname(outputPath), { recursive: true });
  writeFileSync(outputPath, `${JSON.stringify(keys, null, 2)}\n`);
  console.log(
    `make-lab-keys: wrote ${relative(repoRoot, outputPath)} (${keys.length} lab keys, groups ` +
      `${keys[0]?.groupId}–${keys.at(-1)?.groupId}) from ${relative(repoRoot, inputPath).split('\\').join('/')}`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e) => {
    console.error(`make-lab-keys: ${e.message}`);
    process.exit(1);
  });
}
