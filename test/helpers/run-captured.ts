// The CLI's entry point in-process, with stdout and stderr captured: what the end-to-end tests
// that need to pass inputs through the CLI's context (a clock, recorded KMS inputs, Ctrl-C) use
// instead of spawning the bin.
import { createServer } from 'node:net';
import { run, type CliEnvironment } from '../../src/cli/main.js';

export interface CapturedRun {
  status: number;
  stdout: string;
  stderr: string;
}

export type CapturedEnvironment = Omit<CliEnvironment, 'stdout' | 'stderr' | 'platform'> & {
  platform?: NodeJS.Platform;
  /** Pretend stderr is a terminal (where a spinner could appear). */
  stderrIsTTY?: boolean;
};

export async function runCaptured({ stderrIsTTY, platform = 'linux', ...io }: CapturedEnvironment): Promise<CapturedRun> {
  let stdout = '';
  let stderr = '';
  const status = await run({
    ...io,
    platform,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), ...(stderrIsTTY ? { isTTY: true } : {}) },
  });
  return { status, stdout, stderr };
}

/** A loopback port nothing listens on: bound once, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
