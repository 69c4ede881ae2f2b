// The simulated KMS world end to end: lab machines, KMS hosts with lab host keys, client
// activation, lab DNS, events, and the four common issues of the KMS host documentation.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { slmgr, slmgrOutput, tempDir } from './helpers.js';

const LAB_KEYS = Object.fromEntries(
  (JSON.parse(readFileSync(new URL('../../fixtures/lab/host-keys.json', import.meta.url), 'utf8')) as { id: string; key: string }[]).map((k) => [k.id, k.key]),
) as Record<string, string>;
const ENTERPRISE = 'NPPR9-FWDCX-D2C8J-H872K-2YT43';
const SERVER_2019 = 'N69G4-B89J2-4G8F4-WWYCC-J464C';
const SERVER_2022 = 'VDYBN-27WPP-V4HQT-9VMD4-VMK7H';
const NOW = '2026-11-25T12:00:00Z';
const NO_KMS = 'Error: 0xC004F074 The Software Licensing Service reported that the computer could not be activated. No Key Management Service (KMS) could be contacted. Please see the Application Event Log for additional information.';
const REFUSED = 'Error: 0xC004F042 The software Licensing Service determined that the specified Key Management Service (KMS) cannot be used';
const LOW_COUNT = 'Error: 0xC004F038 The software Licensing Service reported that the computer could not be activated. The count reported by your Key Management Service (KMS) is insufficient. Please contact your system administrator';

let env: ReturnType<typeof tempDir>;
beforeEach(() => {
  env = tempDir();
});
afterEach(() => env.cleanup());

const run = (...args: string[]) => slmgr(args, { store: env.store, now: NOW });
const json = (...args: string[]) => JSON.parse(run(...args, '--json').stdout) as Record<string, any>;

function host(name = 'kms01', key = LAB_KEYS.ws2019 as string) {
  expect(run(name, '/ipk', key).status).toBe(0);
  // Without an Activation ID /ato takes the Windows licence; an Office host key needs its own.
  const installed = json(name, '/dli', 'All').result.products.find((p: { partialProductKey: string | null }) => p.partialProductKey === key.slice(-5));
  expect(run(name, '/ato', installed.activationId).status).toBe(0);
}

function clients(count: number, key: string, prefix = 'client') {
  return run('lab', 'clients', '--count', String(count), '--key', key, '--prefix', prefix);
}

function activation(machine: string) {
  const r = run(machine, '/ato');
  return { status: r.status, last: r.stdout.trimEnd().split('\n').at(-1) };
}

