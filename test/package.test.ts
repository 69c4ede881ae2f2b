// What users install: the packed file list and the published package.json.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('npm package', () => {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const [pack] = JSON.parse(execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' })) as [
    { files: { path: string }[] },
  ];
  const files = pack.files.map((f) => f.path);

  it('ships the bin, the built code, the docs and nothing of the tests or sources', () => {
    expect(files).toEqual(expect.arrayContaining(['bin/slmgr.js', 'dist/bundle/main.js', 'dist/cli/main.js', 'dist/index.js', 'package.json', 'README.md', 'LICENSE', 'docs/exit-codes.md']));
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('src/') || f.endsWith('.db'))).toEqual([]);
  });

  it('declares both bin names and pins its runtime dependencies', async () => {
    const pkg = (await import('../package.json', { with: { type: 'json' } })).default as Record<string, any>;
    expect(pkg.bin).toEqual({ slmgr: 'bin/slmgr.js', 'slmgr-node': 'bin/slmgr.js' });
    expect(pkg.type).toBe('module');
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['better-sqlite3', 'chalk', 'commander', 'dns-packet', 'fast-xml-parser', 'ora']);
    for (const version of Object.values({ ...pkg.dependencies, ...pkg.devDependencies })) expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
