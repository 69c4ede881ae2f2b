// The store seen from outside: parallel processes, and stores that must never be touched.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, slmgr, tempDir } from './helpers.js';

// Eight Office 2019 products, so every process owns one and every command must succeed.
const OFFICE_2019 = [
  ['NMMKJ-6RK4F-KMJVX-8D9MJ-6MWKP', '85dd8b5f-eaa4-4af3-a628-cce9e77c9a03'],
  ['6NWWJ-YQWMR-QKGCB-6TMB3-9D9HK', '6912a74b-a5fb-401a-bfdb-2e3ab46f4b02'],
  ['B4NPR-3FKK7-T2MBV-FRQ4W-PKD2B', '2ca2bf3f-949e-446a-82c7-e25a15ec78c4'],
  ['C4F7P-NCP8C-6CQPT-MQHV9-JXD2M', '1777f0e3-7392-4198-97ea-8ae4de6f6381'],
  ['9BGNQ-K37YR-RQHF2-38RQ3-7VCBB', '5b5cf08f-b81a-431d-b080-3450d8620565'],
  ['7TQNQ-K3YQQ-3PFH7-CCPPM-X4VQ2', 'e06d7df3-aad0-419d-8dfb-0ac37e2bdf39'],
  ['9N9PT-27V4Y-VJ2PD-YXFMF-YTFQT', '9e9bceeb-e736-4f26-88de-763f87dcc485'],
  ['TMJWT-YYNMB-3BKTF-644FC-RVXBD', '237854e9-79fc-4497-a0c1-a70969691c6b'],
] as const;
const CYCLES = 25;

let env: ReturnType<typeof tempDir>;
beforeEach(() => {
  env = tempDir();
});
afterEach(() => env.cleanup());

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** One worker process: CYCLES × (/ipk its key, /upk its product), recording every exit status. */
function worker(key: string, activationId: string, store: string): Promise<number[]> {
  const script = `
    const { spawnSync } = require('node:child_process');
    const statuses = [];
    for (let i = 0; i < ${CYCLES}; i++) {
      for (const args of [['/ipk', ${JSON.stringify(key)}], ['/upk', ${JSON.stringify(activationId)}]]) {
        const r = spawnSync(process.execPath, [${JSON.stringify(BIN)}, ...args], { encoding: 'utf8' });
        statuses.push(r.status);
        if (r.status !== 0) process.stderr.write(args.join(' ') + ' -> ' + r.status + ' ' + r.stdout + r.stderr);
      }
    }
    process.stdout.write(JSON.stringify(statuses));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, SLMGR_STORE: store, SLMGR_JSON: '' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(JSON.parse(out) as number[]));
  });
}

describe('parallel processes', () => {
  it(`8 processes × ${CYCLES} /ipk + /upk cycles end in a consistent store`, async () => {
    const results = await Promise.all(OFFICE_2019.map(([key, id]) => worker(key, id, env.store)));
    for (const statuses of results) {
      expect(statuses).toHaveLength(CYCLES * 2);
      expect(statuses.every((s) => s === 0)).toBe(true);
    }
    const db = new Database(env.store, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const products = db.prepare('SELECT * FROM products').all() as Record<string, unknown>[];
      expect(products).toHaveLength(8);
      expect(products.every((p) => p.partial_key === null)).toBe(true);
      expect((db.prepare('SELECT COUNT(*) AS n FROM machines').get() as { n: number }).n).toBe(1);
    } finally {
      db.close();
    }
  }, 240_000);
});

describe('stores that must not be touched', () => {
  function expectUntouched(setup: () => void, reason: string) {
    setup();
    const before = sha256(env.store);
    for (const args of [['/dli'], ['/ipk', 'W269N-WFGWX-YVC9B-4J6C9-T83GX']]) {
      const r = slmgr(args, { store: env.store });
      expect(r.status).toBe(4);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(env.store);
      const j = slmgr([...args, '--json'], { store: env.store });
      expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, exitCode: 4, error: { kind: 'store', reason } });
    }
    expect(sha256(env.store)).toBe(before);
    expect(existsSync(`${env.store}-wal`)).toBe(false);
    expect(existsSync(`${env.store}-shm`)).toBe(false);
  }

  it('a file that is not a database', () => {
    expectUntouched(() => writeFileSync(env.store, Buffer.from('this is not SQLite, it is a shopping list\n'.repeat(200))), 'corrupt');
  });

  it('a truncated store', () => {
    expectUntouched(() => {
      slmgr(['/ipk', 'W269N-WFGWX-YVC9B-4J6C9-T83GX'], { store: env.store });
      const bytes = readFileSync(env.store);
      writeFileSync(env.store, bytes.subarray(0, Math.floor(bytes.length / 2)));
    }, 'corrupt');
  });

  it('a store written by a newer slmgr', () => {
    expectUntouched(() => {
      slmgr(['/dli'], { store: env.store });
      const db = new Database(env.store);
      db.pragma('user_version = 999');
      db.pragma('journal_mode = DELETE');
      db.close();
    }, 'newer-schema');
  });

  it('a directory where the store should be', () => {
    mkdirSync(env.store);
    const r = slmgr(['/dli'], { store: env.store });
    expect(r.status).toBe(4);
    expect(JSON.parse(slmgr(['/dli', '--json'], { store: env.store }).stdout).error.reason).toBe('not-a-file');
  });
});
