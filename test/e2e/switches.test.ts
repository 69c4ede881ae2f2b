// End to end: the built bin, spawned as users run it, for every switch in text and --json.
// Expected strings come from slmgr's message catalogue and layouts in the behaviour reference.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SWITCHES } from '../../src/cli/switches.js';
import { BIN, slmgr, slmgrOutput, tempDir } from './helpers.js';

const PRO = 'W269N-WFGWX-YVC9B-4J6C9-T83GX';
const PRO_ID = '2de67392-b7a7-462a-b1ca-108dd189f588';
const ENTERPRISE = 'NPPR9-FWDCX-D2C8J-H872K-2YT43';
const OFFICE_2016 = 'XQNVK-8JYDB-WJ9W3-YJ8YR-WFG99';
const NOW = '2026-11-25T12:00:00Z';
const USAGE = readFileSync(new URL('../../fixtures/expected/usage.txt', import.meta.url), 'utf8');

let env: ReturnType<typeof tempDir>;
beforeEach(() => {
  env = tempDir();
});
afterEach(() => env.cleanup());

const run = (args: string[], now = NOW) => slmgr(args, { store: env.store, now });

function json(args: string[], now = NOW) {
  const result = run([...args, '--json'], now);
  return { ...result, doc: JSON.parse(result.stdout) as Record<string, any> };
}

describe('/ipk', () => {
  it('installs a GVLK and echoes it as slmgr does', () => {
    const r = run(['/ipk', PRO]);
    expect(r).toEqual({ status: 0, stdout: slmgrOutput(`Installed product key ${PRO} successfully.`), stderr: '' });
  });

  it('rejects a key with a bad checksum with 0xC004F050 and changes nothing', () => {
    run(['/ipk', PRO]);
    const before = run(['/dlv']).stdout;
    const r = run(['/ipk', 'W269N-WFGWX-YVC9B-4J6C9-T83GB']);
    expect(r.stdout).toBe(slmgrOutput('Error: 0xC004F050 The Software Licensing Service reported that the product key is invalid'));
    expect(r.status).toBe(2);
    expect(run(['/dlv']).stdout).toBe(before);
  });

  it('rejects a malformed key the same way', () => {
    for (const key of ['hello', 'W269N-WFGWX-YVC9B-4J6C9', 'AAAAA-BBBBB-CCCCC-DDDDD-EEEEE']) {
      expect(run(['/ipk', key]).stdout).toContain('Error: 0xC004F050 ');
    }
  });

  it('returns the signed HRESULT in slmgr exit-code mode', () => {
    const r = slmgr(['/ipk', 'nonsense', '--exit-codes', 'slmgr'], { store: env.store, now: NOW });
    // -1073418160 & 0xff on POSIX
    expect(r.status).toBe((-1073418160 >>> 0) & 0xff);
  });

  it('reports JSON with the partial key and product', () => {
    const { doc, status, stderr } = json(['/ipk', PRO]);
    expect(status).toBe(0);
    expect(stderr).toBe('');
    expect(doc).toMatchObject({
      schema: 'slmgr/v1',
      command: 'ipk',
      ok: true,
      exitCode: 0,
      result: { productKey: PRO, partialProductKey: 'T83GX', activationId: PRO_ID, name: 'Windows(R), Professional edition' },
      error: null,
    });
  });

  it('replaces the installed Windows key', () => {
    run(['/ipk', PRO]);
    run(['/ipk', ENTERPRISE]);
    const dli = run(['/dli']).stdout;
    expect(dli).toContain('Name: Windows(R), Enterprise edition');
    expect(dli).not.toContain('Professional');
    const all = run(['/dli', 'All']).stdout;
    expect(all).toContain('Name: Windows(R), Professional edition\nDescription: Windows(R) Operating System, VOLUME_KMSCLIENT channel\nThis license is not in use.\nLicense Status: Unlicensed\n');
  });
});

