import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The reliability suite runs on its own: npm run test:reliability (vitest.reliability.config.ts).
    exclude: ['**/node_modules/**', 'test/reliability/**'],
    // Dates in slmgr's layouts are local time; pin the zone so expected strings hold everywhere.
    env: { TZ: 'UTC' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
