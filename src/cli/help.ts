// `--help`: slmgr's own usage, then what this implementation adds. Every extension is listed here
// and in docs/.

import { usageLines } from './switches.js';

const EXTENSIONS: readonly (readonly [string, string])[] = [
  ['--json', 'print one JSON document on stdout (schema: docs/json.md)  [SLMGR_JSON=1]'],
  ['--store PATH', 'state store file (default: the user state directory)  [SLMGR_STORE]'],
  ['--backend sim|kms', 'sim: the embedded simulated KMS world (default); kms: real KMS hosts for /ato  [SLMGR_BACKEND]'],
  ['--timeout DURATION', 'kms: per host, connect plus bind, then the request (default 15s)  [SLMGR_TIMEOUT]'],
  ['--connect-timeout DURATION', 'kms: the TCP connection alone (default 5s)  [SLMGR_CONNECT_TIMEOUT]'],
  ['--dns-server HOST[:PORT]', 'kms: ask this DNS server for _vlmcs._tcp SRV records  [SLMGR_DNS_SERVER]'],
  ['--domain DOMAIN', 'kms: domain to look KMS hosts up in when nothing else names one  [SLMGR_DOMAIN]'],
  ['--protocol 4|5|6', "kms: force a KMS protocol version (default: the product's own)  [SLMGR_KMS_PROTOCOL]"],
  ['--now ISO-8601', 'the clock the licensing timers use, e.g. 2026-12-24T08:00:00Z  [SLMGR_NOW]'],
  ['--exit-codes posix|slmgr', 'posix: small distinct codes (default); slmgr: 0, 1 or the signed HRESULT  [SLMGR_EXIT_CODES]'],
  ['--color, --no-color', 'force colour on or off (default: on for a terminal unless NO_COLOR is set)'],
  ['--version', 'print the version'],
  ['--help, /?, -?', 'print this help'],
];

export function helpLines(version: string): string[] {
  const width = Math.max(...EXTENSIONS.map(([name]) => name.length)) + 2;
  return [
    ...usageLines(),
    '',
    `slmgr ${version} for Node.js — extensions (long options never collide with slmgr switches):`,
    ...EXTENSIONS.map(([name, text]) => `  ${name.padEnd(width)}${text}`),
    '',
    'KMS health check, layer by layer (DNS, TCP, RPC, KMS, count), for people, scripts and monitoring:',
    '  slmgr check [HOST[:PORT]] [--domain DOMAIN] [--nagios] …  See slmgr check --help and docs/check.md.',
    '',
    'Lab tooling for the simulated KMS world (the sim backend): slmgr lab --help',
    '  machines, dns list|add|remove, events, firewall, new-cmid, clone-cmid, domain, publish-domains,',
    '  clients, advance, install-tokens, export-cilx, import-cilx. See docs/lab.md.',
    '',
    'Exit codes: 0 success, 1 usage, 2 licensing error (HRESULT), 3 slmgr "soft" error, 4 store,',
    '5 network, 70 internal error, 130 interrupted. See docs/exit-codes.md.',
    'The kms backend: docs/kms.md.',
  ];
}
