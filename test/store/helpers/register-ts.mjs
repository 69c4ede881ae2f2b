// `node --import ./register-ts.mjs child.ts` runs a TypeScript child process straight from the
// sources: Node 20 cannot strip types itself, and the tests must not depend on a prior build.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
