import { defineConfig } from 'vitest/config';

// The reliability and security suite (docs/reliability.md): `npm run test:reliability`. Its files
// run one after another, since each one loads both cores by itself (and the load test measures
// waiting times); tests inside a file may still run processes in parallel.
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    env: { TZ: 'UTC' },
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The network fuzzer measures the heap after a garbage collection.
    execArgv: ['--expose-gc'],
  },
});
