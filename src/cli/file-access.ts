// The CLI's file reads for commands (/ilc): bounded, so a huge or endless file (a FIFO, /dev/zero)
// costs at most `limit` bytes. Relative paths resolve against the working directory.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Reads at most `limit` bytes from the start of a file. Throws the file system's error. */
export function readFilePrefix(path: string, limit: number): Uint8Array {
  if (path === '') throw Object.assign(new Error('empty path'), { code: 'ENOENT' });
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw Object.assign(new Error(`${path} is a directory`), { code: 'EISDIR' });
    const buffer = Buffer.alloc(Math.max(0, stat.isFile() ? Math.min(limit, stat.size) : limit));
    let filled = 0;
    while (filled < buffer.length) {
      const read = readSync(fd, buffer, filled, buffer.length - filled, null);
      if (read === 0) break;
      filled += read;
    }
    return buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}
