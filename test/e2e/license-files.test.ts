// /ilc and /rilc end to end through the CLI's entry point, in text and --json, and /ipk of keys
// that only an installed product-key configuration licence makes known. Every refused file must
// leave the store exactly as it was.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { CANNOT_OPEN, cleanupLabs, FIXTURES, INVALID_LICENSE, KEYS, lab, MAK_SKU, out, PKEYCONFIG, SKU_MAK, SKU_RETAIL, type Lab } from '../helpers/license-lab.js';

afterEach(cleanupLabs);

describe('/ilc', () => {
  it('installs an XrML product licence: slmgr line, empty line, exit 0', async () => {
    const l = lab();
    const r = await l.slmgr('/ilc', SKU_MAK);
    expect(r).toEqual({ status: 0, stdout: out(`License file ${SKU_MAK} installed successfully.`, ''), stderr: '' });
  });

  it('echoes the file name as typed (a relative path is read from the working directory)', async () => {
    const l = lab();
    const typed = relative(process.cwd(), SKU_MAK);
    const r = await l.slmgr('-ILC', typed);
    expect(r.stdout).toBe(out(`License file ${typed} installed successfully.`, ''));
  });

  it('reports the licence, its product and its key configurations in --json', async () => {
    const l = lab();
    const { status, doc } = await l.json('/ilc', PKEYCONFIG);
    expect(status).toBe(0);
    expect(doc).toMatchObject({
      schema: 'slmgr/v1',
      command: 'ilc',
      machine: 'ws-0042',
      ok: true,
      exitCode: 0,
      error: null,
      result: {
        kind: 'install-license-file',
        file: PKEYCONFIG,
        encoding: 'ansi',
        licenses: [{ kind: 'product-key-configuration', keyConfigurations: 3, keyRanges: 4, productSkuId: null }],
      },
    });
    expect(doc.result.sha256).toBe(createHash('sha256').update(readFileSync(PKEYCONFIG)).digest('hex'));
    const sku = (await l.json('/ilc', SKU_MAK)).doc.result.licenses[0];
    expect(sku).toEqual({
      licenseId: 'ced31da0-60e0-4a82-958d-8f8b17340ce3',
      kind: 'sku',
      title: 'LabProfessional Volume:MAK Publishing License (LAB)',
      productSkuId: MAK_SKU,
      applicationId: '55c92734-d682-4d71-983e-d6ec3f16059f',
      productName: 'Windows(R), LabProfessional edition',
      keyConfigurations: 0,
      keyRanges: 0,
    });
  });

  it('reads UTF-16LE and UTF-8 files with a BOM, as slmgr does', async () => {
    const l = lab();
    const text = readFileSync(SKU_MAK, 'latin1');
    const utf16 = l.file('utf16.xrm-ms', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const utf8 = l.file('utf8.xrm-ms', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]));
    expect((await l.json('/ilc', utf16)).doc.result).toMatchObject({ encoding: 'utf-16le', licenses: [{ productSkuId: MAK_SKU }] });
    expect((await l.json('/ilc', utf8)).doc.result).toMatchObject({ encoding: 'utf-8', licenses: [{ productSkuId: MAK_SKU }] });
  });

  it('installs on a lab machine, creating it, and only there', async () => {
    const l = lab();
    expect((await l.slmgr('pc01', '/ilc', PKEYCONFIG)).status).toBe(0);
    expect((await l.slmgr('pc01', '/ilc', SKU_MAK)).status).toBe(0);
    expect((await l.slmgr('pc01', '/ipk', KEYS['lab-mak'] as string)).status).toBe(0);
    // The local machine and another lab machine have not learnt the lab key ranges.
    expect((await l.slmgr('/ipk', KEYS['lab-mak'] as string)).stdout).toContain('Error: 0xC004E016 ');
    expect((await l.slmgr('pc02', '/ipk', KEYS['lab-mak'] as string)).stdout).toContain('Error: 0xC004E016 ');
  });

  it('installing the same file again replaces its licences and succeeds', async () => {
    const l = lab();
    expect((await l.slmgr('/ilc', SKU_MAK)).status).toBe(0);
    const r = await l.slmgr('/ilc', SKU_MAK);
    expect(r.status).toBe(0);
    const db = new Database(l.store, { fileMustExist: true });
    try {
      expect(db.prepare("SELECT count(*) FROM licensing_objects WHERE kind = 'license-file'").pluck().get()).toBe(1);
    } finally {
      db.close();
    }
  });

  it('without a file name is slmgr\'s usage error', async () => {
    const l = lab();
    const r = await l.slmgr('/ilc');
    expect(r.status).toBe(1);
    expect(r.stdout.startsWith('\nError: option ilc needs <License file>\n')).toBe(true);
  });
});

