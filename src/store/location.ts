import path from 'node:path';
import { StoreError } from '../errors.js';

export interface StoreLocationInput {
  /** The value of `--store PATH`, when given. */
  flag?: string | undefined;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  homedir: string;
}

/**
 * Where the store lives: `--store` > `SLMGR_STORE` > the platform's user state directory.
 * Pure (no cwd, no fs), so every platform's rule can be tested on any platform: paths are joined
 * with the separator of `platform`, and relative `--store`/`SLMGR_STORE` values are returned as
 * given (Store.open resolves them against the working directory).
 */
export function resolveStorePath(input: StoreLocationInput): string {
  const { flag, env, platform, homedir } = input;
  if (flag !== undefined) {
    if (flag === '') throw invalid('the --store option needs a file path');
    return flag;
  }
  // An empty variable counts as unset, as shells make it easy to export one by accident.
  const fromEnv = env['SLMGR_STORE'];
  if (fromEnv) return fromEnv;

  if (platform === 'win32') {
    const localAppData = env['LOCALAPPDATA'];
    if (localAppData && path.win32.isAbsolute(localAppData)) {
      return path.win32.join(localAppData, 'slmgr', 'store.db');
    }
    return path.win32.join(requireHome(homedir), 'AppData', 'Local', 'slmgr', 'store.db');
  }
  if (platform === 'darwin') {
    return path.posix.join(requireHome(homedir), 'Library', 'Application Support', 'slmgr', 'store.db');
  }
  // Linux and the other Unix-likes follow the XDG Base Directory spec, which says a relative
  // XDG_STATE_HOME is invalid and must be ignored.
  const xdgState = env['XDG_STATE_HOME'];
  if (xdgState && path.posix.isAbsolute(xdgState)) {
    return path.posix.join(xdgState, 'slmgr', 'store.db');
  }
  return path.posix.join(requireHome(homedir), '.local', 'state', 'slmgr', 'store.db');
}

function requireHome(homedir: string): string {
  if (homedir === '') {
    throw invalid('the home directory is unknown, so the default store location cannot be used');
  }
  return homedir;
}

function invalid(why: string): StoreError {
  return new StoreError('invalid-path', '', `Cannot locate the slmgr store: ${why}. Give a file path with --store PATH or SLMGR_STORE.`);
}
