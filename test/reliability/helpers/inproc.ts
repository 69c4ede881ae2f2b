// The CLI's run() in this process, with every input from outside given explicitly: fast enough to
// build base stores and to run thousands of fuzz cases.

import { run, type CliEnvironment, type KmsInputs } from '../../../src/cli/main.js';

export interface InProcessResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface InProcessOptions {
  env?: Record<string, string | undefined>;
  homedir?: string;
  hostname?: string;
  kmsInputs?: KmsInputs;
  platform?: NodeJS.Platform;
}

export async function runCli(argv: readonly string[], options: InProcessOptions = {}): Promise<InProcessResult> {
  let stdout = '';
  let stderr = '';
  const io: CliEnvironment = {
    argv,
    env: { TZ: 'UTC', ...options.env } as NodeJS.ProcessEnv,
    platform: options.platform ?? 'linux',
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    hostname: options.hostname ?? 'relhost',
    homedir: options.homedir ?? '/nonexistent',
    dnsSuffix: null,
    ...(options.kmsInputs ? { kmsInputs: options.kmsInputs } : {}),
  };
  const status = await run(io);
  return { status, stdout, stderr };
}

/** Runs commands against one store with a fixed clock; throws when one fails unexpectedly. */
export async function script(store: string, now: string, commands: ReadonlyArray<readonly string[]>, allowed: readonly number[] = [0, 2]): Promise<void> {
  for (const argv of commands) {
    const r = await runCli(argv, { env: { SLMGR_STORE: store, SLMGR_NOW: now } });
    if (!allowed.includes(r.status)) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`);
  }
}