describe('/ilc refuses, and changes nothing', () => {
  async function refused(l: Lab, file: string, line: string, machine: string[] = []) {
    const before = l.dump();
    const sha = l.sha();
    const r = await l.slmgr(...machine, '/ilc', file);
    expect(r.stdout).toBe(out(line));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^slmgr: /);
    const j = await l.json(...machine, '/ilc', file);
    expect(j.status).toBe(2);
    expect(j.doc).toMatchObject({ ok: false, result: null, error: { kind: 'licensing', hresult: line.slice(7, 17) } });
    expect(l.dump()).toBe(before);
    expect(l.sha()).toBe(sha);
    return { r, j };
  }

  async function prepared(): Promise<Lab> {
    const l = lab();
    // Something in the store, so "unchanged" means more than "still empty".
    expect((await l.slmgr('/ipk', 'W269N-WFGWX-YVC9B-4J6C9-T83GX')).status).toBe(0);
    expect((await l.slmgr('/ilc', SKU_RETAIL)).status).toBe(0);
    return l;
  }

  it('a missing file, a directory or an empty name: slmgr\'s "File could not be opened."', async () => {
    const l = await prepared();
    const { j } = await refused(l, join(l.dir, 'no-such.xrm-ms'), CANNOT_OPEN);
    expect(j.doc.error).toMatchObject({ message: 'File could not be opened. (ADODB.Stream)', hresult: '0x800A0BBA', hresultSigned: -2146825286 });
    await refused(l, l.dir, CANNOT_OPEN);
    await refused(l, '', CANNOT_OPEN);
  });

  it('a lab machine a refused file names is not created', async () => {
    const l = await prepared();
    await refused(l, l.file('bad.xrm-ms', '<nope/>'), INVALID_LICENSE, ['pc09']);
    expect((await l.slmgr('pc09', '/dli')).status).toBe(5);
  });

  const HOSTILE: Array<[string, string | (() => string | Uint8Array)]> = [
    ['an empty file', ''],
    ['whitespace', '  \r\n\t '],
    ['text that is not XML', 'this is not a licence'],
    ['malformed XML', '<rg:licenseGroup xmlns:rg="urn:mpeg:mpeg21:2003:01-REL-R-NS"><r:license>'],
    ['the wrong root', '<?xml version="1.0"?><licenseGroup><license licenseId="{ced31da0-60e0-4a82-958d-8f8b17340ce3}"/></licenseGroup>'],
    ['the right name in the wrong namespace', '<rg:licenseGroup xmlns:rg="urn:example"><r:license xmlns:r="urn:example" licenseId="{ced31da0-60e0-4a82-958d-8f8b17340ce3}"/></rg:licenseGroup>'],
    ['an undeclared prefix', '<rg:licenseGroup><r:license licenseId="{ced31da0-60e0-4a82-958d-8f8b17340ce3}"/></rg:licenseGroup>'],
    ['a licence group without licences', '<rg:licenseGroup xmlns:rg="urn:mpeg:mpeg21:2003:01-REL-R-NS"/>'],
    ['a licence without a licenseId', '<r:license xmlns:r="urn:mpeg:mpeg21:2003:01-REL-R-NS"/>'],
    ['a licenseId that is no GUID', '<r:license xmlns:r="urn:mpeg:mpeg21:2003:01-REL-R-NS" licenseId="{not-a-guid}"/>'],
    ['billion laughs', () => {
      const entities = ['<!ENTITY lol "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`)];
      return `<?xml version="1.0"?><!DOCTYPE r:license [${entities.join('')}]><r:license xmlns:r="urn:mpeg:mpeg21:2003:01-REL-R-NS" licenseId="{ced31da0-60e0-4a82-958d-8f8b17340ce3}"><r:title>&lol9;</r:title></r:license>`;
    }],
    ['an external entity', '<?xml version="1.0"?><!DOCTYPE r:license [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r:license xmlns:r="urn:mpeg:mpeg21:2003:01-REL-R-NS" licenseId="{ced31da0-60e0-4a82-958d-8f8b17340ce3}"><r:title>&xxe;</r:title></r:license>'],
    ['an undefined entity', '<r:license xmlns:r="urn:mpeg:mpeg21:2003:01-REL-R-NS" licenseId="{ced31da0-60e0-4a82-958d-8f8b17340ce3}"><r:title>&nbsp;</r:title></r:license>'],
    ['deep nesting', () => `<r:license xmlns:r="urn:mpeg:mpeg21:2003:01-REL-R-NS" licenseId="{ced31da0-60e0-4a82-958d-8f8b17340ce3}">${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}</r:license>`],
    ['a file over the 4 MiB cap', () => {
      const head = '<r:license xmlns:r="urn:mpeg:mpeg21:2003:01-REL-R-NS" licenseId="{ced31da0-60e0-4a82-958d-8f8b17340ce3}"><!-- ';
      const tail = ' --></r:license>';
      return head + 'x'.repeat(4 * 1024 * 1024 + 1 - head.length - tail.length) + tail;
    }],
    ['a huge attribute that breaks a limit', () => `<r:license xmlns:r="urn:mpeg:mpeg21:2003:01-REL-R-NS" licenseId="{${'a'.repeat(3_000_000)}}"/>`],
    ['a pkeyConfigData that is not base64', () => readFileSync(PKEYCONFIG, 'latin1').replace(/(<tm:infoBin name="pkeyConfigData">)\s*[A-Za-z0-9+/]/, '$1!')],
    ['a pkeyConfigData payload that is not a ProductKeyConfiguration', () => readFileSync(PKEYCONFIG, 'latin1').replace(/(<tm:infoBin name="pkeyConfigData">)[^<]*/, `$1${Buffer.from('<Other/>').toString('base64')}`)],
    ['a UTF-16 big-endian file (slmgr would read it as ANSI)', () => {
      const text = readFileSync(SKU_MAK, 'latin1');
      const le = Buffer.from(text, 'utf16le');
      const be = Buffer.alloc(le.length);
      for (let i = 0; i < le.length; i += 2) {
        be[i] = le[i + 1] as number;
        be[i + 1] = le[i] as number;
      }
      return Buffer.concat([Buffer.from([0xfe, 0xff]), be]);
    }],
  ];

  it.each(HOSTILE)('%s: 0xC004F01F', async (_name, content) => {
    const l = await prepared();
    const file = l.file('hostile.xrm-ms', typeof content === 'function' ? content() : content);
    await refused(l, file, INVALID_LICENSE);
  });

  it('in slmgr exit-code mode exits with the signed HRESULT', async () => {
    const l = lab();
    const r = await l.slmgr('/ilc', l.file('bad.xrm-ms', '<x/>'), '--exit-codes', 'slmgr');
    expect(r.status).toBe(0xc004f01f | 0);
  });
});

