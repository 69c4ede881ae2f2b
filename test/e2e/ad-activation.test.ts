// Active Directory-based activation end to end: activating the lab forest online and by telephone,
// listing and deleting its activation objects, and KMS clients activating through it under each
// /act-type — in text and --json, with every refusal leaving the store as it was.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { labConfirmationId } from '../../src/licensing/confirmation-id.js';
import { slmgr, slmgrOutput, tempDir } from './helpers.js';
import { HOSTNAME, installationIdOf, labKey, OfflineLab, output } from './offline-helpers.js';

const WS2022_CSVLK = '661f7658-7035-4b4c-9f35-010682943ec2';
const WS2022_DESCRIPTION = 'Windows Server 2021 RTM ServerDatacenter;ServerStandard Volume:CSVLK';
const CONTAINER = 'CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=lab,DC=test';
const DEFAULT_DN = `CN=Windows Server 2021 RTM ServerDatacenter\\;ServerStandard Volume:CSVLK,${CONTAINER}`;
const HOST_EPID = '03612-04573-000-000001-03-1033-26100.0000-3292026';
const SERVER_2022_GVLK = 'VDYBN-27WPP-V4HQT-9VMD4-VMK7H';
const SERVER_2022 = '9bd77860-9b31-4b7b-96ad-2564017315bf';
const WINDOWS_7_GVLK = '33PXH-7Y6KF-2VJC9-XBBR8-HVTHH';
const OFFICE_2021_GVLK = 'FXYTK-NJJ8C-GB6DW-3DYQT-6F7TH';
const OFFICE_2021 = 'fbdb3e18-a8ef-4fb3-9183-dffd60bd0984';
const REMOTE = 'This command of SLMgr.vbs is not supported for remote execution';
const F050 = 'Error: 0xC004F050 The Software Licensing Service reported that the product key is invalid';
const F081 = "Error: 0xC004F081 On a computer running Microsoft Windows non-core edition, run 'slui.exe 0x2a 0xC004F081' to display the error text.";
const F074 = 'Error: 0xC004F074 The Software Licensing Service reported that the computer could not be activated. No Key Management Service (KMS) could be contacted. Please see the Application Event Log for additional information.';
const NO_SUCH_OBJECT = "Error: 0x80072030 On a computer running Microsoft Windows non-core edition, run 'slui.exe 0x2a 0x80072030' to display the error text.";
const PHONE_TEXT = 'Product activation telephone numbers can be obtained by searching the phone.inf file for the appropriate phone number for your location/country. You can open the phone.inf file from a Command Prompt or the Start Menu by running: notepad %systemroot%\\system32\\sppui\\phone.inf';

let lab: OfflineLab;
beforeEach(() => {
  lab = new OfflineLab();
});
afterEach(() => lab.cleanup());

function aoLines(name: string, dn: string, partial = 'KXBT6', id = WS2022_CSVLK): string[] {
  return [
    `    Activation Object name: ${name}`,
    `        Activation ID: {${id.toUpperCase()}}`,
    `        Partial Product Key: ${partial}`,
    `        AO extended PID: ${HOST_EPID}`,
    `        AO DN: ${dn}`,
    '',
  ];
}

function adBlock(name: string, dn: string): string[] {
  return ['', 'Most recent activation information:', 'AD Activation client information', `    Activation Object name: ${name}`, `    AO DN: ${dn}`, `    AO extended PID: ${HOST_EPID}`, `    AO activation ID: ${WS2022_CSVLK}`];
}