describe('KMS host', () => {
  it('installs a lab host key masked, activates it, and shows the host block', () => {
    expect(run('kms01', '/ipk', LAB_KEYS.ws2019 as string).stdout).toBe(slmgrOutput('Installed product key XXXXX-XXXXX-XXXXX-XXXXX-782QF successfully.'));
    expect(run('kms01', '/ato').stdout).toBe(slmgrOutput(
      'Activating Windows(R), ServerStandard edition (2e7a9ad1-a849-4b56-babe-17d5a29fe4b4) ...',
      'Product activated successfully.',
    ));
    const dlv = run('kms01', '/dlv').stdout;
    expect(dlv).toContain('Product Key Channel: Volume:CSVLK\n');
    expect(dlv).toContain([
      'Key Management Service is enabled on this machine',
      '    Current count: 0',
      '    Listening on Port: 1688',
      '    DNS publishing enabled',
      '    KMS priority: Normal',
      '',
      'Key Management Service cumulative requests received from clients',
      '    Total requests received: 0',
    ].join('\n'));
    expect(dlv).not.toContain(LAB_KEYS.ws2019);
    const host = json('kms01', '/dlv').result.products[0].kmsHost;
    expect(host.registry).toMatchObject({ KeyManagementServiceVersion: '10.0.26100.1', KeyManagementServiceCurrentCount: 0, KeyManagementServiceTotalRequests: 0, KeyManagementServiceListeningPort: '1688', DisableDnsPublishing: 0, EnableKmsLowPriority: 0, VLActivationInterval: 120, VLRenewalInterval: 10080 });
  });

  it('keeps only a slow digest of a host key, never the key', () => {
    host();
    const raw = readFileSync(env.store);
    expect(raw.includes(Buffer.from((LAB_KEYS.ws2019 as string).replaceAll('-', '')))).toBe(false);
    expect(raw.includes(Buffer.from(LAB_KEYS.ws2019 as string))).toBe(false);
    expect(raw.includes(Buffer.from('scrypt:'))).toBe(true);
  });

  it('one host key activates at most 6 hosts (0xC004C008 beyond)', () => {
    for (let i = 1; i <= 6; i++) host(`kms0${i}`);
    run('kms07', '/ipk', LAB_KEYS.ws2019 as string);
    const r = run('kms07', '/ato');
    expect(r.stdout).toContain('Error: 0xC004C008 The activation server determined that the specified product key could not be used');
    expect(r.status).toBe(2);
  });

  it('host settings: slmgr texts, the reboot warning, and rejected values change nothing', () => {
    expect(run('pc01', '/sprt', '1700')).toMatchObject({ status: 3, stdout: slmgrOutput('Warning: KMS port can only be set on a KMS machine that is also activated.') });
    host();
    expect(run('kms01', '/sprt', '1700').stdout).toBe(slmgrOutput('KMS port set to 1700 successfully.', 'Warning: a KMS reboot is needed for this setting to take effect.'));
    expect(run('kms01', '/sai', '60').stdout).toBe(slmgrOutput('Volume activation interval set to 60 minutes successfully.', 'Warning: a KMS reboot is needed for this setting to take effect.'));
    expect(run('kms01', '/sri', '20160').stdout).toBe(slmgrOutput('Volume renewal interval set to 20160 minutes successfully.', 'Warning: a KMS reboot is needed for this setting to take effect.'));
    expect(run('kms01', '/cdns').stdout).toBe(slmgrOutput('DNS publishing disabled', 'Warning: a KMS reboot is needed for this setting to take effect.'));
    expect(run('kms01', '/cpri').stdout).toBe(slmgrOutput('KMS priority set to Low', 'Warning: a KMS reboot is needed for this setting to take effect.'));
    for (const [sw, value] of [['/sprt', '0'], ['/sprt', '70000'], ['/sai', '14'], ['/sri', '43201'], ['/sai', 'soon']] as const) {
      expect(run('kms01', sw, value)).toMatchObject({ status: 2, stdout: slmgrOutput('Error: 0x80070057 The parameter is incorrect') });
    }
    expect(run('kms01', '/sai', '-5').stdout).toBe(slmgrOutput('Error: The data is invalid'));
    // slmgr rejects a negative interval before it looks for a host key (reference §2.4).
    expect(run('pc77', '/sri', '-5').stdout).toBe(slmgrOutput('Error: The data is invalid'));
    const view = json('kms01', '/dlv').result.products[0].kmsHost;
    expect(view).toMatchObject({ listeningPort: 1700, dnsPublishing: false, lowPriority: true, activationIntervalMinutes: 60, renewalIntervalMinutes: 20160 });
  });

  it('publishes its SRV record in its domain and in the extra domains, and /cdns withdraws it', () => {
    host();
    run('lab', 'publish-domains', 'kms01', 'corp.test');
    const listing = run('lab', 'dns', 'list', 'lab.test').stdout;
    expect(listing).toBe([
      '_vlmcs._tcp.lab.test\tSRV service location:',
      '\t  priority       = 0',
      '\t  weight         = 0',
      '\t  port           = 1688',
      '\t  svr hostname   = kms01.lab.test',
      'kms01.lab.test\tinternet address = 10.0.0.2',
      '',
      '',
    ].join('\n'));
    expect(run('lab', 'dns', 'list', 'corp.test').stdout).toContain('svr hostname   = kms01.lab.test');
    run('kms01', '/cdns');
    expect(run('lab', 'dns', 'list', 'lab.test').stdout).toBe(slmgrOutput("*** can't find _vlmcs._tcp.lab.test: Non-existent domain"));
  });
});