describe('/dli, /dlv, /xpr', () => {
  it('/dli shows the initial grace period counting down with the clock', () => {
    run(['/ipk', PRO]);
    const r = run(['/dli'], '2026-12-05T12:01:00Z');
    expect(r.stdout).toBe(slmgrOutput(
      '',
      'Name: Windows(R), Professional edition',
      'Description: Windows(R) Operating System, VOLUME_KMSCLIENT channel',
      'Partial Product Key: T83GX',
      'License Status: Initial grace period',
      'Time remaining: 28799 minute(s) (20 day(s))',
      'Configured Activation Type: All',
      'Please use slmgr.vbs /ato to activate and update KMS client information in order to update values.',
      '',
    ));
  });

  it('/dlv prints the verbose layout', () => {
    run(['/ipk', PRO]);
    const r = run(['/dlv']);
    expect(r.status).toBe(0);
    expect(r.stdout.replace(/Installation ID: \d{63}\n/, 'Installation ID: <iid>\n')).toBe(slmgrOutput(
      'Software licensing service version: 10.0.26100.1',
      '',
      'Name: Windows(R), Professional edition',
      'Description: Windows(R) Operating System, VOLUME_KMSCLIENT channel',
      `Activation ID: ${PRO_ID}`,
      'Application ID: 55c92734-d682-4d71-983e-d6ec3f16059f',
      'Extended PID: 03612-03311-000-000001-03-1033-26100.0000-3292026',
      'Product Key Channel: Volume:GVLK',
      'Installation ID: <iid>',
      'Partial Product Key: T83GX',
      'License Status: Initial grace period',
      'Time remaining: 43200 minute(s) (30 day(s))',
      'Remaining Windows rearm count: 1001',
      'Remaining SKU rearm count: 1001',
      'Trusted time: 11/25/2026 12:00:00 PM',
      'Configured Activation Type: All',
      'Please use slmgr.vbs /ato to activate and update KMS client information in order to update values.',
      '',
    ));
  });

  it('/dlv with an Activation ID omits the trailing per-product empty line', () => {
    run(['/ipk', PRO]);
    expect(run(['/dlv', PRO_ID.toUpperCase()]).stdout).toMatch(/in order to update values\.\n\n$/);
    expect(run(['/dlv', PRO_ID]).stdout).not.toMatch(/values\.\n\n\n$/);
  });

  it('shows Notification once the grace period has run out', () => {
    run(['/ipk', PRO]);
    const r = run(['/dli'], '2026-12-25T12:00:00Z');
    expect(r.stdout).toContain('License Status: Notification\nNotification Reason: 0xC004F009 (grace time expired).\n');
    expect(run(['/xpr'], '2026-12-25T12:00:00Z').stdout).toBe(slmgrOutput('Windows(R), Professional edition:', '    Windows is in Notification mode'));
  });

  it('/xpr gives the end of the grace period', () => {
    run(['/ipk', PRO]);
    expect(run(['/xpr']).stdout).toBe(slmgrOutput('Windows(R), Professional edition:', '    Initial grace period ends 12/25/2026 12:00:00 PM'));
  });

  it('say "product key not found" on an empty machine, exit 3 (0 in slmgr mode)', () => {
    for (const sw of ['/dli', '/dlv', '/xpr', '/upk']) {
      const r = run([sw]);
      expect(r.stdout).toBe(slmgrOutput('Error: product key not found.'));
      expect(r.status).toBe(3);
      expect(slmgr([sw, '--exit-codes=slmgr'], { store: env.store }).status).toBe(0);
    }
  });

  it('list Office products only on request', () => {
    run(['/ipk', PRO]);
    run(['/ipk', OFFICE_2016]);
    expect(run(['/dli']).stdout).not.toContain('Office');
    const all = run(['/dlv', 'all']).stdout;
    expect(all).toContain('Name: Office 16, Office16ProPlusVL_KMS_Client edition');
    expect(all).toContain('Remaining App rearm count: 1001');
  });

  it('--json carries every field of the text layout', () => {
    run(['/ipk', PRO]);
    const { doc } = json(['/dlv']);
    const [product] = doc.result.products;
    expect(product).toMatchObject({
      activationId: PRO_ID,
      applicationId: '55c92734-d682-4d71-983e-d6ec3f16059f',
      name: 'Windows(R), Professional edition',
      description: 'Windows(R) Operating System, VOLUME_KMSCLIENT channel',
      extendedPid: '03612-03311-000-000001-03-1033-26100.0000-3292026',
      productKeyChannel: 'Volume:GVLK',
      partialProductKey: 'T83GX',
      licenseStatus: 2,
      licenseStatusName: 'Initial grace period',
      graceRemainingMinutes: 43200,
      graceRemainingDays: 30,
      remainingWindowsRearmCount: 1001,
      remainingSkuRearmCount: 1001,
      trustedTime: '2026-11-25T12:00:00.000Z',
      kmsClient: { configuredActivationType: 'All', activation: null },
    });
    expect(product.installationId).toMatch(/^\d{63}$/);
    expect(doc.result.serviceVersion).toBe('10.0.26100.1');
  });
});