describe('/ad-activation-online', () => {
  it('activates the forest with a host key: one AO, named after the key\'s product description', async () => {
    expect(await lab.run(['/ad-activation-online', labKey('ws2022')])).toMatchObject({ status: 0, stdout: output('Product activated successfully.') });
    expect(await lab.ok(['/ao-list'])).toBe(output('Activation Objects', ...aoLines(WS2022_DESCRIPTION, DEFAULT_DN)));
  });

  it('takes an AO name, and never prints the key', async () => {
    const r = await lab.json(['/ad-activation-online', labKey('ws2022'), 'Contoso, Server KMS']);
    expect(r.doc).toMatchObject({ command: 'ad-activation-online', machine: HOSTNAME, ok: true, exitCode: 0 });
    expect(r.doc.result).toEqual({
      kind: 'ad-activation',
      method: 'online',
      replaced: false,
      activationObject: {
        name: 'Contoso, Server KMS',
        activationId: WS2022_CSVLK,
        partialProductKey: 'KXBT6',
        extendedPid: HOST_EPID,
        dn: `CN=Contoso\\, Server KMS,${CONTAINER}`,
        forest: 'lab.test',
        activatedAt: '2026-11-25T12:00:00.000Z',
        method: 'online',
        labKey: true,
      },
    });
    expect(r.stdout + r.stderr).not.toContain(labKey('ws2022').slice(0, 23));
    // The same name again replaces that AO (and uses another activation of the key).
    const again = await lab.json(['/ad-activation-online', labKey('ws2022'), 'Contoso, Server KMS']);
    expect(again.doc.result).toMatchObject({ replaced: true });
    expect(((await lab.json(['/ao-list'])).doc.result as { activationObjects: unknown[] }).activationObjects).toHaveLength(1);
  });

  it.each([
    ['a KMS client key (GVLK)', () => SERVER_2022_GVLK, F050],
    ['a mistyped key', () => `${labKey('ws2022').slice(0, 28)}B`, F050],
  ])('refuses %s and changes nothing', async (_, key, line) => {
    await lab.ok(['/ao-list']);
    const before = lab.snapshot();
    expect(await lab.run(['/ad-activation-online', key()])).toMatchObject({ status: 2, stdout: output(line) });
    const json = await lab.json(['/ad-activation-online', key()]);
    expect(json.doc.error).toMatchObject({ kind: 'licensing', hresult: '0xC004F050' });
    expect(lab.snapshot()).toBe(before);
  });

  it('refuses an AO name longer than 40 characters (0xC004F082)', async () => {
    await lab.ok(['/ao-list']);
    const before = lab.snapshot();
    const r = await lab.run(['/ad-activation-online', labKey('ws2022'), 'x'.repeat(41)]);
    expect(r).toMatchObject({ status: 2, stdout: output("Error: 0xC004F082 On a computer running Microsoft Windows non-core edition, run 'slui.exe 0x2a 0xC004F082' to display the error text.") });
    expect(lab.snapshot()).toBe(before);
    expect((await lab.run(['/ad-activation-online', labKey('ws2022'), 'x'.repeat(40)])).status).toBe(0);
  });

  it('counts as an activation of the host key: after six KMS hosts the forest gets 0xC004C008', async () => {
    for (let i = 1; i <= 6; i++) {
      await lab.ok([`kms0${i}`, '/ipk', labKey('ws2022')]);
      await lab.ok([`kms0${i}`, '/ato']);
    }
    const before = lab.snapshot();
    const r = await lab.run(['/ad-activation-online', labKey('ws2022')]);
    expect(r).toMatchObject({ status: 2, stdout: output('Error: 0xC004C008 The activation server determined that the specified product key could not be used') });
    expect(lab.snapshot()).toBe(before);
  });
});

describe('local only', () => {
  it.each([
    [['/ao-list']],
    [['/del-ao', 'anything']],
    [['/ad-activation-online', 'KEY']],
    [['/ad-activation-get-iid', 'KEY']],
    [['/ad-activation-apply-cid', 'KEY', 'CID']],
  ])('%j on a lab machine is refused with slmgr\'s sentence (exit 1)', async (argv) => {
    await lab.ok(['pc01', '/skhc']);
    const before = lab.snapshot();
    const r = await lab.run(['pc01', ...argv]);
    expect(r.status).toBe(1);
    // slmgr writes it to stdout like all its lines (reference §1.2, §1.5).
    expect(r.stdout).toBe(`${REMOTE}\n\n`);
    expect(r.stderr).toBe('');
    const json = await lab.json(['pc01', ...argv]);
    expect(json.doc.error).toEqual({ kind: 'usage', message: REMOTE });
    expect(lab.snapshot()).toBe(before);
    // The local machine by any of its names is not remote.
    expect((await lab.run(['localhost', '/ao-list'])).status).toBe(0);
  });

  it('a machine that does not exist is unreachable for the read-only ones', async () => {
    expect(await lab.run(['pc99', '/ao-list'])).toMatchObject({ status: 5, stdout: output('Error 0x800706BA occurred in connecting to server pc99. The RPC server is unavailable') });
  });
});

