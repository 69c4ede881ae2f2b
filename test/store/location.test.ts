import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { resolveStorePath, type StoreLocationInput } from '../../src/store/location.js';
import { caught } from './helpers/fixtures.js';

const linuxHome = '/home/ada';
const macHome = '/Users/ada';
const winHome = 'C:\\Users\\ada';

const cases: Array<[string, StoreLocationInput, string]> = [
  ['--store wins over everything', { flag: '/tmp/s.db', env: { SLMGR_STORE: '/env.db', XDG_STATE_HOME: '/xdg' }, platform: 'linux', homedir: linuxHome }, '/tmp/s.db'],
  ['--store may be relative (resolved at open)', { flag: 'lab/store.db', env: {}, platform: 'linux', homedir: linuxHome }, 'lab/store.db'],
  ['SLMGR_STORE wins over the platform default', { env: { SLMGR_STORE: '/srv/slmgr.db', XDG_STATE_HOME: '/xdg' }, platform: 'linux', homedir: linuxHome }, '/srv/slmgr.db'],
  ['SLMGR_STORE wins on Windows', { env: { SLMGR_STORE: 'D:\\ci\\store.db', LOCALAPPDATA: 'C:\\x' }, platform: 'win32', homedir: winHome }, 'D:\\ci\\store.db'],
  ['an empty SLMGR_STORE counts as unset', { env: { SLMGR_STORE: '' }, platform: 'linux', homedir: linuxHome }, '/home/ada/.local/state/slmgr/store.db'],
  ['Linux uses XDG_STATE_HOME', { env: { XDG_STATE_HOME: '/var/lib/ada-state' }, platform: 'linux', homedir: linuxHome }, '/var/lib/ada-state/slmgr/store.db'],
  ['Linux falls back to ~/.local/state', { env: {}, platform: 'linux', homedir: linuxHome }, '/home/ada/.local/state/slmgr/store.db'],
  ['a relative XDG_STATE_HOME is ignored, as the XDG spec says', { env: { XDG_STATE_HOME: 'state' }, platform: 'linux', homedir: linuxHome }, '/home/ada/.local/state/slmgr/store.db'],
  ['an empty XDG_STATE_HOME is ignored', { env: { XDG_STATE_HOME: '' }, platform: 'linux', homedir: linuxHome }, '/home/ada/.local/state/slmgr/store.db'],
  ['other Unix-likes follow the XDG rule', { env: { XDG_STATE_HOME: '/xdg' }, platform: 'freebsd', homedir: '/usr/home/ada' }, '/xdg/slmgr/store.db'],
  ['macOS uses Application Support and ignores XDG', { env: { XDG_STATE_HOME: '/xdg' }, platform: 'darwin', homedir: macHome }, '/Users/ada/Library/Application Support/slmgr/store.db'],
  ['Windows uses LOCALAPPDATA', { env: { LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local' }, platform: 'win32', homedir: winHome }, 'C:\\Users\\ada\\AppData\\Local\\slmgr\\store.db'],
  ['Windows falls back to ~\\AppData\\Local', { env: {}, platform: 'win32', homedir: winHome }, 'C:\\Users\\ada\\AppData\\Local\\slmgr\\store.db'],
  ['a relative LOCALAPPDATA is ignored', { env: { LOCALAPPDATA: 'AppData' }, platform: 'win32', homedir: winHome }, 'C:\\Users\\ada\\AppData\\Local\\slmgr\\store.db'],
];

describe('resolveStorePath', () => {
  it.each(cases)('%s', (_name, input, expected) => {
    expect(resolveStorePath(input)).toBe(expected);
  });

  it.each<[string, StoreLocationInput]>([
    ['an empty --store', { flag: '', env: { SLMGR_STORE: '/env.db' }, platform: 'linux', homedir: linuxHome }],
    ['no home directory for the default location', { env: {}, platform: 'linux', homedir: '' }],
    ['no home directory on Windows without LOCALAPPDATA', { env: {}, platform: 'win32', homedir: '' }],
  ])('rejects %s with invalid-path', (_name, input) => {
    const error = caught(() => resolveStorePath(input));
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ reason: 'invalid-path' });
    expect((error as Error).message).toMatch(/--store PATH or SLMGR_STORE/);
  });

  it('needs no home directory when another source decides', () => {
    expect(resolveStorePath({ env: { XDG_STATE_HOME: '/xdg' }, platform: 'linux', homedir: '' })).toBe('/xdg/slmgr/store.db');
    expect(resolveStorePath({ env: { LOCALAPPDATA: 'C:\\L' }, platform: 'win32', homedir: '' })).toBe('C:\\L\\slmgr\\store.db');
  });
});