describe('KMS client activation', () => {
  it('activates Office clients against an Office host key, and lab machines answer to their FQDN', () => {
    host('kms01', LAB_KEYS.office2021 as string);
    expect(clients(5, 'FXYTK-NJJ8C-GB6DW-3DYQT-6F7TH', 'office').stdout).toContain('Activated: 1; failed: 4');
    expect(run('office001.lab.test', '/ato', 'fbdb3e18-a8ef-4fb3-9183-dffd60bd0984').status).toBe(0);
    expect(run('pc9.corp.test', '/skhc').status).toBe(0);
    expect(json('lab', 'machines').result.machines.find((m: { name: string }) => m.name === 'pc9')).toMatchObject({ fqdn: 'pc9.corp.test', dnsDomain: 'corp.test' });
  });

  it('counts unique CMIDs: Windows clients need 25', () => {
    host();
    expect(clients(24, ENTERPRISE).stdout).toContain('Activated: 0; failed: 24');
    run('client025', '/ipk', ENTERPRISE);
    expect(run('client025', '/ato').stdout).toBe(slmgrOutput(
      'Activating Windows(R), Enterprise edition (73111121-5638-40f6-bc11-f1d7b0d64300) ...',
      'Product activated successfully.',
    ));
    // The 24 that failed below the threshold now succeed when they retry.
    expect(activation('client001')).toEqual({ status: 0, last: 'Product activated successfully.' });
    const dlv = run('client001', '/dlv').stdout;
    expect(dlv).toContain('License Status: Licensed\nVolume activation expiration: 259200 minute(s) (180 day(s))\n');
    expect(dlv).toContain('    KMS machine name from DNS: kms01.lab.test:1688\n    KMS machine IP address: 10.0.0.2\n    KMS machine extended PID: 03612-00206-551-000001-03-1033-26100.0000-3292026\n');
    expect(run('kms01', '/dli').stdout).toContain('    Current count: 25\n');
  });

  it('servers need 5; below it the client stays in grace with 0xC004F038', () => {
    host();
    clients(4, SERVER_2019, 'srv');
    const r = run('srv001', '/ato');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(LOW_COUNT);
    expect(r.status).toBe(2);
    expect(run('srv001', '/dli').stdout).toContain('License Status: Initial grace period');
    clients(1, SERVER_2019, 'srv');
    expect(activation('srv001').status).toBe(0);
  });

  it('/skms overrides DNS and a wrong name fails with 0xC004F074', () => {
    host();
    clients(5, SERVER_2019, 'srv');
    run('srv001', '/skms', 'kms01.lab.test:1688');
    expect(activation('srv001').status).toBe(0);
    expect(run('srv001', '/dlv').stdout).toContain('    Registered KMS machine name: kms01.lab.test:1688\n');
    run('srv001', '/skms', 'nowhere.lab.test');
    expect(activation('srv001')).toEqual({ status: 5, last: NO_KMS });
  });

  it('host caching sends a client back to its host; with caching off it rediscovers through DNS', () => {
    host('kms01');
    host('kms02');
    // 30 clients spread over both hosts, so each host's count passes 5.
    clients(30, SERVER_2019, 'srv');
    expect(activation('srv030').status).toBe(0);
    const fromDns = () => json('srv030', '/dlv').result.products[0].kmsClient.activation.kmsMachineFromDns as string;
    const cached = fromDns();
    for (let i = 0; i < 8; i++) {
      activation('srv030');
      expect(fromDns()).toBe(cached);
    }
    run('srv030', '/ckhc');
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      activation('srv030');
      seen.add(fromDns());
    }
    expect([...seen].sort()).toEqual(['kms01.lab.test:1688', 'kms02.lab.test:1688']);
  });

  it('/skms-domain looks the SRV records up in another domain', () => {
    host('kms01');
    run('lab', 'domain', 'kms01', 'corp.test');
    clients(5, SERVER_2019, 'srv');
    expect(activation('srv001')).toEqual({ status: 5, last: NO_KMS });
    for (let i = 1; i <= 5; i++) run(`srv00${i}`, '/skms-domain', 'corp.test');
    for (let i = 1; i <= 4; i++) expect(activation(`srv00${i}`).last).toBe(LOW_COUNT);
    expect(activation('srv005').status).toBe(0);
    expect(run('srv005', '/dlv').stdout).toContain('    Registered KMS SRV record lookup domain: corp.test\n    KMS machine name from DNS: kms01.corp.test:1688\n');
  });

  it('records events 12288 and 12289 on the client and 12290 on the host', () => {
    host();
    clients(1, SERVER_2019, 'srv');
    const clientEvents = json('lab', 'events', 'srv001').result.events as { eventId: number; data: Record<string, unknown> }[];
    expect(clientEvents.map((e) => e.eventId)).toEqual([12288, 12289]);
    expect(clientEvents[1]?.data).toMatchObject({ resultCode: '0xC004F038', currentCount: 1, activationFlag: 0 });
    const hostEvents = json('lab', 'events', 'kms01').result.events as { eventId: number; data: Record<string, unknown> }[];
    expect(hostEvents[0]).toMatchObject({ eventId: 12290, data: { minimumCount: 5, resultCode: '0xC004F038', currentCount: 1, licenseState: 'Initial grace period' } });
    expect(run('lab', 'events', 'kms01').stdout).toMatch(/^2026-11-25T12:00:00.000Z {2}12290 {2}minimumCount=5 cmid=/);
  });
});

