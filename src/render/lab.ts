// Text for the lab tooling. These are extensions, so the layouts are ours, written to be read by
// people and grepped by scripts; the DNS listing reads like nslookup.

import type { LabResult } from '../commands/lab.js';
import { nslookupLines } from '../discovery/srv.js';
import { cilxLines } from './cilx.js';
import { labTokensLines } from './token.js';
import { phoneCentreLines } from './offline.js';

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

export function renderLabText(result: LabResult): string[] {
  switch (result.kind) {
    case 'lab-machines':
      return table([
        ['NAME', 'FQDN', 'ADDRESS', 'ROLE', 'CMID', 'PRODUCTS'],
        ...result.machines.map((m) => [
          m.isLocal ? `${m.name} (local)` : m.name,
          m.fqdn ?? '-',
          m.ipAddress ?? '-',
          m.role + (m.kmsPortBlocked ? ' (port blocked)' : ''),
          m.cmid,
          m.products.map((p) => `${p.name} [${p.partialProductKey}]`).join('; ') || '-',
        ]),
      ]);
    case 'lab-dns':
      return nslookupLines(result.domain, result.records, new Map(Object.entries(result.addresses)));
    case 'lab-dns-changed':
      return result.added
        ? [`Added _vlmcs._tcp.${result.domain} SRV ${result.added.priority} ${result.added.weight} ${result.added.port} ${result.added.target}`]
        : [`Removed ${result.removed} record(s) from _vlmcs._tcp.${result.domain}`];
    case 'lab-events':
      if (result.events.length === 0) return [`No KMS events on ${result.machine}.`];
      return result.events.map((e) => `${new Date(e.at).toISOString()}  ${e.eventId}  ${Object.entries(e.data).map(([k, v]) => `${k}=${v ?? ''}`).join(' ')}`);
    case 'lab-machine-changed':
      return [`${result.machine}: ${result.change} = ${Array.isArray(result.value) ? result.value.join(', ') || '(none)' : String(result.value)}`];
    case 'lab-advanced':
      return [
        `Lab time ${result.from} -> ${result.to}${result.clockMoved ? '' : ' (clock fixed by --now; not moved)'}`,
        `Automatic attempts: ${result.attempts}; activated or renewed: ${result.activated}; failed: ${result.failed}`,
      ];
    case 'lab-tokens-installed':
      return labTokensLines(result);
    case 'lab-phone-activation':
      return phoneCentreLines(result);
    case 'lab-clients':
      return [
        `Created ${result.created.length} client(s): ${result.created[0] ?? ''}${result.created.length > 1 ? ` … ${result.created.at(-1)}` : ''}`,
        `Activated: ${result.activated}; failed: ${result.failed.length}`,
        ...result.failed.slice(0, 10).map((f) => `  ${f.machine}: ${f.hresult}`),
      ];
    case 'lab-cilx-exported':
    case 'lab-cilx-imported':
      return cilxLines(result);
  }
}
