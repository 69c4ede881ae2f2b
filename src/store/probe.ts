import fs from 'node:fs';
import { errnoCode, foreignDatabase, fromFs, newerSchema, notAFile, storeError } from './store-errors.js';
import { APPLICATION_ID } from './schema.js';


const HEADER_BYTES = 108; // the 100-byte database header plus page 1's b-tree page header
const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const LEAF_TABLE_PAGE = 0x0d;

/**
 * Judges the file at the store path from its first bytes with plain fs reads, and throws a
 * StoreError for anything that must be left alone. SQLite is not let near a file before this
 * passes: even a read through SQLite can create -wal/-shm files, or checkpoint another
 * program's WAL into its database. Passes are an slmgr store of a known version, or a blank
 * file (zero bytes, or an SQLite database without application id, user_version or schema).
 */
export function probeStoreFile(storePath: string, latestVersion: number): 'missing' | 'present' {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(storePath);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 'missing';
    throw fromFs(storePath, error, 'unreadable');
  }
  if (stat.isDirectory()) throw notAFile(storePath);
  // A FIFO or a device would block or misbehave on read, and is never a database.
  if (!stat.isFile()) throw storeError('not-a-file', storePath, 'is not a regular file');

  const siblingsBefore = hasJournal(storePath);
  const { header, size } = readHeader(storePath);
  // Nothing to read: a blank file, or one that a concurrent slmgr has just created and is
  // initialising under SQLite's locks, which the open that follows respects.
  if (header.length === 0) return 'present';
  if (header.length < HEADER_BYTES || !header.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw storeError('corrupt', storePath, 'is not an SQLite database');
  }

  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  const readVersion = header.readUInt8(19); // 1: rollback journal, 2: WAL
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0 || (readVersion !== 1 && readVersion !== 2)) {
    throw storeError('corrupt', storePath, 'has a damaged SQLite header');
  }
  const userVersion = header.readInt32BE(60);
  const applicationId = header.readInt32BE(68);

  if (applicationId !== APPLICATION_ID) {
    const schemaEmpty = header.readUInt8(100) === LEAF_TABLE_PAGE && header.readUInt16BE(103) === 0;
    // slmgr only ever switches a file to WAL after stamping its application id, so an
    // unstamped WAL file was made by someone else.
    if (applicationId !== 0 || userVersion !== 0 || readVersion === 2 || !schemaEmpty) {
      throw foreignDatabase(storePath);
    }
  } else if (userVersion > latestVersion) {
    throw newerSchema(storePath, userVersion, latestVersion);
  } else if (userVersion < 0) {
    throw storeError('corrupt', storePath, `has an invalid schema version (${userVersion})`);
  }

  // While a journal or WAL exists, a writer or checkpointer may be growing the file behind a
  // header that already counts the new pages; SQLite itself judges those cases after opening.
  if (!siblingsBefore && !hasJournal(storePath)) {
    const changeCounter = header.readUInt32BE(24);
    const pageCount = header.readUInt32BE(28);
    const countValid = pageCount !== 0 && header.readUInt32BE(92) === changeCounter;
    if (size % pageSize !== 0 || (countValid && pageCount * pageSize > size)) {
      throw storeError('corrupt', storePath, `is truncated (${size} bytes, not the whole database)`);
    }
  }

  return 'present';
}

function readHeader(storePath: string): { header: Buffer; size: number } {
  let fd: number;
  try {
    fd = fs.openSync(storePath, 'r');
  } catch (error) {
    throw fromFs(storePath, error, 'unreadable');
  }
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    const bytesRead = fs.readSync(fd, header, 0, HEADER_BYTES, 0);
    return { header: header.subarray(0, bytesRead), size: fs.fstatSync(fd).size };
  } catch (error) {
    throw fromFs(storePath, error, 'unreadable');
  } finally {
    fs.closeSync(fd);
  }
}

function hasJournal(storePath: string): boolean {
  return fs.existsSync(`${storePath}-wal`) || fs.existsSync(`${storePath}-journal`);
}
