import { describe, expect, it } from 'vitest';
import { EXTENSION_FLAGS, parseCommandLine } from '../../src/cli/argv.js';
import { findSwitch, SWITCHES } from '../../src/cli/switches.js';

function invocation(argv: string[]) {
  return parseCommandLine(argv).invocation;
}

describe('slmgr argument rules', () => {
  it.each([
    [['/ipk', 'W269N-WFGWX-YVC9B-4J6C9-T83GX'], 'ipk', ['W269N-WFGWX-YVC9B-4J6C9-T83GX']],
    [['-IPK', 'W269N-WFGWX-YVC9B-4J6C9-T83GX'], 'ipk', ['W269N-WFGWX-YVC9B-4J6C9-T83GX']],
    [['/Dlv'], 'dlv', []],
    [['-dli', 'All'], 'dli', ['All']],
    [['/skms', 'kms.contoso.com:1688', '2de67392-b7a7-462a-b1ca-108dd189f588'], 'skms', ['kms.contoso.com:1688', '2de67392-b7a7-462a-b1ca-108dd189f588']],
    [['/SKMS-DOMAIN', 'contoso.com'], 'skms-domain', ['contoso.com']],
    [['/act-type'], 'act-type', []],
    // Surplus arguments are ignored, as slmgr ignores them.
    [['/dli', 'All', 'extra', 'more'], 'dli', ['All']],
    [['/cpky', 'ignored'], 'cpky', []],
  ])('%j runs %s with %j', (argv, name, args) => {
    const inv = invocation(argv);
    expect(inv.kind).toBe('switch');
    if (inv.kind !== 'switch') return;
    expect(inv.spec.name).toBe(name);
    expect(inv.args).toEqual(args);
    expect(inv.machine).toBeUndefined();
  });

  it('takes machine, user and password before the option', () => {
    const inv = invocation(['host', 'user', 'pass', '/dlv']);
    expect(inv).toMatchObject({ kind: 'switch', machine: 'host', user: 'user', password: 'pass', args: [] });
    expect(invocation(['kms01', '/ato'])).toMatchObject({ kind: 'switch', machine: 'kms01' });
    expect(invocation(['kms01', '/ato'])).not.toHaveProperty('user');
  });

  it.each([
    [[]],
    [['host']],
    [['host', 'user', '/dli']],
    [['a', 'b', 'c', 'd', '/dli']],
    [['just', 'words', 'no', 'option']],
  ])('%j is an invalid combination', (argv) => {
    expect(invocation(argv)).toEqual({ kind: 'invalid-combination' });
  });

  it.each([['/xyz'], ['--dlv'], ['/ipk2'], ['-'], ['/']])('%s is unrecognised, echoed as typed', (token) => {
    expect(invocation([token])).toEqual({ kind: 'unrecognized', token });
  });

  it('reports the first missing parameter with slmgr text', () => {
    for (const spec of SWITCHES.filter((s) => s.required.length > 0)) {
      const inv = invocation([`/${spec.name}`]);
      expect(inv).toMatchObject({ kind: 'missing-parameter', param: spec.required[0] });
    }
    expect(invocation(['/ril', 'onlyone'])).toMatchObject({ kind: 'missing-parameter', param: '<ILID> <ILvID>' });
    expect(invocation(['/ad-activation-apply-cid', 'KEY'])).toMatchObject({ kind: 'missing-parameter', param: '<Confirmation ID>' });
  });

  it.each([['/?'], ['-?']])('%s asks for help', (token) => {
    expect(invocation([token])).toEqual({ kind: 'help', token });
  });

  it.each([
    ['C:/Program Files/Git/ipk', 'ipk'],
    ['C:/Program Files/Git/DLV', 'dlv'],
    ['D:/tools/Git/skms-domain', 'skms-domain'],
    ['C:\\Program Files\\Git\\xpr', 'xpr'],
  ])('recognises the Git Bash rewrite %s', (token, name) => {
    const inv = invocation([token, 'arg']);
    expect(inv.kind).toBe('switch');
    if (inv.kind === 'switch') expect(inv.spec.name).toBe(name);
  });

  it('does not take an unrelated Windows path for a switch', () => {
    expect(invocation(['C:/Program Files/Git/notaswitch']).kind).toBe('invalid-combination');
  });
});

describe('extension options', () => {
  it('are taken out wherever they stand', () => {
    const parsed = parseCommandLine(['--json', '/dli', '--store', '/tmp/s.db', 'All', '--now=2026-01-01T00:00:00Z', '--no-color', '--exit-codes', 'slmgr']);
    expect(parsed.flags).toEqual({ json: true, store: '/tmp/s.db', now: '2026-01-01T00:00:00Z', color: false, exitCodes: 'slmgr' });
    expect(parsed.invocation).toMatchObject({ kind: 'switch', args: ['All'] });
  });

  it('report a missing value', () => {
    expect(parseCommandLine(['/dli', '--store']).flagErrors).toEqual(['option --store needs a value']);
    expect(parseCommandLine(['--json=1', '/dli']).flagErrors).toEqual(['option --json does not take a value']);
  });

  it('pass everything after -- to slmgr unchanged', () => {
    expect(parseCommandLine(['--', '--json']).invocation).toEqual({ kind: 'unrecognized', token: '--json' });
  });

  it('leave --domain to lab clients, where it names the new clients\' domain', () => {
    const lab = parseCommandLine(['lab', 'clients', '--count', '3', '--domain', 'branch.test', '--key', 'K']);
    expect(lab.flags.domain).toBeUndefined();
    expect(lab.invocation).toMatchObject({ kind: 'extension', name: 'lab', args: ['clients', '--count', '3', '--key', 'K', '--domain', 'branch.test'] });
    expect(parseCommandLine(['check', '--domain', 'corp.test']).flags.domain).toBe('corp.test');
  });

  it('can never be mistaken for an slmgr switch', () => {
    for (const flag of EXTENSION_FLAGS) expect(findSwitch(flag.slice(1))).toBeUndefined();
  });
});