describe('/ipk with product-key configuration licences', () => {
  it('refuses a lab key whose group nothing knows (0xC004E016)', async () => {
    const l = lab();
    const r = await l.slmgr('/ipk', KEYS['lab-mak'] as string);
    expect(r.stdout).toBe(out("Error: 0xC004E016 On a computer running Microsoft Windows non-core edition, run 'slui.exe 0x2a 0xC004E016' to display the error text."));
    expect(r.status).toBe(2);
  });

  it('needs the SKU\'s product licence too: 0xC004F069 with only the configuration', async () => {
    const l = lab();
    await l.slmgr('/ilc', PKEYCONFIG);
    const r = await l.slmgr('/ipk', KEYS['lab-mak'] as string);
    expect(r.stdout).toBe(out("Error: 0xC004F069 On a computer running Microsoft Windows non-core edition, run 'slui.exe 0x2a 0xC004F069' to display the error text."));
  });

  it('installs a lab MAK key as the SKU the configuration names, masked like any non-GVLK key', async () => {
    const l = lab();
    await l.slmgr('/ilc', PKEYCONFIG);
    await l.slmgr('/ilc', SKU_MAK);
    const key = KEYS['lab-mak'] as string;
    const r = await l.slmgr('/ipk', key);
    expect(r).toEqual({ status: 0, stdout: out(`Installed product key XXXXX-XXXXX-XXXXX-XXXXX-${key.slice(-5)} successfully.`), stderr: '' });
    const dlv = (await l.slmgr('/dlv')).stdout;
    expect(dlv).toContain('Name: Windows(R), LabProfessional edition\n');
    expect(dlv).toContain('Description: Windows(R) Operating System, VOLUME_MAK channel\n');
    expect(dlv).toContain(`Activation ID: ${MAK_SKU}\n`);
    expect(dlv).toContain('Product Key Channel: Volume:MAK\n');
    expect(dlv).toMatch(/Extended PID: 03612-90014-000-000001-03-1033-26100\.0000-\d{7}\n/);
    expect(dlv).toContain(`Partial Product Key: ${key.slice(-5)}\n`);
    expect(dlv).toContain('License Status: Initial grace period\n');
    expect(dlv).not.toContain('Configured Activation Type');
    const j = await l.json('/ipk', key);
    expect(j.doc.result).toMatchObject({ productKey: `XXXXX-XXXXX-XXXXX-XXXXX-${key.slice(-5)}`, activationId: MAK_SKU, productKeyChannel: 'Volume:MAK', isKmsHost: false });
    // The full key is nowhere: not in the output, not in the store.
    expect(JSON.stringify(j)).not.toContain(key.slice(0, 5));
    expect(readFileSync(l.store).includes(Buffer.from(key))).toBe(false);
    expect(l.dump()).not.toContain(key);
  });

  it('refuses a key in a range marked invalid (0xC004F050) and a serial outside every range (0xC004E016)', async () => {
    const l = lab();
    await l.slmgr('/rilc');
    const before = l.dump();
    expect((await l.slmgr('/ipk', KEYS['lab-mak-revoked'] as string)).stdout).toBe(out('Error: 0xC004F050 The Software Licensing Service reported that the product key is invalid'));
    expect((await l.slmgr('/ipk', KEYS['lab-mak-no-range'] as string)).stdout).toContain('Error: 0xC004E016 ');
    expect(l.dump()).toBe(before);
  });

  it('after /rilc, retail and OEM keys install with their channels, each replacing the Windows key', async () => {
    const l = lab();
    await l.slmgr('/rilc');
    for (const [id, channel, word] of [['lab-retail', 'Retail', 'RETAIL'], ['lab-oem', 'OEM:DM', 'OEM_DM'], ['lab-mak-2', 'Volume:MAK', 'VOLUME_MAK']] as const) {
      const j = await l.json('/ipk', KEYS[id] as string);
      expect(j.doc.result.productKeyChannel).toBe(channel);
      const dli = await l.json('/dli');
      expect(dli.doc.result.products).toHaveLength(1);
      expect(dli.doc.result.products[0]).toMatchObject({ description: `Windows(R) Operating System, ${word} channel`, partialProductKey: (KEYS[id] as string).slice(-5) });
    }
  });

  it('public GVLKs and lab host keys still install as before', async () => {
    const l = lab();
    await l.slmgr('/rilc');
    expect((await l.slmgr('/ipk', 'W269N-WFGWX-YVC9B-4J6C9-T83GX')).stdout).toBe(out('Installed product key W269N-WFGWX-YVC9B-4J6C9-T83GX successfully.'));
    const hostKey = (JSON.parse(readFileSync(new URL('../../fixtures/lab/host-keys.json', import.meta.url), 'utf8')) as { id: string; key: string }[]).find((k) => k.id === 'ws2019')?.key as string;
    expect((await l.json('kms01', '/ipk', hostKey)).doc.result).toMatchObject({ isKmsHost: true, productKeyChannel: 'Volume:CSVLK' });
  });
});

