import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SWITCHES, usageLines } from '../../src/cli/switches.js';
import { loadCommand } from '../../src/commands/index.js';

describe('usage text', () => {
  it('is byte-for-byte the usage slmgr.vbs prints (reference §1.4)', () => {
    const expected = readFileSync(new URL('../../fixtures/expected/usage.txt', import.meta.url), 'utf8').replace(/\r\n/g, '\n');
    expect(usageLines().join('\n')).toBe(expected.replace(/\n$/, ''));
  });
});

describe('switch table', () => {
  it('gives every switch of slmgr\'s usage an implementation', async () => {
    for (const spec of SWITCHES) expect(await loadCommand(spec.name), spec.name).toBeTypeOf('function');
  });

  it('has unique names', () => {
    expect(new Set(SWITCHES.map((s) => s.name)).size).toBe(SWITCHES.length);
  });
});
