// `--dns-server host[:port]`: pure parsing, kept apart from the resolver so reading the options
// of a command that never touches DNS loads no networking code.

import { isIP } from 'node:net';
import { OptionError } from '../errors.js';

export interface DnsServer {
  host: string;
  port: number;
}

export const DNS_PORT = 53;

const HOST_NAME = /^(?=.{1,253}\.?$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;

/** `192.0.2.53`, `192.0.2.53:5353`, `::1`, `[::1]:5353`, `dns.example.test[:port]`; port 53 by default. */
export function parseDnsServer(text: string): DnsServer {
  const value = text.trim();
  const fail = (why: string): never => {
    throw new OptionError(`--dns-server must be host[:port] with a port from 1 to 65535, e.g. 192.0.2.53, [2001:db8::53]:5353 or ns1.example.test (${why}: "${text}")`);
  };
  let host: string;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(value);
  if (bracket) {
    host = bracket[1] as string;
    portText = bracket[2];
    if (isIP(host) !== 6) fail('not an IPv6 address in brackets');
  } else if (isIP(value) === 6) {
    host = value;
  } else {
    const colon = value.lastIndexOf(':');
    host = colon < 0 ? value : value.slice(0, colon);
    portText = colon < 0 ? undefined : value.slice(colon + 1);
    if (isIP(host) !== 4 && !HOST_NAME.test(host)) fail('not an address or host name');
  }
  if (portText === undefined) return { host, port: DNS_PORT };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) fail('bad port');
  return { host, port };
}