describe('/ao-list', () => {
  it('with no objects', async () => {
    expect(await lab.run(['/ao-list'])).toMatchObject({ status: 0, stdout: output('Activation Objects', '    No objects found') });
    const json = await lab.json(['/ao-list']);
    expect(json.doc.result).toEqual({ kind: 'activation-objects', forest: 'lab.test', containerDn: CONTAINER, activationObjects: [] });
  });

  it('lists the objects of the local machine\'s forest only, oldest first', async () => {
    await lab.ok(['/ad-activation-online', labKey('ws2022'), 'First']);
    await lab.ok(['/ad-activation-online', labKey('office2021'), 'Office']);
    const listed = (await lab.ok(['/ao-list'])).split('\n');
    expect(listed.slice(0, 7)).toEqual(['Activation Objects', ...aoLines('First', `CN=First,${CONTAINER}`)]);
    expect(listed.slice(7)).toEqual([
      '    Activation Object name: Office',
      '        Activation ID: {47F3B983-7C53-4D45-ABC6-BCD91E2DD90A}',
      '        Partial Product Key: F9KXX',
      expect.stringMatching(/^ {8}AO extended PID: \d{5}-\d{5}-\d{3}-\d{6}-03-1033-26100\.0000-3292026$/),
      `        AO DN: CN=Office,${CONTAINER}`,
      '',
      '',
      '',
    ]);
    // Move this computer to another domain: another forest, with no objects yet.
    await lab.ok(['lab', 'domain', HOSTNAME, 'corp.test']);
    expect(await lab.ok(['/ao-list'])).toBe(output('Activation Objects', '    No objects found'));
    await lab.ok(['/ad-activation-online', labKey('ws2022'), 'Corp']);
    expect(await lab.ok(['/ao-list'])).toContain('AO DN: CN=Corp,CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=corp,DC=test\n');
  });
});

describe('/ad-activation-get-iid and /ad-activation-apply-cid', () => {
  it('prints the forest\'s Installation ID for the key, then slmgr\'s phone.inf sentence', async () => {
    const r = await lab.run(['/ad-activation-get-iid', labKey('ws2022')]);
    expect(r.status).toBe(0);
    const iid = installationIdOf(r.stdout);
    expect(r.stdout).toBe(output(`Installation ID: ${iid}`, '', PHONE_TEXT));
    const json = await lab.json(['/ad-activation-get-iid', labKey('ws2022')]);
    expect(json.doc.result).toEqual({ kind: 'ad-installation-id', forest: 'lab.test', partialProductKey: 'KXBT6', installationId: iid });
    // Another key, or another forest, has another IID.
    expect(installationIdOf(await lab.ok(['/ad-activation-get-iid', labKey('ws2019')]))).not.toBe(iid);
    await lab.ok(['lab', 'domain', HOSTNAME, 'corp.test']);
    expect(installationIdOf(await lab.ok(['/ad-activation-get-iid', labKey('ws2022')]))).not.toBe(iid);
  });

  it('activates the forest with the CID the lab phone centre issues for that IID', async () => {
    const iid = installationIdOf(await lab.ok(['/ad-activation-get-iid', labKey('ws2022')]));
    const centre = await lab.json(['lab', 'phone-activate', iid]);
    expect(centre.doc.result).toMatchObject({ product: null });
    const cid = centre.doc.result?.confirmationId as string;
    expect(await lab.run(['/ad-activation-apply-cid', labKey('ws2022'), cid, 'By phone'])).toMatchObject({ status: 0, stdout: output('Product activated successfully.') });
    const list = await lab.json(['/ao-list']);
    expect(list.doc.result).toMatchObject({ activationObjects: [{ name: 'By phone', method: 'phone', dn: `CN=By phone,${CONTAINER}` }] });
    // Without a name the AO is named after the key's product description, as online.
    await lab.ok(['/ad-activation-apply-cid', labKey('ws2022'), (cid.match(/\d{6}/g) as string[]).join('-')]);
    expect(await lab.ok(['/ao-list'])).toContain(`AO DN: ${DEFAULT_DN}\n`);
  });

  it.each([
    ['malformed', () => '12345', 'Error: 0xC004F02C The software Licensing Service reported that the format for the offline activation data is incorrect'],
    ['for another IID', () => labConfirmationId('0'.repeat(63)), "Error: 0xC004F031 On a computer running Microsoft Windows non-core edition, run 'slui.exe 0x2a 0xC004F031' to display the error text."],
  ])('refuses a CID that is %s and changes nothing', async (_, cid, line) => {
    await lab.ok(['/ao-list']);
    const before = lab.snapshot();
    expect(await lab.run(['/ad-activation-apply-cid', labKey('ws2022'), cid()])).toMatchObject({ status: 2, stdout: output(line) });
    expect(lab.snapshot()).toBe(before);
  });

  it('refuses a key that cannot activate a forest, before looking at the CID', async () => {
    expect(await lab.run(['/ad-activation-get-iid', SERVER_2022_GVLK])).toMatchObject({ status: 2, stdout: output(F050) });
    expect(await lab.run(['/ad-activation-apply-cid', SERVER_2022_GVLK, '1'])).toMatchObject({ status: 2, stdout: output(F050) });
  });

  it('needs both parameters', async () => {
    const r = await lab.run(['/ad-activation-apply-cid', labKey('ws2022')]);
    expect(r.status).toBe(1);
    expect(r.stdout.startsWith('\nError: option ad-activation-apply-cid needs <Confirmation ID>\n')).toBe(true);
  });
});

