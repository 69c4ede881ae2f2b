// `slmgr lab export-cilx` / `import-cilx`: a lab exported to a VAMT-style .cilx file, imported
// into a fresh store, exports again byte for byte, with the same machines and products.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupLabs, KEYS, lab, type Lab } from '../helpers/license-lab.js';

afterEach(cleanupLabs);

const HOST_KEY = (JSON.parse(readFileSync(new URL('../../fixtures/lab/host-keys.json', import.meta.url), 'utf8')) as { id: string; key: string }[]).find((k) => k.id === 'ws2019')?.key as string;
const SERVER_GVLK = 'N69G4-B89J2-4G8F4-WWYCC-J464C';

async function ok(l: Lab, ...argv: string[]) {
  const r = await l.slmgr(...argv);
  expect(r.status, `${argv.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

/** A lab with a KMS host, clients in two states, settings, a blocked port, a MAK and an Office product. */
async function busyLab(): Promise<Lab> {
  const l = lab();
  await ok(l, 'kms01', '/ipk', HOST_KEY);
  await ok(l, 'kms01', '/ato');
  await ok(l, 'kms01', '/sai', '60');
  await ok(l, 'lab', 'publish-domains', 'kms01', 'corp.test');
  await ok(l, 'lab', 'clients', '--count', '6', '--key', SERVER_GVLK, '--prefix', 'srv');
  await ok(l, 'srv002', '/skms', 'kms01.lab.test:1688');
  await ok(l, 'srv003', '/ckhc');
  await ok(l, 'lab', 'domain', 'srv004', 'branch.test');
  await ok(l, 'lab', 'firewall', 'srv005', 'block');
  await ok(l, 'pc01', '/rilc');
  await ok(l, 'pc01', '/ipk', KEYS['lab-mak'] as string);
  await ok(l, 'pc01', '/ipk', 'XQNVK-8JYDB-WJ9W3-YJ8YR-WFG99');
  await ok(l, '/ipk', 'W269N-WFGWX-YVC9B-4J6C9-T83GX');
  return l;
}

/** What the lab looks like from outside: every lab machine and, per machine, /dlv All. */
async function labView(l: Lab) {
  const machines = (await l.json('lab', 'machines')).doc.result.machines
    .filter((m: { isLocal: boolean }) => !m.isLocal)
    .sort((a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name));
  const products: Record<string, unknown> = {};
  for (const m of machines as { name: string }[]) {
    const dlv = await l.json(m.name, '/dlv', 'All');
    products[m.name] = dlv.doc.result ?? dlv.doc.error;
  }
  return { machines, products };
}

describe('lab export-cilx / import-cilx', () => {
  it('round-trips a lab: export, import into a fresh store, export again — identical', async () => {
    const a = await busyLab();
    const first = join(a.dir, 'lab.cilx');
    const exported = await a.slmgr('lab', 'export-cilx', first);
    expect(exported).toEqual({ status: 0, stdout: `Exported 8 computer(s) with 9 product(s) to ${first}\n\n`, stderr: '' });

    const b = lab();
    const imported = await b.json('lab', 'import-cilx', first);
    expect(imported.status).toBe(0);
    expect(imported.doc.result).toEqual({ kind: 'lab-cilx-imported', file: first, created: ['kms01', 'pc01', 'srv001', 'srv002', 'srv003', 'srv004', 'srv005', 'srv006'], updated: [], products: 9 });
    const second = join(b.dir, 'again.cilx');
    await ok(b, 'lab', 'export-cilx', second);
    expect(readFileSync(second, 'utf8')).toBe(readFileSync(first, 'utf8'));

    // Machines and products are the same as seen through the CLI.
    expect(await labView(b)).toEqual(await labView(a));
    // The imported host keeps serving: a new client counts on it.
    expect((await b.slmgr('srv006', '/ato')).stdout).toContain('Product activated successfully.');
  });

  it('the file holds no product key, only partial keys', async () => {
    const a = await busyLab();
    const file = join(a.dir, 'lab.cilx');
    await ok(a, 'lab', 'export-cilx', file);
    const text = readFileSync(file, 'utf8');
    for (const key of [HOST_KEY, KEYS['lab-mak'] as string, SERVER_GVLK]) {
      expect(text).not.toContain(key);
      expect(text).toContain(`partialKey="${key.slice(-5)}"`);
    }
    expect(text).toMatch(/^<\?xml version="1\.0" encoding="utf-8"\?>\r\n/);
    expect(text).toContain('<SoftwareLicensingData Version="2.0" xmlns:slmgr="urn:slmgr:lab-state:1">');
    expect(text).toMatch(/<Computer Name="kms01" Id="\{[0-9a-f-]{36}\}" OSVersion="10\.0\.26100" OSEdition="ServerStandard" NetworkType="Domain" NetworkName="lab\.test">/);
    expect(text).toContain('<Sku Id="23fff771-c4cf-431f-a277-598317bd8d75" Name="Windows(R), LabProfessional edition" ApplicationId="55c92734-d682-4d71-983e-d6ec3f16059f" />');
    // The local machine is not part of the lab export.
    expect(text).not.toContain('Name="ws-0042"');
  });

  it('importing into the store it came from updates every machine and changes nothing', async () => {
    const a = await busyLab();
    const file = join(a.dir, 'lab.cilx');
    await ok(a, 'lab', 'export-cilx', file);
    const before = await labView(a);
    const r = await a.json('lab', 'import-cilx', file);
    expect(r.doc.result.created).toEqual([]);
    expect(r.doc.result.updated).toHaveLength(8);
    expect(await labView(a)).toEqual(before);
  });

  it('imports a VAMT file without the lab\'s elements as machines with installed, unkeyed licences', async () => {
    const l = lab();
    const file = l.file('vamt.cilx', `<?xml version="1.0" encoding="utf-8"?>
<SoftwareLicensingData Version="2.0"><Computers>
  <Computer Name="PC07" OSVersion="10.0.19045" OSEdition="Professional" NetworkType="Domain" NetworkName="corp.example" Id="{11111111-2222-4333-8444-555555555555}">
    <MacAddresses><MacAddress>00-11-22-33-44-55</MacAddress></MacAddresses>
    <Products><Product><Sku Id="{2DE67392-B7A7-462A-B1CA-108DD189F588}" Name="Windows(R), Professional edition" ApplicationId="55c92734-d682-4d71-983e-d6ec3f16059f"/><UnknownElement/></Product></Products>
  </Computer>
</Computers></SoftwareLicensingData>`);
    const r = await l.slmgr('lab', 'import-cilx', file);
    expect(r.stdout).toBe(`Imported 1 computer(s) (1 new, 0 updated) with 1 product(s) from ${file}\n\n`);
    const machines = (await l.json('lab', 'machines')).doc.result.machines;
    expect(machines.find((m: { name: string }) => m.name === 'PC07')).toMatchObject({ fqdn: 'pc07.corp.example', dnsDomain: 'corp.example' });
    expect((await l.slmgr('PC07', '/dli', 'All')).stdout).toContain('Name: Windows(R), Professional edition\nDescription: Windows(R), Professional edition\nThis license is not in use.\nLicense Status: Unlicensed\n');
  });

  describe('refuses a bad file as a usage error, and changes nothing', () => {
    const CASES: Array<[string, string]> = [
      ['not XML', 'hello'],
      ['a DOCTYPE', '<!DOCTYPE x [<!ENTITY a "b">]><SoftwareLicensingData><Computers/></SoftwareLicensingData>'],
      ['the wrong root', '<Computers/>'],
      ['a computer without a usable name', '<SoftwareLicensingData><Computers><Computer Name="../etc"/></Computers></SoftwareLicensingData>'],
      ['a product without a Sku', '<SoftwareLicensingData><Computers><Computer Name="pc01"><Products><Product/></Products></Computer></Computers></SoftwareLicensingData>'],
      ['a license status out of range', '<SoftwareLicensingData xmlns:slmgr="urn:slmgr:lab-state:1"><Computers><Computer Name="pc01"><Products><Product><Sku Id="2de67392-b7a7-462a-b1ca-108dd189f588" Name="W" ApplicationId="55c92734-d682-4d71-983e-d6ec3f16059f"/><slmgr:Product description="d" licenseStatus="9" remainingSkuRearmCount="1" remainingAppRearmCount="1" activationTypeEnabled="0" kmsTotalRequests="0" kmsFailedRequests="0" kmsUnlicensedRequests="0" kmsLicensedRequests="0" kmsOobGraceRequests="0" kmsOotGraceRequests="0" kmsNonGenuineGraceRequests="0" kmsNotificationRequests="0"/></Product></Products></Computer></Computers></SoftwareLicensingData>'],
      ['the same computer twice', '<SoftwareLicensingData><Computers><Computer Name="pc01"/><Computer Name="PC01"/></Computers></SoftwareLicensingData>'],
      ['this machine', '<SoftwareLicensingData><Computers><Computer Name="ws-0042"/></Computers></SoftwareLicensingData>'],
    ];

    it.each(CASES)('%s', async (_name, content) => {
      const l = lab();
      await ok(l, 'kms01', '/ipk', HOST_KEY);
      const before = l.dump();
      const r = await l.slmgr('lab', 'import-cilx', l.file('bad.cilx', content));
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^slmgr: (invalid \.cilx file|computer ws-0042)/);
      expect(l.dump()).toBe(before);
    });

    it('a missing file', async () => {
      const l = lab();
      const r = await l.json('lab', 'import-cilx', join(l.dir, 'missing.cilx'));
      expect(r.status).toBe(1);
      expect(r.doc.error).toMatchObject({ kind: 'usage', message: expect.stringMatching(/^cannot read /) });
    });

    it('an export to a directory that does not exist', async () => {
      const l = lab();
      const r = await l.slmgr('lab', 'export-cilx', join(l.dir, 'no', 'such', 'dir.cilx'));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^slmgr: cannot write /);
    });
  });

  it('reports JSON for both commands', async () => {
    const l = lab();
    await ok(l, 'pc01', '/ipk', 'W269N-WFGWX-YVC9B-4J6C9-T83GX');
    const file = join(l.dir, 'x.cilx');
    const e = await l.json('lab', 'export-cilx', file);
    expect(e.doc).toMatchObject({ command: 'lab export-cilx', ok: true, result: { kind: 'lab-cilx-exported', file, computers: 1, products: 1 } });
  });
});
