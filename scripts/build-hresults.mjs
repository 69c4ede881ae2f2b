#!/usr/bin/env node
// Regenerates src/licensing/hresult-data.ts from the slmgr behaviour reference:
//   node scripts/build-hresults.mjs [path/to/slmgr-reference.md]
// Default input: ../shared/reference/slmgr-reference.md relative to the repository root.
// The reference's tables are cross-checked against each other; any row that does not parse or
// disagrees with another table aborts the run, so a silently truncated table cannot be committed.

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const inputPath = process.argv[2]
  ? resolve(process.cwd(), process.argv[2])
  : resolve(repoRoot, '../shared/reference/slmgr-reference.md');
const outputPath = resolve(repoRoot, 'src/licensing/hresult-data.ts');

// winerror.h codes slmgr names in its own texts (table 4.3) that slerror.h (Appendix B) lacks.
// Listed here so that a change in the reference is noticed rather than absorbed.
const EXPECTED_WINERROR_EXTRAS = [
  0x80070005, 0x80070057, 0x8007007b, 0x80070490, 0x800706ba, 0x8007232a, 0x8007232b, 0x8007251d,
];

const failures = [];
const fail = (message) => failures.push(message);

const source = readFileSync(inputPath, 'utf8');

function section(startHeading, endHeading) {
  const start = source.indexOf(startHeading);
  const end = endHeading === null ? source.length : source.indexOf(endHeading, start + 1);
  if (start < 0 || end < 0) throw new Error(`${inputPath}: cannot find section "${startHeading}"`);
  return source.slice(start, end).split('\n');
}

const signed = (code) => code | 0;

// --- Appendix A: slmgr's built-in L_MsgError_<HEX> strings -------------------------------------
// Key = VBScript Hex() of the error number, so L_MsgError_5 is Win32 error 5.
const slmgrTexts = new Map();
for (const line of section('## Appendix A', '## Appendix B')) {
  if (!line.startsWith('| `L_MsgError_')) continue;
  const m = /^\| `L_MsgError_([0-9A-F]+)` \| `(.*)`(␠)? \| [^|]* \| [^|]* \|$/.exec(line);
  if (!m) {
    fail(`Appendix A: unparsable row: ${line}`);
    continue;
  }
  const code = parseInt(m[1], 16);
  if (slmgrTexts.has(code)) fail(`Appendix A: duplicate L_MsgError_${m[1]}`);
  // "␠" marks a string that ends with a space.
  slmgrTexts.set(code, m[3] ? `${m[2]} ` : m[2]);
}

// --- Appendix B: slerror.h --------------------------------------------------------------------
const appendixB = section('## Appendix B', null);
const declared = /All (\d+) codes defined in `slerror\.h`/.exec(appendixB.join('\n'));
if (!declared) fail('Appendix B: cannot find the declared number of codes');
const sdk = new Map();
for (const line of appendixB) {
  if (!line.startsWith('| 0x')) continue;
  const m = /^\| 0x([0-9A-F]{8}) \| (-?\d+) \| `([A-Z0-9_]+)` \| ([^|]+) \|$/.exec(line);
  if (!m) {
    fail(`Appendix B: unparsable row: ${line}`);
    continue;
  }
  const code = parseInt(m[1], 16);
  if (signed(code) !== Number(m[2])) fail(`Appendix B: 0x${m[1]} exit code ${m[2]} is not its signed value`);
  if (sdk.has(code)) fail(`Appendix B: duplicate 0x${m[1]}`);
  sdk.set(code, { symbol: m[3], text: m[4].trim() });
}
if (declared && sdk.size !== Number(declared[1])) {
  fail(`Appendix B: declares ${declared[1]} codes, parsed ${sdk.size}`);
}

