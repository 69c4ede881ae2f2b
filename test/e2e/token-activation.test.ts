// Token-based activation end to end: /lil, /ril, /ltc, /fta and `slmgr lab install-tokens`, in
// text and --json, through the CLI's entry point (and a few through the built bin). Expected
// strings are slmgr's (slmgr-reference.md §2.5, §3.5, Appendix A); every rejected command must
// leave the store byte-for-byte as it was.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCaptured } from '../helpers/run-captured.js';
import { Store } from '../../src/store/store.js';
import { slmgr as spawnSlmgr, slmgrOutput } from './helpers.js';

const NOW = '2026-11-25T12:00:00Z';
const HOST = 'ws-0042';
const ENTERPRISE_KEY = 'NPPR9-FWDCX-D2C8J-H872K-2YT43';
const ENTERPRISE_ID = '73111121-5638-40f6-bc11-f1d7b0d64300';
const SERVER_2019_KEY = 'N69G4-B89J2-4G8F4-WWYCC-J464C';
const SERVER_2019_ID = 'de32eafd-aaee-4662-9444-c1befb41bde2';
const OFFICE_2016_KEY = 'XQNVK-8JYDB-WJ9W3-YJ8YR-WFG99';
const LAB_HOST_KEY_WS2019 = 'B7NVT-H6TFH-89TYG-7DV6B-782QF';
const ILID = 'a1205fc5-d75a-4450-849f-e3433d79352c';
const DAMAGED_ILID = 'dcf09ad7-dade-4e77-a3b1-40f2c75e1be9';
const SLID_V1 = '688e0e4c-07d8-4478-b40d-bac22b5c58a6';
const PIN_CARD = '8C76F9C2107E34F9864CF75EDA132B5E7689A257';
const NO_PIN = '56EB115F0A4A63878249DE62A56B45E286BC7983';
const EXPORTABLE = '4BB0774A298DA508078EB15BDF1F9702CDF4D606';
const OTHER_CA = '6592FC3B842303CE2907BF4E1003888F6471177A';
const ACTIVATING_ENTERPRISE = `Activating Windows(R), Enterprise edition (${ENTERPRISE_ID}) ...`;
const PKEY_NOT_INSTALLED = 'Error: 0xC004F014 The Software Licensing Service reported that the product key is not available';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