describe('lab time', () => {
  const at = (now: string, ...args: string[]) => slmgr(args, { store: env.store, now });

  it('clients renew every renewal interval, and without a host fall through the grace periods', () => {
    host();
    run('kms01', '/sai', '1440');
    clients(5, SERVER_2019, 'srv');
    // A typo's 19,000 years of renewals would run for hours: one advance is at most ten years.
    expect(run('lab', 'advance', '999999w')).toMatchObject({ status: 1, stderr: expect.stringContaining('at most 3650d') });
    // srv001–srv004 failed below the threshold and retry by themselves after the activation interval.
    expect(run('lab', 'advance', '7d').stdout).toBe(slmgrOutput(
      'Lab time 2026-11-25T12:00:00.000Z -> 2026-12-02T12:00:00.000Z (clock fixed by --now; not moved)',
      'Automatic attempts: 5; activated or renewed: 5; failed: 0',
    ));
    expect(at('2026-12-02T12:00:00Z', 'srv005', '/dli').stdout).toContain('License Status: Licensed\nVolume activation expiration: 259200 minute(s) (180 day(s))\n');
    run('lab', 'firewall', 'kms01', 'block');
    expect(at('2026-12-02T12:00:00Z', 'lab', 'advance', '200d').stdout).toContain('activated or renewed: 0; failed: 994');
    expect(at('2027-06-20T12:00:00Z', 'srv005', '/dli').stdout).toContain('License Status: Additional grace period (KMS license expired or hardware out of tolerance)\n');
    expect(at('2027-07-30T12:00:00Z', 'srv005', '/dli').stdout).toContain('License Status: Notification\nNotification Reason: 0xC004F009 (grace time expired).\n');
  });

  it('without --now the lab clock itself moves forward', () => {
    host();
    slmgr(['lab', 'advance', '30d'], { store: env.store });
    const dlv = JSON.parse(slmgr(['kms01', '/dlv', '--json'], { store: env.store }).stdout) as { result: { products: { trustedTime: string }[] } };
    const ahead = Date.parse(dlv.result.products[0]!.trustedTime) - Date.now();
    expect(ahead).toBeGreaterThan(29 * 86_400_000);
    expect(ahead).toBeLessThan(31 * 86_400_000);
  });

  it('rejects a malformed duration', () => {
    expect(run('lab', 'advance', 'soon')).toMatchObject({ status: 1 });
  });
});

