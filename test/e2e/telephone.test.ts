// Telephone activation end to end: /dti, the lab's phone centre (`slmgr lab phone-activate`) and
// /atp, in text and --json, with every refusal leaving the store as it was.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { labConfirmationId } from '../../src/licensing/confirmation-id.js';
import { isValidInstallationIdBlock } from '../../src/licensing/installation-id.js';
import { slmgr, slmgrOutput, tempDir } from './helpers.js';
import { installationIdOf, labKey, OfflineLab, output } from './offline-helpers.js';
import { existsSync, readFileSync } from 'node:fs';

const WS2019_HOST = '2e7a9ad1-a849-4b56-babe-17d5a29fe4b4';
const ENTERPRISE_GVLK = 'NPPR9-FWDCX-D2C8J-H872K-2YT43';
const ENTERPRISE = 'Windows(R), Enterprise edition';
const F02C = 'Error: 0xC004F02C The software Licensing Service reported that the format for the offline activation data is incorrect';
const F04D = "Error: 0xC004F04D On a computer running Microsoft Windows non-core edition, run 'slui.exe 0x2a 0xC004F04D' to display the error text.";
const F031 = "Error: 0xC004F031 On a computer running Microsoft Windows non-core edition, run 'slui.exe 0x2a 0xC004F031' to display the error text.";
const C008 = 'Error: 0xC004C008 The activation server determined that the specified product key could not be used';

let lab: OfflineLab;
beforeEach(() => {
  lab = new OfflineLab();
});
afterEach(() => lab.cleanup());

/** A KMS host with the Server 2019 lab key, not activated; returns its IID and the CID the centre issues. */
async function unactivatedHost(name = 'kms01'): Promise<{ iid: string; cid: string }> {
  await lab.ok([name, '/ipk', labKey('ws2019')]);
  const iid = installationIdOf(await lab.ok([name, '/dti']));
  const centre = await lab.json(['lab', 'phone-activate', iid]);
  return { iid, cid: centre.doc.result?.confirmationId as string };
}

/** Flips one payload digit: the group's check digit no longer holds. */
function typo(cid: string): string {
  return cid.slice(0, 8) + String((Number(cid[8]) + 1) % 10) + cid.slice(9);
}

describe('/dti', () => {
  it("prints the default product's Installation ID: 63 digits in nine blocks with valid check digits", async () => {
    await lab.ok(['/ipk', ENTERPRISE_GVLK]);
    const r = await lab.run(['/dti']);
    expect(r.status).toBe(0);
    const iid = installationIdOf(r.stdout);
    expect(r.stdout).toBe(output(`Installation ID: ${iid}`));
    expect((iid.match(/\d{7}/g) as string[]).every(isValidInstallationIdBlock)).toBe(true);
    // The same ID /dlv shows, stable from one run to the next.
    expect(await lab.ok(['/dlv'])).toContain(`Installation ID: ${iid}\n`);
    expect((await lab.run(['/dti'])).stdout).toBe(r.stdout);
  });

  it('takes an Activation ID in any case, with or without braces', async () => {
    const { iid } = await unactivatedHost();
    for (const id of [WS2019_HOST, `{${WS2019_HOST.toUpperCase()}}`]) {
      expect((await lab.run(['kms01', '/dti', id])).stdout).toBe(output(`Installation ID: ${iid}`));
    }
  });

  it('--json: kind installation-id', async () => {
    const { iid } = await unactivatedHost();
    const r = await lab.json(['kms01', '/dti']);
    expect(r.status).toBe(0);
    expect(r.doc).toMatchObject({ command: 'dti', machine: 'kms01', ok: true, exitCode: 0, error: null });
    expect(r.doc.result).toEqual({ kind: 'installation-id', activationId: WS2019_HOST, name: 'Windows(R), ServerStandard edition', installationId: iid });
  });

  it('changes with the key and with the machine', async () => {
    const first = await unactivatedHost('kms01');
    const second = await unactivatedHost('kms02');
    expect(second.iid).not.toBe(first.iid);
    await lab.ok(['kms01', '/ipk', labKey('ws2022')]);
    expect(installationIdOf(await lab.ok(['kms01', '/dti']))).not.toBe(first.iid);
  });

  it('without a keyed product, or with an unknown Activation ID: Error: product not found. (exit 3)', async () => {
    const empty = await lab.run(['/dti']);
    expect(empty).toMatchObject({ status: 3, stdout: output('Error: product not found.') });
    await lab.ok(['/ipk', ENTERPRISE_GVLK]);
    const unknown = await lab.json(['/dti', '11111111-2222-3333-4444-555555555555']);
    expect(unknown.status).toBe(3);
    expect(unknown.doc.error).toEqual({ kind: 'soft-failure', id: 'MsgErrorProductNotFound', message: 'Error: product not found.' });
  });

  it('on a lab machine that does not exist fails as on an unreachable computer', async () => {
    const r = await lab.run(['pc99', '/dti']);
    expect(r.status).toBe(5);
    expect(r.stdout).toBe(output('Error 0x800706BA occurred in connecting to server pc99. The RPC server is unavailable'));
  });
});

