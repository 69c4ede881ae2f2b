// The one table of exit codes (docs/exit-codes.md documents it). POSIX shells keep only 8 bits, so
// the default mode gives every failure class its own small code; `--exit-codes slmgr` returns what
// slmgr.vbs returns (0, 1 or the signed HRESULT) for Windows scripts that test %ERRORLEVEL%.

import { signedHResult } from '../licensing/hresult-codes.js';

export type ExitCodeMode = 'posix' | 'slmgr';

export type Outcome =
  | { kind: 'success' }
  | { kind: 'usage' }
  | { kind: 'licensing'; hresult: number }
  | { kind: 'soft-failure' }
  | { kind: 'store' }
  | { kind: 'network'; hresult: number }
  | { kind: 'internal' }
  | { kind: 'interrupted' }
  /** stdout could not be written (the command itself ran). */
  | { kind: 'output' };

export const POSIX_EXIT_CODES = {
  success: 0,
  usage: 1,
  licensing: 2,
  'soft-failure': 3,
  store: 4,
  network: 5,
  internal: 70,
  output: 74,
  interrupted: 130,
} as const satisfies Record<Outcome['kind'], number>;

const E_FAIL = 0x80004005;
const E_UNEXPECTED = 0x8000ffff;
const ERROR_CANCELLED_HRESULT = 0x800704c7;

export function exitCodeFor(outcome: Outcome, mode: ExitCodeMode): number {
  if (mode === 'posix') return POSIX_EXIT_CODES[outcome.kind];
  switch (outcome.kind) {
    case 'success':
    case 'soft-failure':
      return 0;
    case 'usage':
      return 1;
    case 'licensing':
    case 'network':
      return signedHResult(outcome.hresult);
    // slmgr has no such failures; these HRESULTs are the closest Windows meanings.
    case 'store':
      return signedHResult(E_FAIL);
    case 'internal':
    case 'output':
      return signedHResult(E_UNEXPECTED);
    case 'interrupted':
      return signedHResult(ERROR_CANCELLED_HRESULT);
  }
}
