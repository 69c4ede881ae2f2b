import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** `node --import` arguments that let a child process run the TypeScript helpers directly. */
export const TS_CHILD_ARGS = ['--import', new URL('./register-ts.mjs', import.meta.url).href];

export const helperPath = (name: string): string => fileURLToPath(new URL(name, import.meta.url));

const NOBODY = 65534;

export interface OpenOutcome {
  ok?: true;
  name?: string;
  reason?: string;
  message?: string;
}

/** Store.open(storePath) in a child process running as the unprivileged user `nobody`. */
export function openAsNobody(storePath: string): OpenOutcome {
  const result = spawnSync(process.execPath, [...TS_CHILD_ARGS, helperPath('./open-store.ts'), storePath], {
    uid: NOBODY,
    gid: NOBODY,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`open-store.ts failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as OpenOutcome;
}

/** Whether `nobody` can run the helpers from this checkout and reach `dir` (root only). */
export function nobodyCanReach(dir: string): boolean {
  const probe = `require('fs').accessSync(${JSON.stringify(helperPath('./open-store.ts'))}); require('fs').accessSync(${JSON.stringify(dir)}, 1)`;
  return spawnSync(process.execPath, ['-e', probe], { uid: NOBODY, gid: NOBODY }).status === 0;
}