describe('/rilc', () => {
  const SYSTEM = 'C:\\Windows\\system32\\spp\\tokens';
  const FILES = [
    `${SYSTEM}\\pkeyconfig\\pkeyconfig-lab.xrm-ms`,
    `${SYSTEM}\\skus\\LabProfessional\\LabProfessional-MAK.xrm-ms`,
    `${SYSTEM}\\skus\\LabProfessional\\LabProfessional-OEM-DM.xrm-ms`,
    `${SYSTEM}\\skus\\LabProfessional\\LabProfessional-Retail.xrm-ms`,
  ];

  it('reinstalls the lab\'s system licence set with slmgr\'s lines', async () => {
    const l = lab();
    const r = await l.slmgr('/rilc');
    expect(r).toEqual({
      status: 0,
      stdout: out('Re-installing license files ...', ...FILES.flatMap((f) => [`License file ${f} installed successfully.`, '']), 'License files re-installed successfully.'),
      stderr: '',
    });
  });

  it('reports every file and licence in --json, and is idempotent', async () => {
    const l = lab();
    const first = await l.json('/rilc');
    expect(first.status).toBe(0);
    expect(first.doc.result.kind).toBe('reinstall-license-files');
    expect(first.doc.result.files.map((f: { file: string }) => f.file)).toEqual(FILES);
    expect(first.doc.result.files[0].licenses[0]).toMatchObject({ kind: 'product-key-configuration', keyConfigurations: 3, keyRanges: 4 });
    const dump = l.dump();
    expect((await l.json('/rilc')).doc.result).toEqual(first.doc.result);
    expect(l.dump()).toBe(dump);
  });

  it('each file of the set is the shipped fixture, byte for byte', async () => {
    const l = lab();
    const { doc } = await l.json('/rilc');
    for (const f of doc.result.files as { file: string; sha256: string }[]) {
      const local = join(FIXTURES, 'system', ...f.file.slice(SYSTEM.length + 1).split('\\'));
      expect(f.sha256, f.file).toBe(createHash('sha256').update(readFileSync(local)).digest('hex'));
    }
  });

  it('works on a lab machine and takes no arguments', async () => {
    const l = lab();
    expect((await l.slmgr('lab07', '/rilc', 'surplus')).status).toBe(0);
    expect((await l.slmgr('lab07', '/ipk', KEYS['lab-oem'] as string)).status).toBe(0);
  });
});