describe('slmgr lab phone-activate', () => {
  it('reads out the Confirmation ID for an Installation ID and names the lab product it belongs to', async () => {
    const { iid } = await unactivatedHost();
    const cid = labConfirmationId(iid);
    const grouped = (cid.match(/\d{6}/g) as string[]).join('-');
    const r = await lab.run(['lab', 'phone-activate', iid]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(output(`Installation ID: ${iid}`, `Confirmation ID: ${grouped}`, `For: kms01: Windows(R), ServerStandard edition (${WS2019_HOST})`));
    // The IID may be typed in its blocks, as slui shows it.
    const dashed = (iid.match(/\d{7}/g) as string[]).join('-');
    expect((await lab.run(['lab', 'phone-activate', dashed])).stdout).toBe(r.stdout);
  });

  it('--json: kind lab-phone-activation', async () => {
    const { iid } = await unactivatedHost();
    const r = await lab.json(['lab', 'phone-activate', iid]);
    expect(r.doc).toMatchObject({ command: 'lab phone-activate', ok: true, exitCode: 0 });
    expect(r.doc.result).toEqual({
      kind: 'lab-phone-activation',
      installationId: iid,
      confirmationId: labConfirmationId(iid),
      confirmationIdGroups: labConfirmationId(iid).match(/\d{6}/g),
      product: { machine: 'kms01', activationId: WS2019_HOST, name: 'Windows(R), ServerStandard edition', partialProductKey: '782QF' },
    });
  });

  it('refuses a malformed IID (0xC004F02C), a mistyped one (0xC004F04D) and a KMS client key (0xC004C008)', async () => {
    const { iid } = await unactivatedHost();
    expect(await lab.run(['lab', 'phone-activate', iid.slice(0, 60)])).toMatchObject({ status: 2, stdout: output(F02C) });
    const mistyped = iid.slice(0, 2) + String((Number(iid[2]) + 1) % 10) + iid.slice(3);
    expect(await lab.run(['lab', 'phone-activate', mistyped])).toMatchObject({ status: 2, stdout: output(F04D) });
    await lab.ok(['/ipk', ENTERPRISE_GVLK]);
    const gvlk = installationIdOf(await lab.ok(['/dti']));
    const refused = await lab.json(['lab', 'phone-activate', gvlk]);
    expect(refused.status).toBe(2);
    expect(refused.doc.error).toMatchObject({ kind: 'licensing', hresult: '0xC004C008', hresultSigned: -1073430520 });
  });
});

describe('/atp', () => {
  it('deposits the Confirmation ID the centre issued: the host key is Licensed for good and the host serves', async () => {
    const { cid } = await unactivatedHost();
    const r = await lab.run(['kms01', '/atp', cid]);
    expect(r).toMatchObject({ status: 0, stdout: output(`Confirmation ID for product ${WS2019_HOST} deposited successfully.`) });
    expect(await lab.ok(['kms01', '/dli'])).toContain('License Status: Licensed\n\nKey Management Service is enabled on this machine');
    expect(await lab.ok(['kms01', '/xpr'])).toBe(output('Windows(R), ServerStandard edition:', '    The machine is permanently activated.'));
    // A phone-activated host publishes its SRV record and answers clients.
    expect(await lab.ok(['lab', 'dns', 'list', 'lab.test'])).toContain('svr hostname   = kms01.lab.test');
    await lab.ok(['lab', 'clients', '--count', '5', '--key', 'N69G4-B89J2-4G8F4-WWYCC-J464C', '--prefix', 'srv']);
    expect(await lab.ok(['srv005', '/ato'])).toContain('Product activated successfully.');
  });

  it('takes the CID in its groups, and an Activation ID', async () => {
    const { cid } = await unactivatedHost();
    const grouped = (cid.match(/\d{6}/g) as string[]).join('-');
    const r = await lab.run(['kms01', '/atp', grouped, WS2019_HOST.toUpperCase()]);
    expect(r).toMatchObject({ status: 0, stdout: output(`Confirmation ID for product ${WS2019_HOST} deposited successfully.`) });
  });

  it('--json: kind confirmation-id-deposited', async () => {
    const { cid } = await unactivatedHost();
    const r = await lab.json(['kms01', '/atp', cid]);
    expect(r.doc).toMatchObject({ command: 'atp', machine: 'kms01', ok: true, exitCode: 0, error: null });
    expect(r.doc.result).toEqual({ kind: 'confirmation-id-deposited', activationId: WS2019_HOST, name: 'Windows(R), ServerStandard edition', licenseStatus: 1, licenseStatusName: 'Licensed' });
  });

  it.each([
    ['too short', (cid: string) => cid.slice(0, 30), F02C, '0xC004F02C'],
    ['letters', (cid: string) => `${cid.slice(0, 47)}A`, F02C, '0xC004F02C'],
    ['a typo', typo, F04D, '0xC004F04D'],
    ['issued for another IID', () => labConfirmationId('0'.repeat(63)), F031, '0xC004F031'],
  ])('refuses a CID that is %s and changes nothing', async (_, mangle, line, hresult) => {
    const { cid } = await unactivatedHost();
    const before = lab.snapshot();
    const r = await lab.run(['kms01', '/atp', mangle(cid)]);
    expect(r).toMatchObject({ status: 2, stdout: output(line) });
    const json = await lab.json(['kms01', '/atp', mangle(cid)]);
    expect(json.doc).toMatchObject({ command: 'atp', ok: false, exitCode: 2, result: null });
    expect(json.doc.error).toMatchObject({ kind: 'licensing', hresult });
    expect(json.stderr).toBe(`${line}\n`);
    expect(lab.snapshot()).toBe(before);
    expect(await lab.ok(['kms01', '/dli'])).toContain('License Status: Initial grace period');
  });

  it('refuses the CID of the old key after a key change', async () => {
    const { cid } = await unactivatedHost();
    await lab.ok(['kms01', '/ipk', labKey('ws2022')]);
    expect(await lab.run(['kms01', '/atp', cid])).toMatchObject({ status: 2, stdout: output(F031) });
  });

  it('never phone-activates a KMS client key, whatever CID is typed', async () => {
    await lab.ok(['/ipk', ENTERPRISE_GVLK]);
    const iid = installationIdOf(await lab.ok(['/dti']));
    const before = lab.snapshot();
    expect(await lab.run(['/atp', labConfirmationId(iid)])).toMatchObject({ status: 2, stdout: output(F031) });
    expect(lab.snapshot()).toBe(before);
    expect(await lab.ok(['/dli'])).toContain(`Name: ${ENTERPRISE}`);
  });

  it('uses one of the host key\'s activations: a seventh computer gets 0xC004C008', async () => {
    for (let i = 1; i <= 6; i++) {
      await lab.ok([`kms0${i}`, '/ipk', labKey('ws2019')]);
      await lab.ok([`kms0${i}`, '/ato']);
    }
    const { cid } = await unactivatedHost('kms07');
    const before = lab.snapshot();
    const r = await lab.run(['kms07', '/atp', cid]);
    expect(r).toMatchObject({ status: 2, stdout: output(C008) });
    expect(lab.snapshot()).toBe(before);
  });

  it('phone-activates a lab MAK and a retail key within their limits (license files, /rilc)', async () => {
    const lickeys = JSON.parse(readFileSync(new URL('../../fixtures/licenses/lab-keys.json', import.meta.url), 'utf8')) as { id: string; key: string }[];
    const lickey = (id: string) => lickeys.find((k) => k.id === id)?.key as string;
    async function phoneActivate(machine: string, key: string): Promise<{ status: number; stdout: string }> {
      await lab.ok([machine, '/rilc']);
      await lab.ok([machine, '/ipk', key]);
      const iid = installationIdOf(await lab.ok([machine, '/dti']));
      return lab.run([machine, '/atp', labConfirmationId(iid)]);
    }
    const mak = await phoneActivate('pc01', lickey('lab-mak'));
    expect(mak.status).toBe(0);
    expect(mak.stdout).toMatch(/^Confirmation ID for product [0-9a-f-]{36} deposited successfully\.\n\n$/);
    expect(await lab.ok(['pc01', '/xpr'])).toContain('The machine is permanently activated.');
    // A retail key activates one machine: a second one is refused by the activation service.
    expect((await phoneActivate('pc02', lickey('lab-retail'))).status).toBe(0);
    const second = await phoneActivate('pc03', lickey('lab-retail'));
    expect(second).toMatchObject({ status: 2, stdout: output(C008) });
  });

  it('without a product: Error: product not found. (exit 3); without a CID: the usage error', async () => {
    const none = await lab.run(['/atp', labConfirmationId('0'.repeat(63))]);
    expect(none).toMatchObject({ status: 3, stdout: output('Error: product not found.') });
    const missing = await lab.run(['/atp']);
    expect(missing.status).toBe(1);
    expect(missing.stdout.startsWith('\nError: option atp needs <Confirmation ID>\nWindows Software Licensing Management Tool\n')).toBe(true);
  });
});

describe('the built bin', () => {
  it.skipIf(!existsSync(new URL('../../dist/bundle/main.js', import.meta.url)))('runs /dti, the phone centre and /atp', () => {
    const { store, cleanup } = tempDir();
    try {
      const env = { now: '2026-11-25T12:00:00Z', store };
      expect(slmgr(['kms01', '/ipk', labKey('ws2016')], env).status).toBe(0);
      const dti = slmgr(['kms01', '/dti'], env);
      const iid = installationIdOf(dti.stdout);
      expect(dti.stdout).toBe(slmgrOutput(`Installation ID: ${iid}`));
      const centre = slmgr(['lab', 'phone-activate', iid, '--json'], env);
      const cid = (JSON.parse(centre.stdout) as { result: { confirmationId: string } }).result.confirmationId;
      const atp = slmgr(['kms01', '/atp', cid], env);
      expect(atp).toMatchObject({ status: 0, stdout: slmgrOutput('Confirmation ID for product d6992aac-29e7-452a-bf10-bbfb8ccabe59 deposited successfully.') });
    } finally {
      cleanup();
    }
  });
});