describe('/upk and /cpky', () => {
  it('uninstall the key and leave the licence unused', () => {
    run(['/ipk', PRO]);
    expect(run(['/upk'])).toMatchObject({ status: 0, stdout: slmgrOutput('Uninstalled product key successfully.') });
    expect(run(['/dli']).stdout).toBe(slmgrOutput('Error: product key not found.'));
    expect(run(['/upk']).status).toBe(3);
  });

  it('/upk with an Activation ID removes only that product', () => {
    run(['/ipk', PRO]);
    run(['/ipk', OFFICE_2016]);
    const { doc } = json(['/upk', 'd450596f-894d-49e0-966a-fd39ed4c4c64']);
    expect(doc.result.uninstalled).toEqual([{ activationId: 'd450596f-894d-49e0-966a-fd39ed4c4c64', name: 'Office 16, Office16ProPlusVL_KMS_Client edition', partialProductKey: 'WFG99' }]);
    expect(run(['/dli']).stdout).toContain('Partial Product Key: T83GX');
  });

  it('/cpky clears the key from the registry', () => {
    run(['/ipk', PRO]);
    expect(run(['/cpky']).stdout).toBe(slmgrOutput('Product key from registry cleared successfully.'));
  });
});

describe('KMS client settings', () => {
  it('/skms and /ckms', () => {
    expect(run(['/skms', 'kms.contoso.com:1688']).stdout).toBe(slmgrOutput('Key Management Service machine name set to kms.contoso.com:1688 successfully.'));
    expect(json(['/skms', '[fd00::1]:1700']).doc.result).toMatchObject({ kmsMachine: '[fd00::1]', kmsPort: 1700 });
    expect(run(['/ckms']).stdout).toBe(slmgrOutput('Key Management Service machine name cleared successfully.'));
  });

  it('/skms rejects ports 0 and 70000 and keeps the old setting', () => {
    run(['/skms', 'kms.contoso.com:1688']);
    for (const value of ['kms.contoso.com:0', 'kms.contoso.com:70000', 'kms.contoso.com:http', 'bad name']) {
      const r = run(['/skms', value]);
      expect(r.stdout).toBe(slmgrOutput('Error: 0x80070057 The parameter is incorrect'));
      expect(r.status).toBe(2);
    }
    expect(json(['/ckms']).doc.result).toMatchObject({ kmsMachine: null });
  });

  it('/skms-domain and /skms warn about each other', () => {
    run(['/skms-domain', 'contoso.com']);
    expect(run(['/skms', 'kms1.contoso.com']).stdout).toBe(slmgrOutput(
      'Key Management Service machine name set to kms1.contoso.com successfully.',
      'Warning: /skms setting overrides the /skms-domain setting. kms1.contoso.com will be used for activation.',
    ));
    expect(run(['/skms-domain', 'corp.contoso.com']).stdout).toBe(slmgrOutput(
      'Key Management Service lookup domain set to corp.contoso.com successfully.',
      'Warning: /skms setting overrides the /skms-domain setting. kms1.contoso.com:0 will be used for activation.',
    ));
    expect(run(['/ckms']).stdout).toBe(slmgrOutput(
      'Key Management Service machine name cleared successfully.',
      'Warning: /skms-domain setting is in effect. corp.contoso.com will be used for DNS SRV record lookup.',
    ));
    expect(run(['/ckms-domain']).stdout).toBe(slmgrOutput('Key Management Service lookup domain cleared successfully.'));
  });

  it('echoes an unknown Activation ID lower-cased, as slmgr compares it', () => {
    expect(run(['/ckms', PRO_ID.toUpperCase()]).stdout).toBe(slmgrOutput(`Error: Activation ID (${PRO_ID}) not found.`));
  });

  it('/act-type without an Activation ID sets the licensing service, even with no product yet', () => {
    expect(run(['/act-type', '3']).stdout).toBe(slmgrOutput('Volume activation type set successfully.'));
    run(['/ipk', PRO]);
    expect(run(['/dli']).stdout).toContain('Configured Activation Type: Token\n');
    expect(run(['/ato']).stdout).toBe(slmgrOutput('This system is configured for Token-based activation only. Use slmgr.vbs /fta to initiate Token-based activation, or slmgr.vbs /act-type to change the activation type setting.'));
    run(['/act-type', '2', PRO_ID]);
    expect(run(['/dli']).stdout).toContain('Configured Activation Type: KMS\n');
  });

  it('per-product settings need a known Activation ID', () => {
    const r = run(['/skms', 'kms.contoso.com', PRO_ID]);
    expect(r.stdout).toBe(slmgrOutput(`Error: Activation ID (${PRO_ID}) not found.`));
    expect(r.status).toBe(3);
    run(['/ipk', PRO]);
    expect(run(['/skms', 'kms.contoso.com', PRO_ID]).status).toBe(0);
  });

  it('/skhc and /ckhc', () => {
    expect(run(['/skhc']).stdout).toBe(slmgrOutput('KMS host caching is enabled'));
    expect(run(['/ckhc']).stdout).toBe(slmgrOutput('KMS host caching is disabled'));
  });

  it('/act-type sets, rejects out-of-range values softly, and shows in /dli', () => {
    run(['/ipk', PRO]);
    expect(run(['/act-type', '2']).stdout).toBe(slmgrOutput('Volume activation type set successfully.'));
    expect(run(['/dli']).stdout).toContain('Configured Activation Type: KMS\n');
    expect(run(['/act-type', '4'])).toMatchObject({ status: 3, stdout: slmgrOutput('Error: The data is invalid') });
    expect(run(['/act-type']).status).toBe(0);
    expect(run(['/dli']).stdout).toContain('Configured Activation Type: All\n');
  });
});