describe('/del-ao', () => {
  beforeEach(async () => {
    await lab.ok(['/ad-activation-online', labKey('ws2022'), 'Server KMS']);
  });

  it('with a bare name: shows the DN it built, then deletes', async () => {
    expect(await lab.run(['/del-ao', 'Server KMS'])).toMatchObject({ status: 0, stdout: output(`    AO DN: CN=Server KMS,${CONTAINER}`, '', 'Operation completed successfully.') });
    expect(await lab.ok(['/ao-list'])).toBe(output('Activation Objects', '    No objects found'));
  });

  it('with an RDN: the same, with the CN= as typed', async () => {
    const r = await lab.json(['/del-ao', 'cn=server kms']);
    expect(r.doc).toMatchObject({ command: 'del-ao', ok: true, exitCode: 0, error: null });
    expect(r.doc.result).toMatchObject({ kind: 'activation-object-deleted', dn: `cn=server kms,${CONTAINER}`, constructedDn: true, deleted: { name: 'Server KMS' }, failure: null });
  });

  it('with a DN, however it is spelled: no DN line', async () => {
    const dn = `cn=SERVER KMS, cn=activation objects, CN=Microsoft SPP,CN=Services,CN=Configuration,DC=LAB,DC=test`;
    expect(await lab.run(['/del-ao', dn])).toMatchObject({ status: 0, stdout: output('Operation completed successfully.') });
  });

  it('with a name that is no object: 0x80072030 after the DN line, and nothing changes', async () => {
    const before = lab.snapshot();
    const r = await lab.run(['/del-ao', 'Nothing']);
    expect(r).toMatchObject({ status: 2, stdout: output(`    AO DN: CN=Nothing,${CONTAINER}`, '', NO_SUCH_OBJECT) });
    const json = await lab.json(['/del-ao', 'Nothing']);
    expect(json.doc).toMatchObject({ ok: false, exitCode: 2, result: { kind: 'activation-object-deleted', deleted: null, failure: { hresult: 0x80072030 } } });
    expect(json.doc.error).toMatchObject({ kind: 'licensing', hresult: '0x80072030', hresultSigned: -2147016656 });
    expect(lab.snapshot()).toBe(before);
  });
});

