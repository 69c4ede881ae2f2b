// Bundles the CLI for the bin: one entry file plus a chunk per lazily loaded part (each command
// family, the store, the message tables), so a command loads a handful of files instead of every
// module it touches. The library (dist/index.js) stays tsc's one-file-per-module output.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // Runtime dependencies stay in node_modules, where npm installed (and for SQLite, compiled) them.
  packages: 'external',
  logLevel: 'warning',
});
