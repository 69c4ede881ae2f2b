// Loaded into every Node process through NODE_OPTIONS=--import=… while the secrets test reruns the
// end-to-end suite. In a process that runs the slmgr bin, and only there, it copies everything
// written to stdout and stderr into RELIABILITY_CAPTURE_DIR (one file per process and stream), so the
// test can scan all the output the suite produced for product keys. Anywhere else it does nothing.
// (Not an SLMGR_* variable: the end-to-end helpers clear those before they spawn the bin.)

import { appendFileSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = process.env.RELIABILITY_CAPTURE_DIR;
const bin = fileURLToPath(new URL('../../../bin/slmgr.js', import.meta.url));

function isBin(script) {
  try {
    return script !== undefined && realpathSync(script) === realpathSync(bin);
  } catch {
    return false;
  }
}

if (dir && isBin(process.argv[1])) {
  mkdirSync(dir, { recursive: true });
  const id = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  // The command line is kept apart from the output: it holds keys the test gave on purpose.
  writeFileSync(join(dir, `${id}.argv.json`), JSON.stringify(process.argv.slice(2)));
  for (const name of ['stdout', 'stderr']) {
    const stream = process[name];
    const write = stream.write.bind(stream);
    const file = join(dir, `${id}.${name}`);
    stream.write = (chunk, encoding, callback) => {
      try {
        appendFileSync(file, typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk);
      } catch {
        // Capturing must never change what the command does.
      }
      return write(chunk, encoding, callback);
    };
  }
}