describe('KMS clients activating through the forest', () => {
  it('a domain member activates through AD, before and without any KMS host; /dlv shows the AD client block', async () => {
    await lab.ok(['/ad-activation-online', labKey('ws2022')]);
    await lab.ok(['lab', 'clients', '--count', '1', '--key', SERVER_2022_GVLK, '--prefix', 'srv', '--no-activate']);
    expect(await lab.run(['srv001', '/ato'])).toMatchObject({
      status: 0,
      stdout: output(`Activating Windows(R), ServerStandard edition (${SERVER_2022}) ...`, 'Product activated successfully.'),
    });
    const dli = await lab.ok(['srv001', '/dli']);
    expect(dli).toBe(output(
      '',
      'Name: Windows(R), ServerStandard edition',
      'Description: Windows(R) Operating System, VOLUME_KMSCLIENT channel',
      'Partial Product Key: VMK7H',
      'License Status: Licensed',
      'Volume activation expiration: 259200 minute(s) (180 day(s))',
      'Configured Activation Type: All',
      ...adBlock(WS2022_DESCRIPTION, DEFAULT_DN),
      '',
    ));
    expect(await lab.ok(['srv001', '/dlv'])).toContain(adBlock(WS2022_DESCRIPTION, DEFAULT_DN).join('\n'));
    const json = await lab.json(['srv001', '/dlv']);
    const product = (json.doc.result as { products: Record<string, unknown>[] }).products[0];
    expect(product?.adActivation).toEqual({
      activationObjectName: WS2022_DESCRIPTION,
      activationObjectDn: DEFAULT_DN,
      extendedPid: HOST_EPID,
      activationId: WS2022_CSVLK,
      activatedAt: '2026-11-25T12:00:00.000Z',
    });
    expect(product?.kmsClient).toEqual({ configuredActivationType: 'All', activation: null });
    expect(await lab.ok(['srv001', '/xpr'])).toBe(output('Windows(R), ServerStandard edition:', '    Volume activation will expire 5/24/2027 12:00:00 PM'));
  });

  it('Office 2013 and later activates through an Office AO', async () => {
    await lab.ok(['/ad-activation-online', labKey('office2021')]);
    await lab.ok(['off01', '/ipk', OFFICE_2021_GVLK]);
    expect(await lab.ok(['off01', '/ato', OFFICE_2021])).toContain('Product activated successfully.');
    expect(await lab.ok(['off01', '/dli', OFFICE_2021])).toContain('AD Activation client information\n    Activation Object name: Office21_KMSHost2021VL_KMS_Host\n');
  });

  it('/act-type decides: 2 (KMS) never looks at AD, 1 (AD) never uses KMS, 0 tries AD first', async () => {
    await lab.ok(['kms01', '/ipk', labKey('ws2022')]);
    await lab.ok(['kms01', '/ato']);
    await lab.ok(['lab', 'clients', '--count', '5', '--key', SERVER_2022_GVLK, '--prefix', 'srv', '--no-activate']);
    // KMS only, no AO: the KMS host answers (count 1 of 5 needed).
    await lab.ok(['srv001', '/act-type', '2']);
    expect((await lab.run(['srv001', '/ato'])).stdout).toContain('Error: 0xC004F038');
    // AD only, no AO: 0xC004F081, though a KMS host is there; nothing reaches the host.
    await lab.ok(['srv002', '/act-type', '1']);
    const events = (await lab.ok(['lab', 'events', 'kms01'])).split('\n').length;
    const adOnly = await lab.run(['srv002', '/ato']);
    expect(adOnly).toMatchObject({ status: 2, stdout: output(`Activating Windows(R), ServerStandard edition (${SERVER_2022}) ...`, F081) });
    expect((await lab.ok(['lab', 'events', 'kms01'])).split('\n').length).toBe(events);
    const json = await lab.json(['srv002', '/ato']);
    expect(json.doc.error).toMatchObject({ kind: 'licensing', hresult: '0xC004F081' });
    // With an AO in the forest: AD-only and all activate through AD; KMS-only still asks the host.
    await lab.ok(['/ad-activation-online', labKey('ws2022')]);
    expect((await lab.run(['srv002', '/ato'])).stdout).toContain('Product activated successfully.');
    expect((await lab.run(['srv003', '/ato'])).stdout).toContain('Product activated successfully.');
    expect(await lab.ok(['srv003', '/dli'])).toContain('AD Activation client information');
    expect((await lab.run(['srv001', '/ato'])).stdout).toContain('Error: 0xC004F038');
    // The activation type of a product alone decides for it.
    await lab.ok(['srv004', '/act-type', '2', SERVER_2022]);
    expect((await lab.run(['srv004', '/ato'])).stdout).toContain('Error: 0xC004F038');
  });

  it('an AO that does not cover the product does not activate it', async () => {
    await lab.ok(['/ad-activation-online', labKey('ws2019')]);
    await lab.ok(['srv01', '/ipk', SERVER_2022_GVLK]);
    expect((await lab.run(['srv01', '/ato'])).stdout).toContain(F074);
    await lab.ok(['srv01', '/act-type', '1']);
    expect((await lab.run(['srv01', '/ato'])).stdout).toContain(F081);
  });

  it('Windows 7 clients cannot use AD-based activation, even when the AO\'s key covers them', async () => {
    await lab.ok(['/ad-activation-online', labKey('ws2012r2')]);
    await lab.ok(['win7', '/ipk', WINDOWS_7_GVLK]);
    expect((await lab.run(['win7', '/ato'])).stdout).toContain(F074);
  });

  it('a machine of another forest does not see the AO', async () => {
    await lab.ok(['/ad-activation-online', labKey('ws2022')]);
    await lab.ok(['corp001', '/ipk', SERVER_2022_GVLK]);
    await lab.ok(['lab', 'domain', 'corp001', 'corp.test']);
    expect((await lab.run(['corp001', '/ato'])).stdout).toContain(F074);
  });

  it('renews with the forest; after /del-ao the next renewal falls back to KMS, and a KMS activation replaces the AD block', async () => {
    await lab.ok(['/ad-activation-online', labKey('ws2022'), 'Server KMS']);
    await lab.ok(['lab', 'clients', '--count', '1', '--key', SERVER_2022_GVLK, '--prefix', 'srv']);
    expect(await lab.ok(['srv001', '/dli'])).toContain('AD Activation client information');
    // 7 days on, the client renewed through AD: the 180 days start again.
    expect(await lab.ok(['lab', 'advance', '7d'])).toContain('Automatic attempts: 1; activated or renewed: 1; failed: 0');
    lab.now = '2026-12-02T12:00:00Z';
    expect(await lab.ok(['srv001', '/dli'])).toContain('Volume activation expiration: 259200 minute(s) (180 day(s))');
    // The AO goes: the client keeps its activation, but its next renewal finds no AO and no KMS host.
    await lab.ok(['/del-ao', 'Server KMS']);
    expect(await lab.ok(['lab', 'advance', '7d', '--now', lab.now])).toContain('Automatic attempts: 1; activated or renewed: 0; failed: 1');
    expect(await lab.ok(['srv001', '/dli'])).toContain('License Status: Licensed\nVolume activation expiration: 259200 minute(s) (180 day(s))');
    // A KMS host appears: the next activation goes through KMS, and /dli shows the KMS block.
    await lab.ok(['kms01', '/ipk', labKey('ws2022')]);
    await lab.ok(['kms01', '/ato']);
    await lab.ok(['lab', 'clients', '--count', '4', '--key', SERVER_2022_GVLK, '--prefix', 'more']);
    expect((await lab.run(['srv001', '/ato'])).stdout).toContain('Product activated successfully.');
    const dli = await lab.ok(['srv001', '/dli']);
    expect(dli).toContain('Key Management Service client information');
    expect(dli).not.toContain('AD Activation client information');
  });
});

describe('the built bin', () => {
  it.skipIf(!existsSync(new URL('../../dist/bundle/main.js', import.meta.url)))('activates a forest, lists and deletes its AO', () => {
    const { store, cleanup } = tempDir();
    try {
      const env = { now: '2026-11-25T12:00:00Z', store };
      expect(slmgr(['/ad-activation-online', labKey('ws2022'), 'Bin AO'], env)).toMatchObject({ status: 0, stdout: slmgrOutput('Product activated successfully.') });
      expect(slmgr(['/ao-list'], env).stdout).toContain(`        AO DN: CN=Bin AO,${CONTAINER}\n`);
      expect(slmgr(['/del-ao', 'Bin AO'], env)).toMatchObject({ status: 0, stdout: slmgrOutput(`    AO DN: CN=Bin AO,${CONTAINER}`, '', 'Operation completed successfully.') });
    } finally {
      cleanup();
    }
  });
});
