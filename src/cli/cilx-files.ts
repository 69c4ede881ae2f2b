// The files of `slmgr lab export-cilx` and `import-cilx`: the CLI layer does the file I/O, the
// lab commands only build and read the text (src/commands/cilx.ts).

import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { readFilePrefix } from './file-access.js';

export function readCilxFile(file: string, maxBytes: number): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFilePrefix(file, maxBytes + 1);
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (bytes.length > maxBytes) throw new UsageError(`${file} is larger than ${maxBytes} bytes, the .cilx limit`);
  return bytes;
}

/** Written next to the target and renamed over it, so a failure leaves no partial file behind. */
export function writeCilxFile(file: string, xml: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, xml, { encoding: 'utf8', flag: 'wx' });
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new UsageError(`cannot write ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
