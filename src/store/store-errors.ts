import path from 'node:path';
import { Database } from './sqlite.js';
import { StoreError } from '../errors.js';

type Reason = StoreError['reason'];

// What the user can do about each reason; the CLI prints the message as it is.
const ADVICE: Record<Reason, string> = {
  corrupt:
    'It was left untouched. Restore it from a backup, or move it aside to start a new store there, ' +
    'or use another store with --store PATH or SLMGR_STORE.',
  'newer-schema':
    'It was left untouched. Upgrade slmgr, or use another store with --store PATH or SLMGR_STORE.',
  'not-a-file': 'It was left untouched. Point --store PATH or SLMGR_STORE at a file.',
  unreadable:
    'Give your user read and write access to it (chmod 600), or use another store with --store PATH or SLMGR_STORE.',
  unwritable:
    'Give your user write access to the file and its directory, free some disk space, ' +
    'or use another store with --store PATH or SLMGR_STORE.',
  busy: 'Another slmgr process is using it; try again when that command has finished.',
  'invalid-path': 'Give a usable file path with --store PATH or SLMGR_STORE.',
};

/** A StoreError whose message names the path, the problem and what to do. */
export function storeError(reason: Reason, storePath: string, problem: string, cause?: unknown): StoreError {
  return new StoreError(
    reason,
    storePath,
    `The slmgr store ${storePath} ${problem}. ${ADVICE[reason]}`,
    cause === undefined ? undefined : { cause },
  );
}

export function errnoCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** Maps a failed fs call on the store path; `fallback` is the reason when it is about access. */
export function fromFs(storePath: string, error: unknown, fallback: 'unreadable' | 'unwritable'): StoreError {
  const code = errnoCode(error);
  switch (code) {
    case 'EISDIR':
      return notAFile(storePath, error);
    case 'ENOTDIR':
    case 'EEXIST': // mkdir: a component of the directory path is a file
    case 'ELOOP':
    case 'ENAMETOOLONG':
      return storeError('invalid-path', storePath, 'is not a usable path: a part of it is not a directory', error);
    default: {
      const verb = fallback === 'unreadable' ? 'read' : 'created';
      const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : error instanceof Error ? error.message : String(error);
      return storeError(fallback, storePath, `cannot be ${verb}: ${why}`, error);
    }
  }
}

export function foreignDatabase(storePath: string): StoreError {
  return storeError('corrupt', storePath, 'is an SQLite database of another application, not an slmgr store');
}

export function newerSchema(storePath: string, version: number, latest: number): StoreError {
  return storeError('newer-schema', storePath, `has schema version ${version}, but this slmgr only knows versions up to ${latest}`);
}

export function notAFile(storePath: string, cause?: unknown): StoreError {
  const suggestion = path.join(storePath, 'store.db');
  return storeError('not-a-file', storePath, `is a directory, not a file (did you mean ${suggestion}?)`, cause);
}

/**
 * The StoreError for an SQLite failure that is about the file or its locks rather than about
 * the caller's SQL or data (constraint violations and the like come back undefined).
 */
export function fromSqlite(error: unknown, storePath: string, busyTimeoutMs: number): StoreError | undefined {
  if (!(error instanceof Database.SqliteError)) return undefined;
  const primary = error.code.split('_', 2).join('_');
  switch (primary) {
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return storeError('busy', storePath, `is locked by another process (waited ${busyTimeoutMs} ms)`, error);
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      return storeError('corrupt', storePath, `is damaged (${error.message})`, error);
    case 'SQLITE_IOERR':
      return error.code === 'SQLITE_IOERR_READ' || error.code === 'SQLITE_IOERR_SHORT_READ'
        ? storeError('unreadable', storePath, `cannot be read (${error.message})`, error)
        : storeError('unwritable', storePath, `cannot be written (${error.message})`, error);
    // The file was readable when probed, so failing to open now means the -wal/-shm files or
    // the file itself cannot be written.
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_READONLY':
    case 'SQLITE_PERM':
    case 'SQLITE_FULL':
      return storeError('unwritable', storePath, `cannot be written (${error.message})`, error);
    default:
      return undefined;
  }
}