describe('the four common issues', () => {
  it('1. host activated but unreachable: blocked port or missing SRV record give 0xC004F074', () => {
    host();
    clients(5, SERVER_2019, 'srv');
    run('lab', 'firewall', 'kms01', 'block');
    expect(activation('srv001')).toEqual({ status: 5, last: NO_KMS });
    run('lab', 'firewall', 'kms01', 'allow');
    expect(activation('srv001').status).toBe(0);
    run('kms01', '/cdns');
    run('srv002', '/ckhc');
    expect(activation('srv002')).toEqual({ status: 5, last: NO_KMS });
  });

  it('2. a newer client SKU is refused with 0xC004F042 until a newer host key is installed and activated', () => {
    host();
    clients(5, SERVER_2022, 'srv');
    expect(activation('srv001')).toEqual({ status: 2, last: REFUSED });
    expect(json('kms01', '/dlv').result.products[0].kmsHost.requests).toMatchObject({ total: 6, failed: 6 });
    run('kms01', '/ipk', LAB_KEYS.ws2022 as string);
    // A replaced host key stops the service until the host is activated again.
    expect(activation('srv001')).toEqual({ status: 5, last: NO_KMS });
    run('kms01', '/ato');
    clients(4, SERVER_2022, 'srv');
    expect(activation('srv001').status).toBe(0);
  });

  it('3. count stuck: cloned machines share a CMID and do not raise it; new CMIDs do', () => {
    host();
    clients(1, SERVER_2019, 'srv');
    for (let i = 2; i <= 6; i++) {
      run(`clone${i}`, '/ipk', SERVER_2019);
      run('lab', 'clone-cmid', `clone${i}`, 'srv001');
      expect(activation(`clone${i}`).last).toBe(LOW_COUNT);
    }
    expect(run('kms01', '/dli').stdout).toContain('    Current count: 1\n');
    expect(activation('srv001').last).toBe(LOW_COUNT);
    for (let i = 2; i <= 5; i++) run('lab', 'new-cmid', `clone${i}`);
    for (let i = 2; i <= 5; i++) activation(`clone${i}`);
    expect(run('kms01', '/dli').stdout).toContain('    Current count: 5\n');
    expect(activation('clone6').status).toBe(0);
  });

  it('4a. two hosts publishing equal records (priority 0, weight 0) share the clients', () => {
    host('kms01');
    host('kms02');
    clients(30, SERVER_2019, 'srv');
    const served = (name: string) => Number(/Total requests received: (\d+)/.exec(run(name, '/dli').stdout)?.[1]);
    expect(served('kms01') + served('kms02')).toBe(30);
    expect(served('kms01')).toBeGreaterThan(3);
    expect(served('kms02')).toBeGreaterThan(3);
  });

  it('4. several hosts in DNS: clients spread by priority and weight; a stale record is removed', () => {
    host('kms01');
    host('kms02');
    run('kms01', '/cdns');
    run('kms02', '/cdns');
    run('lab', 'dns', 'add', 'lab.test', 'kms01.lab.test', '--priority', '0', '--weight', '50');
    run('lab', 'dns', 'add', 'lab.test', 'kms02.lab.test', '--priority', '0', '--weight', '50');
    run('lab', 'dns', 'add', 'lab.test', 'old-kms.lab.test', '--priority', '0', '--weight', '50');
    clients(40, SERVER_2019, 'srv');
    const served = (name: string) => Number(/Total requests received: (\d+)/.exec(run(name, '/dli').stdout)?.[1]);
    // Weighted random: both live hosts got a share; nothing reached the dead one, which was skipped.
    expect(served('kms01') + served('kms02')).toBeGreaterThanOrEqual(40);
    expect(served('kms01')).toBeGreaterThan(5);
    expect(served('kms02')).toBeGreaterThan(5);
    expect(run('lab', 'dns', 'remove', 'lab.test', 'old-kms.lab.test').stdout).toBe(slmgrOutput('Removed 1 record(s) from _vlmcs._tcp.lab.test'));
    expect(run('lab', 'dns', 'list', 'lab.test').stdout).not.toContain('old-kms');
  });
});