describe('rearm', () => {
  it('/rearm restarts the grace period and counts down', () => {
    run(['/ipk', PRO]);
    expect(run(['/rearm'], '2026-12-20T12:00:00Z').stdout).toBe(slmgrOutput('Command completed successfully.', 'Please restart the system for the changes to take effect.'));
    const dlv = run(['/dlv'], '2026-12-20T12:00:00Z').stdout;
    expect(dlv).toContain('Time remaining: 43200 minute(s) (30 day(s))');
    expect(dlv).toContain('Remaining Windows rearm count: 1000');
  });

  it('/rearm-sku and /rearm-app', () => {
    run(['/ipk', PRO]);
    run(['/ipk', OFFICE_2016]);
    expect(run(['/rearm-sku', PRO_ID]).stdout).toBe(slmgrOutput('Command completed successfully.'));
    expect(run(['/rearm-sku', '00000000-0000-0000-0000-000000000000']).stdout).toBe(slmgrOutput('Error: product not found.'));
    expect(run(['/rearm-app', '0ff1ce15-a989-479d-af46-f275c6370663']).stdout).toBe(slmgrOutput('Command completed successfully.'));
    expect(run(['/dlv', 'All']).stdout).toContain('Remaining App rearm count: 1000');
  });
});

describe('usage errors', () => {
  it('unknown option: slmgr text, usage, exit 1', () => {
    expect(run(['/foo'])).toEqual({ status: 1, stdout: `Unrecognized option: /foo\n\n${USAGE}\n`, stderr: '' });
  });

  it('missing parameter', () => {
    expect(run(['/ipk'])).toEqual({ status: 1, stdout: `\nError: option ipk needs <Product Key>\n${USAGE}\n`, stderr: '' });
  });

  it('invalid combination', () => {
    expect(run([])).toEqual({ status: 1, stdout: `Invalid combination of command parameters.\n\n${USAGE}\n`, stderr: '' });
    expect(run(['host', 'user', '/dli']).status).toBe(1);
  });

  it('/? prints the usage; slmgr mode keeps slmgr exact answer', () => {
    const help = run(['/?']);
    expect(help.status).toBe(0);
    expect(help.stdout.startsWith(USAGE)).toBe(true);
    expect(slmgr(['-?', '--exit-codes', 'slmgr']).stdout).toBe(`Unrecognized option: -?\n\n${USAGE}\n`);
    expect(run(['--help']).stdout).toContain('--exit-codes posix|slmgr');
  });

  it('usage errors in --json are one JSON document with the message on stderr', () => {
    const r = run(['/nope', '--json']);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: 'usage', message: 'Unrecognized option: /nope' } });
    expect(r.stderr).toBe('Unrecognized option: /nope\n');
  });

  it('a bad option is still answered in JSON when SLMGR_JSON asks for it', () => {
    const r = slmgr(['/dli', '--now', 'soon'], { store: env.store, env: { SLMGR_JSON: '1' } });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: 'usage' } });
  });

  it('rejects dates that do not exist', () => {
    expect(run(['/dli', '--now', '2026-02-30']).stderr).toContain('--now must be an ISO-8601 date');
  });

  it('soft failures in JSON still name the machine', () => {
    expect(JSON.parse(run(['/dli', '--json']).stdout).machine).not.toBeNull();
  });

  it('bad extension option values are usage errors', () => {
    expect(run(['/dli', '--backend', 'carrier-pigeon']).stderr).toContain('--backend must be sim or kms');
    expect(run(['/dli', '--now', 'yesterday']).status).toBe(1);
    expect(slmgr(['/dli'], { store: env.store, env: { SLMGR_EXIT_CODES: 'dos' } }).status).toBe(1);
  });
});

