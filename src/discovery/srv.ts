// DNS SRV records for KMS (`_vlmcs._tcp.<domain>`): the order RFC 2782 tells a client to try
// them in, and nslookup's way of printing them. Pure: the random source is passed in.

export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export const KMS_SRV_PREFIX = '_vlmcs._tcp.';

export function kmsSrvName(domain: string): string {
  return KMS_SRV_PREFIX + domain.replace(/\.$/, '');
}

/**
 * RFC 2782: lowest priority first; within one priority, repeatedly pick a record at random with a
 * chance proportional to its weight (zero-weight records first in line, so they still get a small
 * chance), until all are ordered.
 */
export function orderSrvRecords<T extends SrvRecord>(records: readonly T[], random: () => number): T[] {
  const byPriority = new Map<number, T[]>();
  for (const record of records) byPriority.set(record.priority, [...(byPriority.get(record.priority) ?? []), record]);
  const ordered: T[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    // Shuffled first, as a DNS server's round robin does, so equal records (all weight 0, as KMS
    // hosts publish them) are spread too; then zero weights go first, as RFC 2782 asks.
    const group = shuffle([...(byPriority.get(priority) as T[])], random).sort((a, b) => Number(a.weight !== 0) - Number(b.weight !== 0));
    while (group.length > 0) {
      const total = group.reduce((sum, r) => sum + r.weight, 0);
      const pick = Math.floor(random() * (total + 1));
      let running = 0;
      const index = group.findIndex((r) => (running += r.weight) >= pick);
      ordered.push(...group.splice(index < 0 ? 0 : index, 1));
    }
  }
  return ordered;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** The lines `nslookup -type=srv _vlmcs._tcp.<domain>` prints for these records. */
export function nslookupLines(domain: string, records: readonly SrvRecord[], addresses: ReadonlyMap<string, string> = new Map()): string[] {
  const name = kmsSrvName(domain);
  if (records.length === 0) return [`*** can't find ${name}: Non-existent domain`];
  const lines: string[] = [];
  for (const r of records) {
    lines.push(
      `${name}\tSRV service location:`,
      `\t  priority       = ${r.priority}`,
      `\t  weight         = ${r.weight}`,
      `\t  port           = ${r.port}`,
      `\t  svr hostname   = ${r.target}`,
    );
  }
  for (const r of records) {
    const address = addresses.get(r.target.toLowerCase());
    if (address !== undefined) lines.push(`${r.target}\tinternet address = ${address}`);
  }
  return lines;
}
