// `slmgr check [HOST[:PORT]]`: the health check's command line, parsed with commander. The
// network options it shares with /ato (--domain, --timeout, --dns-server, --protocol, --backend)
// are global options, read before this.

import { Command, CommanderError } from 'commander';
import { parseKmsMachineValue } from '../commands/kms-client.js';
import { UsageError } from '../errors.js';
import { DEFAULT_KMS_PORT } from '../licensing/kms.js';
import { parseDuration } from './options.js';

export interface ThresholdSpec {
  count: number | null;
  latencyMs: number | null;
}

export interface CheckInvocation {
  /** Help text when --help was asked for; nothing to run then. */
  help: string | null;
  target: { host: string; port: number } | null;
  product: string | undefined;
  minCount: number | undefined;
  cmid: string | undefined;
  nagios: boolean;
  warning: ThresholdSpec | null;
  critical: ThresholdSpec | null;
}

const GUID = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i;

function count(name: string, text: string): number {
  if (!/^\d{1,4}$/.test(text.trim())) throw new UsageError(`${name} must be a whole number from 0 to 9999 (got "${text}")`);
  return Number(text);
}

/** `COUNT`, `COUNT,LATENCY` or `,LATENCY`, e.g. `30`, `25,2s`, `,500ms`. */
export function parseThreshold(name: string, text: string): ThresholdSpec {
  const [countText = '', latencyText, extra] = text.split(',');
  if (extra !== undefined || (countText.trim() === '' && (latencyText ?? '').trim() === '')) {
    throw new UsageError(`${name} must be COUNT, COUNT,LATENCY or ,LATENCY, e.g. 30, 25,2s or ,500ms (got "${text}")`);
  }
  return {
    count: countText.trim() === '' ? null : count(name, countText),
    latencyMs: latencyText === undefined || latencyText.trim() === '' ? null : parseDuration(name, latencyText),
  };
}

function parseTarget(text: string): { host: string; port: number } {
  try {
    const { name, port } = parseKmsMachineValue(text);
    if (name === null) throw new UsageError('no host name');
    return { host: name, port: port ?? DEFAULT_KMS_PORT };
  } catch {
    throw new UsageError(`HOST[:PORT] must be a host name or address with an optional port from 1 to 65535, e.g. kms01.example.com:1688 or [2001:db8::10]:1688 (got "${text}")`);
  }
}

export function parseCheck(args: readonly string[]): CheckInvocation {
  let output = '';
  let parsed: Omit<CheckInvocation, 'help'> | null = null;
  const program = new Command('slmgr check')
    .description('Check a KMS host, or every KMS host a domain publishes, layer by layer: DNS, name, TCP, RPC, KMS, count (an extension; see docs/check.md).')
    .argument('[host]', 'HOST[:PORT] to check; without it, the hosts of the domain\'s _vlmcs._tcp SRV records')
    .option('--product <product>', 'the product to ask for: Activation ID, GVLK or edition name (default: Windows 10/11 Enterprise)')
    .option('--min-count <n>', "the count the host must reach (default: the product's threshold, 25 Windows client, 5 server/Office)")
    .option('--cmid <guid>', 'the client machine ID to send (default: one stable ID kept in the store, so checks never inflate the count)')
    .option('--nagios', 'Nagios/Icinga plugin output: one status line with performance data, exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN')
    .option('--warning <spec>', 'warn below COUNT or above LATENCY per host: COUNT, COUNT,LATENCY or ,LATENCY (e.g. 30,500ms)')
    .option('--critical <spec>', 'fail below COUNT or above LATENCY per host (COUNT defaults to the threshold)')
    .addHelpText('after', '\nAlso: --domain DOMAIN, --backend sim|kms, --timeout, --connect-timeout, --dns-server, --protocol, --json (slmgr --help).')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (output += s), writeErr: (s) => (output += s) })
    .showHelpAfterError(false)
    .action((host: string | undefined, o: { product?: string; minCount?: string; cmid?: string; nagios?: boolean; warning?: string; critical?: string }) => {
      if (o.cmid !== undefined && !GUID.test(o.cmid)) throw new UsageError(`--cmid must be a GUID, e.g. 0b4d3e6a-7c21-4f58-9a0e-5d6c7b8a9f10 (got "${o.cmid}")`);
      parsed = {
        target: host === undefined ? null : parseTarget(host),
        product: o.product,
        minCount: o.minCount === undefined ? undefined : count('--min-count', o.minCount),
        cmid: o.cmid?.replace(/^\{|\}$/g, '').toLowerCase(),
        nagios: o.nagios === true,
        warning: o.warning === undefined ? null : parseThreshold('--warning', o.warning),
        critical: o.critical === undefined ? null : parseThreshold('--critical', o.critical),
      };
    });
  try {
    program.parse(args as string[], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') return { help: output, target: null, product: undefined, minCount: undefined, cmid: undefined, nagios: false, warning: null, critical: null };
      throw new UsageError(output.trim().replace(/^error: /, '') || error.message);
    }
    throw error;
  }
  return { help: null, ...(parsed as unknown as Omit<CheckInvocation, 'help'>) };
}
