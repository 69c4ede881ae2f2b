// Turns a command line into what slmgr.vbs would see: global extension options (long GNU-style
// options that cannot collide with slmgr switches) are taken out first, then the slmgr rules apply
// to what is left. Pure: no I/O, no process access, so it is tested as a table.

import { findSwitch, type SwitchSpec } from './switches.js';

export interface GlobalFlags {
  json?: boolean;
  store?: string;
  backend?: string;
  now?: string;
  color?: boolean;
  exitCodes?: string;
  help?: boolean;
  version?: boolean;
  timeout?: string;
  connectTimeout?: string;
  dnsServer?: string;
  protocol?: string;
  domain?: string;
}

export type SlmgrInvocation =
  | { kind: 'switch'; spec: SwitchSpec; token: string; args: string[]; machine?: string; user?: string; password?: string }
  /** `/?` or `-?`: slmgr calls it unrecognised; we show the usage. */
  | { kind: 'help'; token: string }
  | { kind: 'unrecognized'; token: string }
  | { kind: 'missing-parameter'; spec: SwitchSpec; param: string }
  | { kind: 'invalid-combination' }
  /** `slmgr lab …`, `slmgr check …`: an extension word where slmgr would have no switch at all. */
  | { kind: 'extension'; name: (typeof EXTENSIONS)[number]; args: string[] };

/** Extension commands. A first word that names one is a machine name only when an slmgr switch follows. */
const EXTENSIONS = ['lab', 'check'] as const;

export interface ParsedCommandLine {
  flags: GlobalFlags;
  /** Problems with the extension options themselves (unknown value, missing value). */
  flagErrors: string[];
  invocation: SlmgrInvocation;
}

interface FlagSpec {
  readonly key: keyof GlobalFlags;
  /** Takes a value (`--store PATH` or `--store=PATH`); otherwise a boolean switch. */
  readonly value: boolean;
  readonly negates?: boolean;
}

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  '--json': { key: 'json', value: false },
  '--store': { key: 'store', value: true },
  '--backend': { key: 'backend', value: true },
  '--now': { key: 'now', value: true },
  '--color': { key: 'color', value: false },
  '--no-color': { key: 'color', value: false, negates: true },
  '--exit-codes': { key: 'exitCodes', value: true },
  '--help': { key: 'help', value: false },
  '--version': { key: 'version', value: false },
  '--timeout': { key: 'timeout', value: true },
  '--connect-timeout': { key: 'connectTimeout', value: true },
  '--dns-server': { key: 'dnsServer', value: true },
  '--protocol': { key: 'protocol', value: true },
  '--domain': { key: 'domain', value: true },
};

/** Every extension option name, for --help and for tests that check nothing collides with slmgr. */
export const EXTENSION_FLAGS = Object.keys(FLAGS);

function extractFlags(argv: readonly string[]): { flags: GlobalFlags; errors: string[]; rest: string[] } {
  const flags: GlobalFlags = {};
  const errors: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const spec = FLAGS[name.toLowerCase()];
    if (!spec) {
      rest.push(arg);
      continue;
    }
    if (!spec.value) {
      if (eq > 0) errors.push(`option ${name} does not take a value`);
      else (flags as Record<string, unknown>)[spec.key] = !spec.negates;
      continue;
    }
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    if (value === undefined || value === '') errors.push(`option ${name} needs a value`);
    else (flags as Record<string, unknown>)[spec.key] = value;
  }
  return { flags, errors, rest };
}

/**
 * Git for Windows (MSYS) rewrites an argument that looks like an absolute POSIX path, so `/ipk`
 * arrives as `C:/Program Files/Git/ipk`. Only a known switch name after `/Git/` is taken back.
 */
function fromGitBashPath(token: string): string | undefined {
  const match = /^[A-Za-z]:[\\/](?:.*[\\/])?Git[\\/](?:usr[\\/])?([^\\/]+)$/i.exec(token);
  const name = match?.[1];
  if (name !== undefined && (findSwitch(name) || name === '?')) return `/${name}`;
  return undefined;
}

function isOptionToken(token: string): boolean {
  return token.startsWith('/') || token.startsWith('-');
}

/** slmgr.vbs §1.3: the option is the first of the first four arguments that starts with / or -. */
function parseSlmgr(args: readonly string[]): SlmgrInvocation {
  const normalised = args.map((a) => fromGitBashPath(a) ?? a);
  const extension = EXTENSIONS.find((e) => e === normalised[0]?.toLowerCase());
  if (extension && !normalised.slice(1, 4).some((a) => isOptionToken(a) && findSwitch(a.slice(1)))) {
    return { kind: 'extension', name: extension, args: normalised.slice(1) };
  }
  let optionIndex = -1;
  for (let i = 0; i < Math.min(4, normalised.length); i++) {
    if (isOptionToken(normalised[i] as string)) {
      optionIndex = i;
      break;
    }
  }
  // No option in the first four, or "machine user" without a password.
  if (optionIndex < 0 || optionIndex === 2) return { kind: 'invalid-combination' };

  const token = normalised[optionIndex] as string;
  const name = token.slice(1).toLowerCase();
  if (name === '?') return { kind: 'help', token };
  const spec = findSwitch(name);
  if (!spec) return { kind: 'unrecognized', token: args[optionIndex] as string };

  const params = normalised.slice(optionIndex + 1);
  for (let i = 0; i < spec.required.length; i++) {
    if (params[i] === undefined) return { kind: 'missing-parameter', spec, param: spec.required[i] as string };
  }
  const invocation: SlmgrInvocation = {
    kind: 'switch',
    spec,
    token,
    args: params.slice(0, spec.required.length + spec.optional),
  };
  if (optionIndex >= 1) invocation.machine = normalised[0] as string;
  if (optionIndex >= 3) {
    invocation.user = normalised[1] as string;
    invocation.password = normalised[2] as string;
  }
  return invocation;
}

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const { flags, errors, rest } = extractFlags(argv);
  const invocation = parseSlmgr(rest);
  // `lab clients --domain` names the clients' domain: the lab's own option, not the kms backend's.
  if (invocation.kind === 'extension' && invocation.name === 'lab' && flags.domain !== undefined) {
    invocation.args.push('--domain', flags.domain);
    delete flags.domain;
  }
  return { flags, flagErrors: errors, invocation };
}
