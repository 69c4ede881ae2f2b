// The CLI runner in-process: output channels and line endings without spawning.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run, type CliEnvironment } from '../../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function runIn(argv: string[], platform: NodeJS.Platform = 'linux') {
  const dir = mkdtempSync(join(tmpdir(), 'slmgr-run-'));
  dirs.push(dir);
  let stdout = '';
  let stderr = '';
  const io: CliEnvironment = {
    argv,
    env: { SLMGR_STORE: join(dir, 'store.db'), SLMGR_NOW: '2026-11-25T12:00:00Z' },
    platform,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    hostname: 'pc01',
    homedir: dir,
  };
  const status = await run(io);
  return { status, stdout, stderr };
}

describe('run()', () => {
  it('ends lines with CRLF on Windows, as slmgr does', async () => {
    const r = await runIn(['/ipk', 'W269N-WFGWX-YVC9B-4J6C9-T83GX'], 'win32');
    expect(r.stdout).toBe('Installed product key W269N-WFGWX-YVC9B-4J6C9-T83GX successfully.\r\n\r\n');
  });

  it('ends lines with LF elsewhere', async () => {
    const r = await runIn(['/skhc']);
    expect(r.stdout).toBe('KMS host caching is enabled\n\n');
  });

  it('names the machine it acted on in JSON', async () => {
    const r = await runIn(['/ckhc', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ machine: 'pc01', ok: true, result: { kind: 'kms-host-caching', enabled: false } });
  });

  it('never throws: an invalid clock is a usage error', async () => {
    const r = await runIn(['/dli', '--now', '2026-13-45']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--now must be an ISO-8601 date');
  });
});