describe('/ipk with configurations of the other key types', () => {
  // Test-only lab keys in group 990013 (a lab-only group), made with the lab key encoder.
  const R = 'urn:mpeg:mpeg21:2003:01-REL-R-NS';
  const TM = 'http://www.microsoft.com/DRM/XrML2/TM/v2';
  const WS2019_CSVLK = '2e7a9ad1-a849-4b56-babe-17d5a29fe4b4';
  const PRO_GVLK_SKU = '2de67392-b7a7-462a-b1ca-108dd189f588';

  async function labKey(group: number, serial: number): Promise<string> {
    const { encodeLabKey } = (await import(new URL('../../scripts/make-lab-keys.mjs', import.meta.url).href)) as { encodeLabKey: (o: { groupId: number; serial: number; security: bigint }) => string };
    return encodeLabKey({ groupId: group, serial, security: 12345n });
  }

  function configLicense(configs: Array<{ sku: string; group: number; type: string }>): string {
    const payload = `<ProductKeyConfiguration xmlns="http://www.microsoft.com/DRM/PKEY/Configuration/2.0"><Configurations>${configs.map((c) => `<Configuration><ActConfigId>{${c.sku}}</ActConfigId><RefGroupId>${c.group}</RefGroupId><EditionId>Test</EditionId><ProductDescription>test</ProductDescription><ProductKeyType>${c.type}</ProductKeyType><IsRandomized>false</IsRandomized></Configuration>`).join('')}</Configurations><KeyRanges>${configs.map((c) => `<KeyRange><RefActConfigId>{${c.sku}}</RefActConfigId><PartNumber>T</PartNumber><EulaType>Volume</EulaType><IsValid>true</IsValid><Start>0</Start><End>99</End></KeyRange>`).join('')}</KeyRanges></ProductKeyConfiguration>`;
    return `<r:license xmlns:r="${R}" xmlns:tm="${TM}" licenseId="{0a0a0a0a-0000-4000-8000-000000000001}"><r:otherInfo><tm:infoTables><tm:infoList tag="#global"><tm:infoBin name="pkeyConfigData">${Buffer.from(payload).toString('base64')}</tm:infoBin></tm:infoList></tm:infoTables></r:otherInfo></r:license>`;
  }

  function skuLicense(id: string, sku: string, name: string): string {
    return `<r:license xmlns:r="${R}" xmlns:tm="${TM}" licenseId="{${id}}"><r:otherInfo><tm:infoTables><tm:infoList tag="#global"><tm:infoStr name="productSkuId">{${sku}}</tm:infoStr><tm:infoStr name="applicationId">{55c92734-d682-4d71-983e-d6ec3f16059f}</tm:infoStr><tm:infoStr name="productName">${name}</tm:infoStr><tm:infoStr name="productDescription">Windows(R) Operating System</tm:infoStr></tm:infoList></tm:infoTables></r:otherInfo></r:license>`;
  }

  it('a Volume:CSVLK configuration makes a KMS host of the type its Activation ID names', async () => {
    const l = lab();
    await l.slmgr('kms01', '/ilc', l.file('config.xrm-ms', configLicense([{ sku: WS2019_CSVLK, group: 990013, type: 'Volume:CSVLK' }])));
    await l.slmgr('kms01', '/ilc', l.file('sku.xrm-ms', skuLicense('0a0a0a0a-0000-4000-8000-000000000002', WS2019_CSVLK, 'Windows(R), ServerStandard edition')));
    const key = await labKey(990013, 7);
    const j = await l.json('kms01', '/ipk', key);
    expect(j.doc.result).toMatchObject({ isKmsHost: true, productKeyChannel: 'Volume:CSVLK', activationId: WS2019_CSVLK, productKey: `XXXXX-XXXXX-XXXXX-XXXXX-${key.slice(-5)}` });
    expect((await l.slmgr('kms01', '/ato')).stdout).toContain('Product activated successfully.');
    const dli = (await l.slmgr('kms01', '/dlv')).stdout;
    expect(dli).toContain('Description: Windows(R) Operating System, VOLUME_KMS channel');
    expect(dli).toContain('Key Management Service is enabled on this machine');
    // Server 2019 clients count on it, as on any Windows Server 2019 host.
    const r = await l.slmgr('lab', 'clients', '--count', '5', '--key', 'N69G4-B89J2-4G8F4-WWYCC-J464C', '--prefix', 'srv');
    expect(r.stdout).toContain('Activated: 1; failed: 4');
  });

  it('a Volume:CSVLK configuration of an unknown host type is refused (0xC004E016)', async () => {
    const l = lab();
    const sku = '0b0b0b0b-0000-4000-8000-000000000003';
    await l.slmgr('/ilc', l.file('config.xrm-ms', configLicense([{ sku, group: 990013, type: 'Volume:CSVLK' }])));
    await l.slmgr('/ilc', l.file('sku.xrm-ms', skuLicense('0a0a0a0a-0000-4000-8000-000000000004', sku, 'Windows(R), Lab edition')));
    expect((await l.slmgr('/ipk', await labKey(990013, 8))).stdout).toContain('Error: 0xC004E016 ');
  });

  it('a Volume:GVLK configuration of a catalog SKU is a KMS client of that SKU', async () => {
    const l = lab();
    await l.slmgr('/ilc', l.file('config.xrm-ms', configLicense([{ sku: PRO_GVLK_SKU, group: 990013, type: 'Volume:GVLK' }])));
    await l.slmgr('/ilc', l.file('sku.xrm-ms', skuLicense('0a0a0a0a-0000-4000-8000-000000000005', PRO_GVLK_SKU, 'Windows(R), Professional edition')));
    const key = await labKey(990013, 9);
    expect((await l.slmgr('/ipk', key)).stdout).toBe(out(`Installed product key XXXXX-XXXXX-XXXXX-XXXXX-${key.slice(-5)} successfully.`));
    const dlv = (await l.slmgr('/dlv')).stdout;
    expect(dlv).toContain('Description: Windows(R) Operating System, VOLUME_KMSCLIENT channel');
    expect(dlv).toContain('Configured Activation Type: All');
  });
});

