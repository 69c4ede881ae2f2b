// The lab around the simulated KMS hosts: machines, their names and addresses, and the DNS zone
// in which hosts publish `_vlmcs._tcp` SRV records.

import type { StoreTx } from '../../store/store.js';
import type { MachineRow, ProductRow } from '../../store/types.js';
import type { SrvRecord } from '../../discovery/srv.js';
import { effectiveLicense, LicenseStatus } from '../../licensing/license-state.js';

/** The DNS domain a lab machine joins unless told otherwise (.test is reserved, RFC 6761). */
export const LAB_DEFAULT_DOMAIN = 'lab.test';

/** Lab machines live in 10.0.0.0/8, one address per machine, derived from its row id. */
function labAddress(id: number): string {
  return `10.${(id >> 16) & 255}.${(id >> 8) & 255}.${id & 255}`;
}

export function createLabMachine(tx: StoreTx, name: string, domain = LAB_DEFAULT_DOMAIN): MachineRow {
  const created = tx.createMachine({ name, fqdn: `${name.toLowerCase()}.${domain}`, dnsDomain: domain });
  const ipAddress = labAddress(created.id);
  tx.updateMachine(created.id, { ipAddress });
  return { ...created, ipAddress };
}

export interface PublishedSrvRecord extends SrvRecord {
  domain: string;
  /** "published" by a KMS host itself, or added by hand. */
  source: 'published' | 'manual';
  id: number | null;
}

/** A KMS host serves once its host product is activated (Licensed). */
export function isServingHost(product: ProductRow, now: number): boolean {
  return product.hostKeyType !== null && effectiveLicense(product, now).status === LicenseStatus.Licensed;
}

/**
 * Every `_vlmcs._tcp` record of a domain: what activated hosts with DNS publishing on publish in
 * their own domain and their DnsDomainPublishList, then the records added by hand.
 */
export function srvRecords(tx: StoreTx, domain: string, now: number): PublishedSrvRecord[] {
  const wanted = domain.replace(/\.$/, '').toLowerCase();
  const records: PublishedSrvRecord[] = [];
  const seen = new Set<number>();
  for (const product of tx.listKmsHostProducts()) {
    if (seen.has(product.machineId) || !isServingHost(product, now)) continue;
    seen.add(product.machineId);
    const host = tx.getMachine(product.machineId);
    if (!host?.fqdn || !host.kmsDnsPublishing) continue;
    const domains = [host.dnsDomain, ...host.kmsPublishDomains].filter((d): d is string => d !== null).map((d) => d.toLowerCase());
    if (domains.includes(wanted)) {
      records.push({ domain: wanted, priority: 0, weight: 0, port: host.kmsListeningPort, target: host.fqdn, source: 'published', id: null });
    }
  }
  for (const r of tx.listSrvRecords(wanted)) records.push({ ...r, domain: wanted, source: 'manual' });
  return records;
}

/**
 * The lab clock runs ahead of the real one by what `slmgr lab advance` added, so a lab can live
 * through weeks of renewals in a second. --now / SLMGR_NOW still sets the time outright.
 */
const LAB_CLOCK_SETTING = 'lab.clock-offset-ms';

export function labClockOffset(tx: StoreTx): number {
  return Number(tx.getSetting(LAB_CLOCK_SETTING) ?? 0);
}

export function setLabClockOffset(tx: StoreTx, offsetMs: number): void {
  tx.setSetting(LAB_CLOCK_SETTING, String(offsetMs));
}