// --- Table 4.3: cross-check both appendices, pick up the winerror.h codes ---------------------
const extras = new Map();
const table43Codes = new Set();
for (const line of section('### 4.3', '## 5.')) {
  if (!line.startsWith('| 0x')) continue;
  const cells = line.split('|').slice(1, -1).map((c) => c.trim());
  const m = /^0x([0-9A-F]{8})$/.exec(cells[0] ?? '');
  if (cells.length !== 5 || !m) {
    fail(`table 4.3: unparsable row: ${line}`);
    continue;
  }
  const [, exitCode, slmgrText, sdkCell] = cells;
  const code = parseInt(m[1], 16);
  table43Codes.add(code);
  if (signed(code) !== Number(exitCode)) fail(`table 4.3: 0x${m[1]} exit code ${exitCode} is not its signed value`);

  const builtIn = slmgrText.startsWith('—') ? undefined : slmgrText;
  if (builtIn !== slmgrTexts.get(code)) fail(`table 4.3: 0x${m[1]} slmgr text disagrees with Appendix A`);

  if (sdkCell === '—') {
    if (sdk.has(code)) fail(`table 4.3: 0x${m[1]} has no SDK text but Appendix B lists it`);
    continue;
  }
  const s = /^`([^`]+)`: (.+)$/.exec(sdkCell);
  if (!s) {
    fail(`table 4.3: 0x${m[1]} unparsable SDK cell: ${sdkCell}`);
    continue;
  }
  const known = sdk.get(code);
  if (known) {
    if (known.symbol !== s[1] || known.text !== s[2]) fail(`table 4.3: 0x${m[1]} SDK text disagrees with Appendix B`);
    continue;
  }
  // winerror.h rows carry the Win32 code in decimal, e.g. `ERROR_ACCESS_DENIED (5)`; it must be
  // the HRESULT's low word, and it is not part of the symbol.
  const w = /^(.+) \((\d+)\)$/.exec(s[1]);
  if (!w || Number(w[2]) !== (code & 0xffff)) {
    fail(`table 4.3: 0x${m[1]} winerror symbol without matching Win32 code: ${s[1]}`);
    continue;
  }
  extras.set(code, { symbol: w[1], text: s[2] });
}
for (const code of slmgrTexts.keys()) {
  // Win32 error 5 is the registry-path twin of 0x80070005, which table 4.3 lists.
  if (code >= 0x80000000 && !table43Codes.has(code)) fail(`Appendix A code 0x${code.toString(16)} missing from table 4.3`);
}
const extraCodes = [...extras.keys()].sort((a, b) => a - b);
if (extraCodes.join() !== [...EXPECTED_WINERROR_EXTRAS].sort((a, b) => a - b).join()) {
  fail(`table 4.3: winerror.h extras are ${extraCodes.map((c) => c.toString(16)).join(', ')}`);
}

if (failures.length > 0) {
  console.error(`build-hresults: ${failures.length} problem(s) in ${inputPath}:`);
  for (const f of failures) console.error(`  - ${f}`);
  process.exit(1);
}

// --- Emit --------------------------------------------------------------------------------------
const hexLiteral = (code) => `0x${code.toString(16).toUpperCase()}`;
const str = (s) => JSON.stringify(s);
const byCode = (a, b) => a[0] - b[0];
const digest = createHash('sha256').update(source).digest('hex');
const inputLabel = relative(repoRoot, inputPath).split('\\').join('/');

const sdkRows = [...sdk, ...extras].sort(byCode);
const out = `// GENERATED FILE — do not edit. Regenerate with \`node scripts/build-hresults.mjs\`.
// Source: ${inputLabel} (sha256 ${digest}).
//   SLMGR_ERROR_TEXTS: every \`L_MsgError_<HEX>\` string of Appendix A (slmgr.vbs, Windows 8.1/10/11),
//     verbatim, keyed by the error number (L_MsgError_5 is Win32 error 5).
//   SDK_MESSAGES: Appendix B (${sdk.size} slerror.h codes) plus the ${extras.size} winerror.h codes of table 4.3
//     that slerror.h lacks (symbol and MessageText from that table's SDK column).

/** [error number (unsigned), slmgr's own text]. */
export const SLMGR_ERROR_TEXTS: readonly (readonly [code: number, text: string])[] = [
${[...slmgrTexts].sort(byCode).map(([code, text]) => `  [${hexLiteral(code)}, ${str(text)}],`).join('\n')}
];

/** [HRESULT (unsigned), SDK symbol, MessageText]. */
export const SDK_MESSAGES: readonly (readonly [code: number, symbol: string, text: string])[] = [
${sdkRows.map(([code, m]) => `  [${hexLiteral(code)}, ${str(m.symbol)}, ${str(m.text)}],`).join('\n')}
];
`;
writeFileSync(outputPath, out);
console.log(
  `build-hresults: wrote ${relative(repoRoot, outputPath)} (${slmgrTexts.size} slmgr texts, ${sdkRows.length} SDK messages)`,
);