function lab() {
  const dir = mkdtempSync(join(tmpdir(), 'slmgr-token-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = join(dir, 'store.db');
  const slmgr = (argv: string[], now = NOW): Promise<Result> =>
    runCaptured({ argv, hostname: HOST, homedir: dir, env: { SLMGR_STORE: store, SLMGR_NOW: now } });
  const json = async (argv: string[], now = NOW) => {
    const r = await slmgr([...argv, '--json'], now);
    return { ...r, doc: JSON.parse(r.stdout) as Record<string, any> };
  };
  /** Every row of every table: what "the store is unchanged" compares. */
  const snapshot = (): string => {
    const db = new Database(store, { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
      return JSON.stringify(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}"`).all().map((row) => JSON.stringify(row)).sort()]));
    } finally {
      db.close();
    }
  };
  /** Changes the store directly, as a test fixture would (no slmgr switch removes certificates). */
  const withStore = (fn: Parameters<Store['transaction']>[0]) => {
    const s = Store.open({ path: store, now: () => Date.parse(NOW), randomUUID: () => crypto.randomUUID(), hostname: HOST });
    try {
      s.transaction(fn);
    } finally {
      s.close();
    }
  };
  return { slmgr, json, snapshot, withStore, store };
}

/** A machine with the Enterprise GVLK and the lab token set. */
async function prepared(machine?: string) {
  const l = lab();
  const target = machine ? [machine] : [];
  expect((await l.slmgr([...target, '/ipk', ENTERPRISE_KEY])).status).toBe(0);
  expect((await l.slmgr(['lab', 'install-tokens', machine ?? HOST])).status).toBe(0);
  return { ...l, on: (argv: string[], now = NOW) => l.slmgr([...target, ...argv], now) };
}

const LIL_ALL = slmgrOutput(
  'Token-based Activation Issuance Licenses:',
  '',
  `${ILID}    1`,
  `    License ID (ILID): ${ILID}`,
  '    Version ID (ILvID): 1',
  '    Valid to: 12/31/2025 6:00:00 PM',
  '    Additional Information: LAB ONLY - synthetic issuance licence, not issued by Microsoft',
  '    Description: slmgr lab token activation: Windows Enterprise (LAB ONLY)',
  '',
  `${ILID}    2`,
  `    License ID (ILID): ${ILID}`,
  '    Version ID (ILvID): 2',
  '    Valid to: 6/30/2031 6:00:00 PM',
  '    Additional Information: LAB ONLY - synthetic issuance licence, not issued by Microsoft',
  '    Description: slmgr lab token activation: Windows and Windows Server (LAB ONLY)',
  '',
  `${DAMAGED_ILID}    1`,
  `    License ID (ILID): ${DAMAGED_ILID}`,
  '    Version ID (ILvID): 1',
  '    Error: 0xC004F30C',
  '',
);

const certificateLines = (thumbprint: string, subject: string, from: string, to: string) => [
  '',
  `Thumbprint: ${thumbprint}`,
  `Subject: ${subject}`,
  'Issuer: CN=slmgr Lab Token CA (LAB ONLY), O=slmgr lab',
  `Valid from: ${from}`,
  `Valid to: ${to}`,
];

const TOKEN_BLOCK = (thumbprint: string, grant = 1) => [
  '',
  'Most recent activation information:',
  'Token-based Activation information',
  `    License ID (ILID): ${ILID}`,
  '    Version ID (ILvID): 2',
  `    Grant Number: ${grant}`,
  `    Certificate Thumbprint: ${thumbprint}`,
];

describe('slmgr lab install-tokens', () => {
  it('installs the lab token set on a machine', async () => {
    const l = lab();
    await l.slmgr(['pc01', '/ipk', ENTERPRISE_KEY]);
    const r = await l.slmgr(['lab', 'install-tokens', 'pc01']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(slmgrOutput(
      'pc01: installed 3 token issuance license(s) and 4 token certificate(s) from the lab token set (LAB ONLY)',
      `  issuance license ${ILID} 1`,
      `  issuance license ${ILID} 2`,
      `  issuance license ${DAMAGED_ILID} 1`,
      `  certificate ${PIN_CARD} CN=Lab Token Operator 01 (LAB ONLY), O=slmgr lab (PIN)`,
      `  certificate ${NO_PIN} CN=Lab Token Operator 02 (LAB ONLY), O=slmgr lab`,
      `  certificate ${EXPORTABLE} CN=Lab Token Operator 03 (LAB ONLY, exportable key), O=slmgr lab`,
      `  certificate ${OTHER_CA} CN=Lab Token Operator 04 (LAB ONLY), O=slmgr lab`,
    ));
  });

  it('answers in JSON, addresses the local machine as ".", and reinstalls what /ril removed', async () => {
    const l = lab();
    const { doc, status } = await l.json(['lab', 'install-tokens', '.']);
    expect(status).toBe(0);
    expect(doc).toMatchObject({ command: 'lab install-tokens', machine: null, ok: true, error: null });
    expect(doc.result).toMatchObject({ kind: 'lab-tokens-installed', machine: HOST });
    expect(doc.result.licenses).toEqual([
      { slid: SLID_V1, ilid: ILID, ilvid: 1 },
      { slid: '88121e0b-9998-4c4d-836c-6aa5cc3c6d24', ilid: ILID, ilvid: 2 },
      { slid: 'cfaa5087-39fb-463e-95d8-b284923cb9ec', ilid: DAMAGED_ILID, ilvid: 1 },
    ]);
    expect(doc.result.certificates[0]).toEqual({ thumbprint: PIN_CARD, subject: 'CN=Lab Token Operator 01 (LAB ONLY), O=slmgr lab', pinProtected: true });
    expect(JSON.stringify(doc)).not.toContain('123456');
    await l.slmgr(['/ril', ILID, '1']);
    expect((await l.slmgr(['/lil'])).stdout).not.toContain(`${ILID}    1`);
    await l.slmgr(['lab', 'install-tokens', HOST]);
    const { doc: listed } = await l.json(['/lil']);
    expect(listed.result.licenses.map((x: { slid: string }) => x.slid).sort()).toEqual(doc.result.licenses.map((x: { slid: string }) => x.slid).sort());
  });

  it('refuses a machine that does not exist (usage, exit 1) and changes nothing', async () => {
    const l = lab();
    await l.slmgr(['/dli']);
    const before = l.snapshot();
    const r = await l.slmgr(['lab', 'install-tokens', 'nosuch']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no lab machine named "nosuch"');
    expect((await l.json(['lab', 'install-tokens', 'nosuch'])).doc.error.kind).toBe('usage');
    expect(l.snapshot()).toBe(before);
  });
});

describe('/lil', () => {
  it('lists nothing on a machine without issuance licences', async () => {
    const l = lab();
    const r = await l.slmgr(['/lil']);
    expect(r).toEqual({ status: 0, stdout: slmgrOutput('Token-based Activation Issuance Licenses:', '', 'No licenses found.'), stderr: '' });
    expect((await l.json(['/lil'])).doc).toMatchObject({ command: 'lil', ok: true, result: { kind: 'token-licenses', licenses: [] } });
  });

  it('lists every licence in slmgr\'s layout: Valid to, Additional Information, then Description or the authorization error', async () => {
    const l = await prepared();
    expect(await l.slmgr(['/lil'])).toEqual({ status: 0, stdout: LIL_ALL, stderr: '' });
  });

  it('gives every field in JSON', async () => {
    const l = await prepared();
    const { doc } = await l.json(['/lil']);
    expect(doc.result.licenses).toHaveLength(3);
    expect(doc.result.licenses[1]).toEqual({
      slid: '88121e0b-9998-4c4d-836c-6aa5cc3c6d24',
      ilid: ILID,
      ilvid: 2,
      validTo: '2031-06-30T18:00:00.000Z',
      additionalInformation: 'LAB ONLY - synthetic issuance licence, not issued by Microsoft',
      description: 'slmgr lab token activation: Windows and Windows Server (LAB ONLY)',
      authorizationStatus: null,
      grants: [
        { grantNumber: 1, activationIds: [ENTERPRISE_ID, '2de67392-b7a7-462a-b1ca-108dd189f588'] },
        { grantNumber: 2, activationIds: [SERVER_2019_ID, '9bd77860-9b31-4b7b-96ad-2564017315bf', 'ef6cfc9f-8c5d-44ac-9aad-de6a2ea0ae03', '7dc26449-db21-4e09-ba37-28f2958506a6'] },
      ],
    });
    expect(doc.result.licenses[2]).toMatchObject({ validTo: null, additionalInformation: null, authorizationStatus: '0xC004F30C' });
  });

  it('fails on an unknown lab machine as slmgr does on an unreachable one', async () => {
    const l = lab();
    const r = await l.slmgr(['pc99', '/lil']);
    expect(r.stdout).toBe(slmgrOutput('Error 0x800706BA occurred in connecting to server pc99. The RPC server is unavailable'));
    expect(r.status).toBe(5);
  });
});

describe('/ril', () => {
  it('removes the licence with that ILID and ILvID', async () => {
    const l = await prepared();
    const r = await l.slmgr(['/ril', ILID, '1']);
    expect(r).toEqual({ status: 0, stdout: slmgrOutput('Removing Token-based Activation License ...', '', `Removed license with SLID=${SLID_V1}.`), stderr: '' });
    const listed = (await l.slmgr(['/lil'])).stdout;
    expect(listed).not.toContain(`${ILID}    1`);
    expect(listed).toContain(`${ILID}    2`);
  });

  it('reports the removed SLIDs in JSON and compares the ILID without regard to case', async () => {
    const l = await prepared();
    const { doc, status } = await l.json(['/ril', ILID.toUpperCase(), '2']);
    expect(status).toBe(0);
    expect(doc.result).toEqual({ kind: 'token-license-removal', ilid: ILID.toUpperCase(), ilvid: 2, removed: ['88121e0b-9998-4c4d-836c-6aa5cc3c6d24'] });
  });

  it('says "No licenses found." when nothing matches, and changes nothing', async () => {
    const l = await prepared();
    const before = l.snapshot();
    for (const args of [[ILID, '3'], ['00000000-0000-0000-0000-000000000000', '1']]) {
      const r = await l.slmgr(['/ril', ...args]);
      expect(r).toEqual({ status: 0, stdout: slmgrOutput('Removing Token-based Activation License ...', '', 'No licenses found.'), stderr: '' });
    }
    expect((await l.json(['/ril', ILID, '9'])).doc.result.removed).toEqual([]);
    expect(l.snapshot()).toBe(before);
  });

  it('rejects an ILvID that is not a whole number with 0x80070057 and changes nothing', async () => {
    const l = await prepared();
    const before = l.snapshot();
    for (const bad of ['one', '-1', '1.5', '4294967296']) {
      const r = await l.slmgr(['/ril', ILID, bad]);
      expect(r.stdout).toBe(slmgrOutput('Error: 0x80070057 The parameter is incorrect'));
      expect(r.status).toBe(2);
    }
    const { doc } = await l.json(['/ril', ILID, 'one']);
    expect(doc).toMatchObject({ ok: false, result: null, error: { kind: 'licensing', hresult: '0x80070057' } });
    expect(l.snapshot()).toBe(before);
  });

  it('needs both parameters', async () => {
    const l = lab();
    const r = await l.slmgr(['/ril', ILID]);
    expect(r.status).toBe(1);
    expect(r.stdout.startsWith('\nError: option ril needs <ILID> <ILvID>\nWindows Software Licensing Management Tool\n')).toBe(true);
  });
});

describe('/ltc', () => {
  it('lists the certificates the Windows product\'s licences accept, with short dates', async () => {
    const l = await prepared();
    const r = await l.slmgr(['/ltc']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(slmgrOutput(
      ...certificateLines(PIN_CARD, 'CN=Lab Token Operator 01 (LAB ONLY), O=slmgr lab', '1/1/2025', '1/1/2035'),
      ...certificateLines(NO_PIN, 'CN=Lab Token Operator 02 (LAB ONLY), O=slmgr lab', '6/1/2025', '6/1/2030'),
      ...certificateLines(EXPORTABLE, 'CN=Lab Token Operator 03 (LAB ONLY, exportable key), O=slmgr lab', '1/1/2025', '1/1/2035'),
    ));
    const { doc } = await l.json(['/ltc']);
    expect(doc.result).toMatchObject({ kind: 'token-certificates', activationId: ENTERPRISE_ID, productKeyNotFound: false, failure: null });
    expect(doc.result.certificates[1]).toEqual({
      thumbprint: NO_PIN, subject: 'CN=Lab Token Operator 02 (LAB ONLY), O=slmgr lab', issuer: 'CN=slmgr Lab Token CA (LAB ONLY), O=slmgr lab',
      validFrom: '2025-06-01T09:00:00.000Z', validTo: '2030-06-01T09:00:00.000Z',
    });
  });

  it('without a Windows key: slmgr\'s two error lines, 0xC004F014', async () => {
    const l = lab();
    await l.slmgr(['/ipk', OFFICE_2016_KEY]);
    const r = await l.slmgr(['/ltc']);
    expect(r).toEqual({ status: 2, stdout: slmgrOutput('Error: product key not found.', PKEY_NOT_INSTALLED), stderr: '' });
    expect(await l.slmgr(['/ltc', '--exit-codes', 'slmgr'])).toMatchObject({ status: -1073418220 });
    const { doc } = await l.json(['/ltc']);
    expect(doc).toMatchObject({ ok: false, exitCode: 2, result: { productKeyNotFound: true, activationId: null, certificates: [] }, error: { kind: 'licensing', hresult: '0xC004F014', hresultSigned: -1073418220 } });
  });

  it('without a licence that covers the product: 0xC004F304', async () => {
    const l = lab();
    await l.slmgr(['/ipk', ENTERPRISE_KEY]);
    const r = await l.slmgr(['/ltc']);
    expect(r).toEqual({ status: 2, stdout: slmgrOutput('Error: 0xC004F304 The Software Licensing Service reported that required license could not be found.'), stderr: '' });
  });

  it('without a certificate the licences accept: 0xC004F305', async () => {
    const l = await prepared();
    l.withStore((tx) => {
      for (const row of tx.listObjects('token-certificate', tx.localMachine().id)) {
        if (row.name !== OTHER_CA) tx.deleteObject('token-certificate', tx.localMachine().id, row.name);
      }
    });
    const r = await l.slmgr(['/ltc']);
    expect(r).toEqual({ status: 2, stdout: slmgrOutput('Error: 0xC004F305 The Software Licensing Service reported that there are no certificates found in the system that could activate the product.'), stderr: '' });
    expect((await l.json(['/ltc'])).doc.error.hresult).toBe('0xC004F305');
  });
});

describe('/fta', () => {
  it('activates the Windows product with a smart card certificate and its PIN', async () => {
    const l = await prepared();
    const r = await l.slmgr(['/fta', PIN_CARD, '123456']);
    expect(r).toEqual({ status: 0, stdout: slmgrOutput(ACTIVATING_ENTERPRISE, 'Product activated successfully.'), stderr: '' });
  });

  it('shows the token block in /dlv and /dli, and the licence\'s Additional Information after the Description', async () => {
    const l = await prepared();
    await l.slmgr(['/fta', PIN_CARD, '123456']);
    const dlv = (await l.slmgr(['/dlv'])).stdout;
    expect(dlv).toMatch(new RegExp([
      '^Software licensing service version: 10\\.0\\.26100\\.1\\n',
      '\\nName: Windows\\(R\\), Enterprise edition\\n',
      'Description: Windows\\(R\\) Operating System, VOLUME_KMSCLIENT channel\\n',
      'Additional Information: LAB ONLY - synthetic issuance licence, not issued by Microsoft\\n',
      `Activation ID: ${ENTERPRISE_ID}\\n`,
    ].join('')));
    expect(dlv.endsWith([
      'Partial Product Key: 2YT43',
      'License Status: Licensed',
      'Remaining Windows rearm count: 1001',
      'Remaining SKU rearm count: 1001',
      'Trusted time: 11/25/2026 12:00:00 PM',
      'Configured Activation Type: All',
      ...TOKEN_BLOCK(PIN_CARD),
      '',
      '',
      '',
    ].join('\n'))).toBe(true);
    expect((await l.slmgr(['/dli'])).stdout).toBe(slmgrOutput(
      '',
      'Name: Windows(R), Enterprise edition',
      'Description: Windows(R) Operating System, VOLUME_KMSCLIENT channel',
      'Additional Information: LAB ONLY - synthetic issuance licence, not issued by Microsoft',
      'Partial Product Key: 2YT43',
      'License Status: Licensed',
      'Configured Activation Type: All',
      ...TOKEN_BLOCK(PIN_CARD),
      '',
    ));
    expect((await l.slmgr(['/xpr'])).stdout).toBe(slmgrOutput('Windows(R), Enterprise edition:', '    The machine is permanently activated.'));
  });

  it('reports the activation in JSON, for /fta and /dlv', async () => {
    const l = await prepared();
    const { doc, status } = await l.json(['/fta', NO_PIN]);
    expect(status).toBe(0);
    const tokenActivation = {
      ilid: ILID, ilvid: 2, grantNumber: 1, certificateThumbprint: NO_PIN,
      additionalInformation: 'LAB ONLY - synthetic issuance licence, not issued by Microsoft', activatedAt: '2026-11-25T12:00:00.000Z',
    };
    expect(doc).toMatchObject({
      command: 'fta', machine: HOST, ok: true, exitCode: 0, error: null,
      result: { kind: 'token-activation', product: { activationId: ENTERPRISE_ID, name: 'Windows(R), Enterprise edition' }, activated: true, tokenActivation, productKeyNotFound: false, failure: null },
    });
    const dlv = (await l.json(['/dlv'])).doc;
    expect(dlv.result.products[0]).toMatchObject({ licenseStatus: 1, graceRemainingMinutes: 0, expiresAt: null, tokenActivation });
  });

  it('accepts the thumbprint in lower case and with spaces, on a lab machine', async () => {
    const l = await prepared('pc01');
    const spaced = NO_PIN.toLowerCase().replace(/(..)(?!$)/g, '$1 ');
    expect((await l.on(['/fta', spaced])).stdout).toBe(slmgrOutput(ACTIVATING_ENTERPRISE, 'Product activated successfully.'));
    expect((await l.on(['/dli'])).stdout).toContain(`    Certificate Thumbprint: ${NO_PIN}`);
  });

  it.each([
    ['a malformed thumbprint', ['xyz'], 'Error: 0xC004F30D The Software Licensing Service reported that the computer could not be activated. The thumbprint is invalid.'],
    ['a thumbprint no installed certificate has', ['0123456789ABCDEF0123456789ABCDEF01234567'], 'Error: 0xC004F30E The Software Licensing Service reported that the computer could not be activated. A certificate for the thumbprint could not be found.'],
    ['a PIN-protected certificate without its PIN', [PIN_CARD], "Error: 0xC004F30B On a computer running Microsoft Windows non-core edition, run 'slui.exe 0x2a 0xC004F30B' to display the error text."],
    ['a wrong PIN', [PIN_CARD, '654321'], "Error: 0xC004F30B On a computer running Microsoft Windows non-core edition, run 'slui.exe 0x2a 0xC004F30B' to display the error text."],
    ['a certificate whose private key is exportable', [EXPORTABLE], 'Error: 0xC004F312 The Software Licensing Service reported that the computer could not be activated. The certificate cannot be used because its private key is exportable.'],
    ['a certificate of a CA the licence does not name', [OTHER_CA], 'Error: 0xC004F30F The Software Licensing Service reported that the computer could not be activated. The certificate does not match the criteria specified in the issuance license.'],
  ])('refuses %s after the Activating line, and changes nothing', async (_what, args, errorLine) => {
    const l = await prepared();
    const before = l.snapshot();
    const r = await l.slmgr(['/fta', ...args]);
    expect(r).toEqual({ status: 2, stdout: slmgrOutput(ACTIVATING_ENTERPRISE, errorLine), stderr: '' });
    const { doc } = await l.json(['/fta', ...args]);
    expect(doc).toMatchObject({
      ok: false, exitCode: 2,
      result: { kind: 'token-activation', activated: false, tokenActivation: null, product: { activationId: ENTERPRISE_ID } },
      error: { kind: 'licensing', hresult: errorLine.slice(7, 17) },
    });
    expect(l.snapshot()).toBe(before);
  });

  it('refuses an expired certificate (0xC004F30A) and, once the licence has expired, finds no licence (0xC004F304)', async () => {
    const l = await prepared();
    const before = l.snapshot();
    expect((await l.slmgr(['/fta', NO_PIN], '2030-07-01T00:00:00Z')).stdout).toBe(slmgrOutput(ACTIVATING_ENTERPRISE,
      'Error: 0xC004F30A The Software Licensing Service reported that the computer could not be activated. The certificate does not match the conditions in the license.'));
    expect((await l.slmgr(['/fta', PIN_CARD, '123456'], '2031-07-01T00:00:00Z')).stdout).toBe(slmgrOutput(ACTIVATING_ENTERPRISE,
      'Error: 0xC004F304 The Software Licensing Service reported that required license could not be found.'));
    expect(l.snapshot()).toBe(before);
  });

  it('without a licence for the product: 0xC004F304, whatever the thumbprint', async () => {
    const l = lab();
    await l.slmgr(['/ipk', ENTERPRISE_KEY]);
    const before = l.snapshot();
    const r = await l.slmgr(['/fta', NO_PIN]);
    expect(r.stdout).toBe(slmgrOutput(ACTIVATING_ENTERPRISE, 'Error: 0xC004F304 The Software Licensing Service reported that required license could not be found.'));
    expect(r.status).toBe(2);
    expect(l.snapshot()).toBe(before);
  });

  it('without a Windows key: slmgr\'s two error lines, no Activating line', async () => {
    const l = lab();
    await l.slmgr(['/dli']);
    const before = l.snapshot();
    const r = await l.slmgr(['/fta', NO_PIN]);
    expect(r).toEqual({ status: 2, stdout: slmgrOutput('Error: product key not found.', PKEY_NOT_INSTALLED), stderr: '' });
    const { doc } = await l.json(['/fta', NO_PIN]);
    expect(doc).toMatchObject({ result: { product: null, productKeyNotFound: true }, error: { hresult: '0xC004F014' } });
    expect(l.snapshot()).toBe(before);
  });

  it('refuses a KMS host key product: 0xC004F306', async () => {
    const l = lab();
    await l.slmgr(['kms01', '/ipk', LAB_HOST_KEY_WS2019]);
    await l.slmgr(['lab', 'install-tokens', 'kms01']);
    const before = l.snapshot();
    const r = await l.slmgr(['kms01', '/fta', NO_PIN]);
    expect(r.stdout).toMatch(/^Activating Windows\(R\), ServerStandard edition \([0-9a-f-]{36}\) \.\.\.\n/);
    expect(r.stdout).toContain('Error: 0xC004F306 On a computer running Microsoft Windows non-core edition');
    expect(r.status).toBe(2);
    expect(l.snapshot()).toBe(before);
  });

  it('needs the thumbprint', async () => {
    const l = lab();
    const r = await l.slmgr(['/fta']);
    expect(r.status).toBe(1);
    expect(r.stdout.startsWith('\nError: option fta needs <Certificate Thumbprint> [<PIN>]\n')).toBe(true);
  });
});

describe('/fta and the configured activation type', () => {
  it('with /act-type 3, /ato points at /fta and /fta activates', async () => {
    const l = await prepared();
    await l.slmgr(['/act-type', '3']);
    expect((await l.slmgr(['/ato'])).stdout).toBe(slmgrOutput('This system is configured for Token-based activation only. Use slmgr.vbs /fta to initiate Token-based activation, or slmgr.vbs /act-type to change the activation type setting.'));
    expect((await l.slmgr(['/fta', NO_PIN])).status).toBe(0);
    expect((await l.slmgr(['/dli'])).stdout).toContain(['Configured Activation Type: Token', ...TOKEN_BLOCK(NO_PIN)].join('\n'));
  });

  it.each([['2', 'KMS'], ['1', 'AD']])('with /act-type %s (%s only), /fta is not allowed (0xC004F06A) and changes nothing', async (type) => {
    const l = await prepared();
    await l.slmgr(['/act-type', type]);
    const before = l.snapshot();
    const r = await l.slmgr(['/fta', NO_PIN]);
    expect(r).toEqual({ status: 2, stdout: slmgrOutput(ACTIVATING_ENTERPRISE, "Error: 0xC004F06A On a computer running Microsoft Windows non-core edition, run 'slui.exe 0x2a 0xC004F06A' to display the error text."), stderr: '' });
    expect(l.snapshot()).toBe(before);
  });

  it('a product\'s own type wins over the service\'s', async () => {
    const l = await prepared();
    await l.slmgr(['/act-type', '2']);
    await l.slmgr(['/act-type', '3', ENTERPRISE_ID]);
    expect((await l.slmgr(['/fta', NO_PIN])).status).toBe(0);
    await l.slmgr(['/act-type', '2', ENTERPRISE_ID]);
    expect((await l.slmgr(['/fta', NO_PIN])).stdout).toContain('Error: 0xC004F06A ');
  });
});

describe('a token activation in the life of a product', () => {
  it('is not renewed by KMS while lab time passes, and a KMS activation later replaces it', async () => {
    const l = lab();
    await l.slmgr(['kms01', '/ipk', LAB_HOST_KEY_WS2019]);
    await l.slmgr(['kms01', '/ato']);
    expect((await l.slmgr(['lab', 'clients', '--count', '4', '--key', SERVER_2019_KEY, '--prefix', 'srv'])).status).toBe(0);
    await l.slmgr(['pc01', '/ipk', SERVER_2019_KEY]);
    await l.slmgr(['lab', 'install-tokens', 'pc01']);
    expect((await l.slmgr(['pc01', '/fta', NO_PIN])).stdout).toBe(slmgrOutput(`Activating Windows(R), ServerStandard edition (${SERVER_2019_ID}) ...`, 'Product activated successfully.'));
    expect((await l.slmgr(['pc01', '/dli'])).stdout).toContain(TOKEN_BLOCK(NO_PIN, 2).join('\n'));

    await l.slmgr(['lab', 'advance', '30d']);
    expect((await l.slmgr(['lab', 'events', 'pc01'])).stdout).toBe(slmgrOutput('No KMS events on pc01.'));
    expect((await l.slmgr(['pc01', '/dli'])).stdout).toContain('Token-based Activation information');

    expect((await l.slmgr(['pc01', '/ato'])).stdout).toContain('Product activated successfully.');
    const dli = (await l.slmgr(['pc01', '/dli'])).stdout;
    expect(dli).not.toContain('Token-based Activation information');
    expect(dli).not.toContain('Additional Information:');
    expect(dli).toContain('Key Management Service client information');
  });

  it('ends with a rearm or a new key', async () => {
    const l = await prepared();
    await l.slmgr(['/fta', NO_PIN]);
    await l.slmgr(['/rearm']);
    const afterRearm = (await l.slmgr(['/dli'])).stdout;
    expect(afterRearm).not.toContain('Token-based Activation information');
    expect(afterRearm).toContain('Please use slmgr.vbs /ato to activate and update KMS client information in order to update values.');

    await l.slmgr(['/fta', NO_PIN]);
    await l.slmgr(['/upk']);
    await l.slmgr(['/ipk', ENTERPRISE_KEY]);
    expect((await l.slmgr(['/dli'])).stdout).not.toContain('Token-based Activation information');
    expect((await l.json(['/dli'])).doc.result.products[0].tokenActivation).toBeNull();
  });
});

describe('through the built bin', () => {
  it('lists, activates and shows the token block', () => {
    const l = lab();
    const run = (args: string[]) => spawnSlmgr(args, { store: l.store, now: NOW });
    expect(run(['/ipk', ENTERPRISE_KEY]).status).toBe(0);
    expect(run(['lab', 'install-tokens', 'localhost']).status).toBe(0);
    expect(run(['pc01', '/ipk', ENTERPRISE_KEY]).status).toBe(0);
    expect(run(['lab', 'install-tokens', 'pc01']).status).toBe(0);
    expect(run(['pc01', '/lil'])).toEqual({ status: 0, stdout: LIL_ALL, stderr: '' });
    expect(run(['pc01', '/ril', ILID, '1']).stdout).toBe(slmgrOutput('Removing Token-based Activation License ...', '', `Removed license with SLID=${SLID_V1}.`));
    expect(run(['pc01', '/ltc']).stdout).toContain(`Thumbprint: ${PIN_CARD}\n`);
    expect(run(['pc01', '/fta', PIN_CARD, '123456'])).toEqual({ status: 0, stdout: slmgrOutput(ACTIVATING_ENTERPRISE, 'Product activated successfully.'), stderr: '' });
    expect(run(['pc01', '/dlv']).stdout).toContain(TOKEN_BLOCK(PIN_CARD).join('\n'));
    const failed = spawnSlmgr(['pc01', '/fta', OTHER_CA, '--json'], { store: l.store, now: NOW });
    expect(JSON.parse(failed.stdout)).toMatchObject({ ok: false, error: { kind: 'licensing', hresult: '0xC004F30F' } });
    expect(failed.stderr).toContain('Error: 0xC004F30F ');
  });
});