describe('/ato of MAK, retail and OEM products', () => {
  it('activates online for good; a retail key on a second machine is refused (0xC004C008)', async () => {
    const l = lab();
    for (const m of ['pc01', 'pc02']) await l.slmgr(m, '/rilc');
    const key = KEYS['lab-retail'] as string;
    await l.slmgr('pc01', '/ipk', key);
    const r = await l.slmgr('pc01', '/ato');
    expect(r.stdout).toBe(out('Activating Windows(R), LabProfessional edition (034c341c-82f9-45c2-b514-02552eaeebdc) ...', 'Product activated successfully.'));
    expect((await l.slmgr('pc01', '/xpr')).stdout).toBe(out('Windows(R), LabProfessional edition:', '    The machine is permanently activated.'));
    expect((await l.slmgr('pc01', '/ato')).status).toBe(0);
    await l.slmgr('pc02', '/ipk', key);
    const second = await l.slmgr('pc02', '/ato');
    expect(second.stdout).toContain('Error: 0xC004C008 The activation server determined that the specified product key could not be used');
    expect(second.status).toBe(2);
  });

  it('a lab MAK activates ten machines, then 0xC004C020', async () => {
    const l = lab();
    const key = KEYS['lab-mak'] as string;
    for (let i = 1; i <= 11; i++) {
      await l.slmgr(`mak${i}`, '/rilc');
      await l.slmgr(`mak${i}`, '/ipk', key);
      const r = await l.slmgr(`mak${i}`, '/ato');
      if (i <= 10) expect(r.stdout, `mak${i}`).toContain('Product activated successfully.');
      else expect(r.stdout).toContain('Error: 0xC004C020 The activation server reported that the Multiple Activation Key has exceeded its limit');
    }
  });
});

describe('the built bin', () => {
  // The bundle loads fast-xml-parser and the built-in licence set from its own chunks.
  it('runs /rilc, /ilc and a refused /ilc as a user does', async () => {
    const { slmgr, tempDir } = await import('./helpers.js');
    const env = tempDir();
    try {
      const rilc = slmgr(['/rilc'], { store: env.store, now: '2026-11-25T12:00:00Z' });
      expect(rilc.status).toBe(0);
      expect(rilc.stdout.split('\n')[0]).toBe('Re-installing license files ...');
      const ilc = slmgr(['/ilc', SKU_MAK, '--json'], { store: env.store });
      expect(ilc.status).toBe(0);
      expect(JSON.parse(ilc.stdout).result.licenses[0].productSkuId).toBe(MAK_SKU);
      const bad = slmgr(['pc03', '/ilc', join(env.dir, 'missing.xrm-ms')], { store: env.store });
      expect(bad).toMatchObject({ status: 2, stdout: out(CANNOT_OPEN) });
      expect(bad.stderr).toMatch(/^slmgr: cannot read /);
    } finally {
      env.cleanup();
    }
  });
});
