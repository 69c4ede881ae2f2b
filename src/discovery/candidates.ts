// Which KMS hosts a client tries, in which order — the same rules for the simulated lab and for
// the real network: a host set with /skms is the only one tried (product level before service
// level); otherwise the cached host first when host caching is on, then the SRV records of the
// lookup domain in RFC 2782 order. Pure: the records and the random source are passed in.

import { DEFAULT_KMS_PORT } from '../licensing/kms.js';
import type { MachineRow, ProductRow } from '../store/types.js';
import { orderSrvRecords, type SrvRecord } from './srv.js';

export interface KmsHostCandidate {
  name: string;
  port: number;
  source: 'skms' | 'cache' | 'srv';
}

type KmsClientProduct = Pick<ProductRow, 'kmsMachine' | 'kmsPort' | 'kmsLookupDomain' | 'kmsHostName' | 'kmsHostPort'>;
type KmsClientMachine = Pick<MachineRow, 'kmsMachine' | 'kmsPort' | 'kmsLookupDomain' | 'kmsHostCaching' | 'dnsDomain'>;

/** The /skms host, when one is set: it is then the only host the client tries. */
export function fixedKmsHost(product: KmsClientProduct, machine: KmsClientMachine): KmsHostCandidate | null {
  if (product.kmsMachine !== null) return { name: product.kmsMachine, port: product.kmsPort ?? DEFAULT_KMS_PORT, source: 'skms' };
  if (machine.kmsMachine !== null) return { name: machine.kmsMachine, port: machine.kmsPort ?? DEFAULT_KMS_PORT, source: 'skms' };
  return null;
}

/** /skms-domain (product, then service level), else the machine's own DNS domain. */
export function kmsLookupDomain(product: KmsClientProduct, machine: KmsClientMachine): string | null {
  return product.kmsLookupDomain ?? machine.kmsLookupDomain ?? machine.dnsDomain;
}

/** The host the client reached last time, which it returns to first while host caching is on. */
export function cachedKmsHost(product: KmsClientProduct, machine: KmsClientMachine): KmsHostCandidate | null {
  if (!machine.kmsHostCaching || product.kmsHostName === null) return null;
  return { name: product.kmsHostName, port: product.kmsHostPort ?? DEFAULT_KMS_PORT, source: 'cache' };
}

/** The cached host (if any), then the SRV targets in RFC 2782 order, each name:port once. */
export function discoveredKmsHosts(cached: KmsHostCandidate | null, records: readonly SrvRecord[], random: () => number): KmsHostCandidate[] {
  const candidates: KmsHostCandidate[] = cached ? [cached] : [];
  for (const record of orderSrvRecords(records, random)) {
    const target = record.target.replace(/\.$/, '');
    const seen = candidates.some((c) => c.name.toLowerCase() === target.toLowerCase() && c.port === record.port);
    if (!seen) candidates.push({ name: target, port: record.port, source: 'srv' });
  }
  return candidates;
}