describe('machine names', () => {
  it('reading an unknown lab machine fails as slmgr does for an unreachable computer', () => {
    const r = run(['kms01', '/dli']);
    expect(r.stdout).toBe(slmgrOutput('Error 0x800706BA occurred in connecting to server kms01. The RPC server is unavailable'));
    expect(r.status).toBe(5);
  });

  it('the local machine answers to its aliases', () => {
    run(['/ipk', PRO]);
    expect(run(['localhost', '/dli']).status).toBe(0);
    expect(run(['.', 'user', 'password', '/dli']).status).toBe(0);
  });
});

describe('global options and output channels', () => {
  it('--version', () => {
    expect(run(['--version']).stdout).toMatch(/^slmgr \d+\.\d+\.\d+\n\n$/);
  });

  it('--json output is pure JSON for every switch outcome', () => {
    run(['/ipk', PRO]);
    for (const args of [['/dli'], ['/dlv', 'All'], ['/xpr'], ['/skhc'], ['/upk'], ['/upk'], ['/foo'], ['/ato']]) {
      const r = run([...args, '--json']);
      expect(() => JSON.parse(r.stdout), args.join(' ')).not.toThrow();
      expect(r.stdout).not.toMatch(/\u001b\[/);
    }
  });

  it.each([
    [['/ipk', PRO], 'install-product-key'],
    [['/dli'], 'display'],
    [['/dlv', 'All'], 'display'],
    [['/xpr'], 'expiration'],
    [['/skms', 'kms.contoso.com'], 'kms-client-setting'],
    [['/ckms'], 'kms-client-setting'],
    [['/skms-domain', 'contoso.com'], 'kms-client-setting'],
    [['/ckms-domain'], 'kms-client-setting'],
    [['/skhc'], 'kms-host-caching'],
    [['/ckhc'], 'kms-host-caching'],
    [['/act-type', '2'], 'activation-type'],
    [['/rearm'], 'rearm'],
    [['/rearm-app', '55c92734-d682-4d71-983e-d6ec3f16059f'], 'rearm'],
    [['/rearm-sku', PRO_ID], 'rearm'],
    [['/cpky'], 'clear-product-key-from-registry'],
    [['/upk'], 'uninstall-product-key'],
  ])('%j --json succeeds with a %s result and nothing on stderr', (args, kind) => {
    run(['/ipk', PRO]);
    const r = run([...args, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ schema: 'slmgr/v1', command: args[0]!.slice(1), ok: true, exitCode: 0, error: null, result: { kind } });
  });

  it('SLMGR_JSON=1 works like --json', () => {
    expect(() => JSON.parse(slmgr(['/dli'], { store: env.store, env: { SLMGR_JSON: '1' } }).stdout)).not.toThrow();
  });

  it('colour only when forced, never with NO_COLOR', () => {
    run(['/ipk', PRO]);
    expect(slmgr(['/dli'], { store: env.store, env: { FORCE_COLOR: '1' } }).stdout).toMatch(/\u001b\[/);
    expect(slmgr(['/dli'], { store: env.store, env: { FORCE_COLOR: '1', NO_COLOR: '1' } }).stdout).not.toMatch(/\u001b\[/);
    expect(slmgr(['/dli', '--no-color'], { store: env.store, env: { FORCE_COLOR: '1' } }).stdout).not.toMatch(/\u001b\[/);
    expect(slmgr(['/dli'], { store: env.store, env: { NO_COLOR: '1' } }).stdout).not.toMatch(/\u001b\[/);
  });

  // util-linux `script` gives the bin a real terminal, so colour is decided the way users see it.
  it.runIf(process.platform === 'linux' && existsSync('/usr/bin/script'))('colours a real terminal by default, and not with NO_COLOR', () => {
    run(['/ipk', PRO]);
    const inTerminal = (extraEnv: Record<string, string>) => {
      const childEnv: Record<string, string | undefined> = { ...process.env, SLMGR_STORE: env.store, SLMGR_NOW: NOW, ...extraEnv };
      delete childEnv.FORCE_COLOR;
      if (!('NO_COLOR' in extraEnv)) delete childEnv.NO_COLOR;
      return spawnSync('script', ['-qec', `${process.execPath} ${BIN} /dli`, '/dev/null'], { env: childEnv as NodeJS.ProcessEnv, encoding: 'utf8' }).stdout;
    };
    expect(inTerminal({})).toMatch(/\u001b\[33mLicense Status: Initial grace period/);
    expect(inTerminal({ NO_COLOR: '1' })).not.toMatch(/\u001b\[/);
  });

  it('creates the store with mode 0600', () => {
    run(['/dli']);
    if (process.platform !== 'win32') expect(statSync(env.store).mode & 0o777).toBe(0o600);
  });
});
