// The simulated activation paths: a KMS host activating its host key with the (simulated)
// Microsoft activation service, and a KMS client activating against a lab KMS host — with the
// real host semantics: discovery, reachability, host-key coverage, the 30-day CMID count and the
// events Windows logs. Runs inside the command's store transaction.

import { cachedKmsHost, discoveredKmsHosts, fixedKmsHost, kmsLookupDomain, type KmsHostCandidate } from '../../discovery/candidates.js';
import { clientExtendedPid } from '../../licensing/epid.js';
import { hostEpidKeyFields, hostKeyCovers } from '../../licensing/host-keys.js';
import { hostKeyTypeOfProduct } from '../../licensing/key-configurations.js';
import {
  SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED,
  SL_E_VL_BINDING_SERVICE_UNAVAILABLE,
  SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH,
  SL_E_VL_NOT_ENOUGH_COUNT,
  hex,
} from '../../licensing/hresult-codes.js';
import { MINUTE_MS, configuredActivationType, effectiveLicense, KMS_ACTIVATION_VALIDITY_MS, LICENSE_STATUS_NAMES, LicenseStatus } from '../../licensing/license-state.js';
import {
  COUNT_CAP,
  COUNT_WINDOW_MS,
  DEFAULT_KMS_PORT,
  HOST_KEY_MAX_ACTIVATIONS_PER_HOST,
  HOST_KEY_MAX_HOSTS,
  KMS_CLIENT_REQUEST_EVENT,
  KMS_CLIENT_RESULT_EVENT,
  KMS_HOST_REQUEST_EVENT,
} from '../../licensing/kms.js';
import type { ProductCounter } from '../../store/repository.js';
import type { StoreTx } from '../../store/store.js';
import type { LicenseStatusCode, MachineRow, ProductRow } from '../../store/types.js';
import { isServingHost, srvRecords, type PublishedSrvRecord } from './lab.js';
import { activateThroughForest } from './ad.js';
import { activateOnline, activatesOnline } from './online-activation.js';

export interface SimContext {
  readonly tx: StoreTx;
  readonly now: number;
  readonly random: () => number;
  /** Lookups shared with the other activations of a batch; a single /ato has none. */
  readonly batch?: ActivationBatch;
}

export interface ServingHost {
  machine: MachineRow;
  /** As it was looked up: requests add to its counters in the store, not here. */
  product: ProductRow;
}

/**
 * The lookups of KMS client activations — a domain's SRV records, the host serving at a name and
 * port, a host's count — made once for a batch of them in one transaction at one instant (lab
 * clients; the attempts due at one moment of lab advance). What they found stays true while only
 * clients activate: a client changes no host, and a count at the cap stays there, since CMIDs
 * only arrive, all seen at the batch's instant. A host key activated in the batch forgets it all.
 */
export class ActivationBatch {
  readonly tx: StoreTx;
  readonly now: number;
  readonly #srvRecords = new Map<string, PublishedSrvRecord[]>();
  readonly #hosts = new Map<string, ServingHost | null>();
  readonly #countsAtCap = new Set<string>();

  constructor(tx: StoreTx, now: number) {
    this.tx = tx;
    this.now = now;
  }

  srvRecords(domain: string): PublishedSrvRecord[] {
    const key = domain.replace(/\.$/, '').toLowerCase();
    let records = this.#srvRecords.get(key);
    if (records === undefined) {
      records = srvRecords(this.tx, key, this.now);
      this.#srvRecords.set(key, records);
    }
    return records;
  }

  /** The host product that answers a client of this application at name:port, if one does. */
  servingHost(candidate: KmsHostCandidate, applicationId: string): ServingHost | undefined {
    const key = `${candidate.name}\0${candidate.port}\0${applicationId}`;
    let host = this.#hosts.get(key);
    if (host === undefined) {
      host = findServingHost(this.tx, this.now, candidate, applicationId) ?? null;
      this.#hosts.set(key, host);
    }
    return host ?? undefined;
  }

  /** The host's count: distinct CMIDs of the last 30 days, at most COUNT_CAP. */
  countKmsClients(hostMachineId: number, applicationId: string): number {
    const key = `${hostMachineId}\0${applicationId}`;
    if (this.#countsAtCap.has(key)) return COUNT_CAP;
    const count = this.tx.countKmsClients(hostMachineId, applicationId, this.now - COUNT_WINDOW_MS, COUNT_CAP);
    if (count >= COUNT_CAP) this.#countsAtCap.add(key);
    return count;
  }

  /** A host key was activated: what was looked up may have changed. */
  hostsChanged(): void {
    this.#srvRecords.clear();
    this.#hosts.clear();
    this.#countsAtCap.clear();
  }
}

/** The activation's batch, or lookups of its own when it has none (or one of another time). */
function batchFor(sim: SimContext): ActivationBatch {
  return sim.batch !== undefined && sim.batch.tx === sim.tx && sim.batch.now === sim.now ? sim.batch : new ActivationBatch(sim.tx, sim.now);
}

export type ActivationOutcome =
  | { ok: true; host: ReachedHost | null }
  | { ok: false; hresult: number; host: ReachedHost | null };

export interface ReachedHost {
  name: string;
  port: number;
  ipAddress: string | null;
  extendedPid: string | null;
  currentCount: number;
}

/** /ato on one product: a KMS host key activates with Microsoft, a KMS client product asks a KMS host. */
export function activateProduct(sim: SimContext, machine: MachineRow, product: ProductRow): ActivationOutcome {
  if (activatesOnline(product)) return activateOnline(sim, machine, product);
  return product.hostKeyType !== null ? activateHostKey(sim, machine, product) : activateKmsClient(sim, machine, product);
}

/** /ato on a KMS host product: the simulated Microsoft activation service. */
export function activateHostKey(sim: SimContext, machine: MachineRow, product: ProductRow): ActivationOutcome {
  if (effectiveLicense(product, sim.now).status === LicenseStatus.Licensed) return { ok: true, host: null };
  const digest = product.keyDigest as string;
  const type = hostKeyTypeOfProduct(product);
  const uses = sim.tx.hostKeyActivations(digest);
  const mine = uses.find((u) => u.machineId === machine.id);
  const exhausted = mine ? mine.activations >= HOST_KEY_MAX_ACTIVATIONS_PER_HOST : uses.length >= HOST_KEY_MAX_HOSTS;
  if (exhausted) return { ok: false, hresult: SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED, host: null };
  sim.tx.addHostKeyActivation(digest, machine.id);
  sim.batch?.hostsChanged();
  sim.tx.updateProduct(machine.id, product.skuId, {
    licenseStatus: LicenseStatus.Licensed,
    graceEndsAt: null,
    statusReason: null,
    activatedAt: sim.now,
    // A host's ePID carries the day its host key was activated.
    extendedPid: clientExtendedPid({
      ...(type ? hostEpidKeyFields(type, { groupId: product.keyGroup ?? 0, serial: product.keySerial ?? 0 }) : { groupId: 0, serial: 0 }),
      osBuild: machine.osBuild,
      lcid: machine.lcid,
      installedAt: new Date(sim.now),
    }),
  });
  return { ok: true, host: null };
}

/**
 * The hosts a client tries, in order (src/discovery/candidates.ts): the /skms host alone when one is
 * set; otherwise the cached host first (when host caching is on), then the SRV records of its
 * lookup or own domain.
 */
export function candidateHosts(sim: SimContext, client: MachineRow, product: ProductRow, batch = batchFor(sim)): KmsHostCandidate[] {
  const fixed = fixedKmsHost(product, client);
  if (fixed) return [fixed];
  const domain = kmsLookupDomain(product, client);
  return discoveredKmsHosts(cachedKmsHost(product, client), domain === null ? [] : batch.srvRecords(domain), sim.random);
}

function findServingHost(tx: StoreTx, now: number, candidate: KmsHostCandidate, applicationId: string): ServingHost | undefined {
  const machine = tx.findMachineByAddress(candidate.name.replace(/^\[(.*)\]$/, '$1'));
  if (!machine || machine.kmsPortBlocked || machine.kmsListeningPort !== candidate.port) return undefined;
  const product = tx
    .listProducts(machine.id)
    .find((p) => p.applicationId === applicationId && p.partialKey !== null && isServingHost(p, now));
  return product && { machine, product };
}

const REQUEST_COUNTER: Record<number, ProductCounter> = {
  0: 'kmsUnlicensedRequests',
  1: 'kmsLicensedRequests',
  2: 'kmsOobGraceRequests',
  3: 'kmsOotGraceRequests',
  4: 'kmsNonGenuineGraceRequests',
  5: 'kmsNotificationRequests',
  6: 'kmsOotGraceRequests',
};

/** What a client sends a KMS host, as far as the simulated host looks at it. */
export interface LabKmsRequest {
  clientMachineId: string;
  clientName: string;
  licenseStatus: LicenseStatusCode;
  minimumCount: number;
  applicationId: string;
  kmsCountedId: string | null;
  skuId: string;
}

/**
 * One request answered by a serving lab host, with the host's side effects: the CMID counted (unless
 * the product is refused), the request counters, and event 12290. The HRESULT is the client's
 * verdict: 0xC004F042 refused, 0xC004F038 below the request's minimum count, else 0.
 */
export function askLabHost(sim: SimContext, batch: ActivationBatch, found: ServingHost, port: number, request: LabKmsRequest): { hresult: number; host: ReachedHost } {
  const { tx, now } = sim;
  const { machine: hostMachine, product: hostProduct } = found;
  const type = hostKeyTypeOfProduct(hostProduct);
  const covered = type !== undefined && request.kmsCountedId !== null && hostKeyCovers(type, request.kmsCountedId);
  // A refused product is not counted; any other request counts its CMID before the host answers.
  if (covered) tx.recordKmsClient(hostMachine.id, request.applicationId, request.clientMachineId, now);
  const currentCount = batch.countKmsClients(hostMachine.id, request.applicationId);
  const hresult = !covered ? SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH : currentCount >= request.minimumCount ? 0 : SL_E_VL_NOT_ENOUGH_COUNT;

  const counter = REQUEST_COUNTER[request.licenseStatus] ?? 'kmsUnlicensedRequests';
  tx.incrementProduct(hostMachine.id, hostProduct.skuId, { kmsTotalRequests: 1, kmsFailedRequests: covered ? 0 : 1, [counter]: 1 });
  tx.addEvent(hostMachine.id, KMS_HOST_REQUEST_EVENT, {
    minimumCount: request.minimumCount, cmid: request.clientMachineId, client: request.clientName, clientTime: new Date(now).toISOString(),
    licenseState: LICENSE_STATUS_NAMES[request.licenseStatus], resultCode: `0x${hex(hresult)}`, currentCount, kmsCountedId: request.kmsCountedId, activationId: request.skuId,
  }, now);
  return { hresult, host: { name: hostMachine.fqdn ?? hostMachine.name, port, ipAddress: hostMachine.ipAddress, extendedPid: hostProduct.extendedPid, currentCount } };
}

/** /ato on a KMS client product: discovery, then one request to the first host that answers. */
export function activateKmsClient(sim: SimContext, client: MachineRow, product: ProductRow): ActivationOutcome {
  // --- AD-based activation hook (issue #6; src/backends/sim/ad.ts) ---
  // A client whose forest holds an activation object for its product activates there first, unless
  // /act-type says KMS only; null means AD does not apply and KMS discovery goes on.
  const throughForest = activateThroughForest(sim, client, product);
  if (throughForest !== null) return throughForest;
  // --- end of hook ---
  const { tx, now } = sim;
  const clientStatus = effectiveLicense(product, now).status;
  const minimumCount = product.minimumCount ?? 0;
  const clientTime = new Date(now).toISOString();
  const batch = batchFor(sim);

  for (const candidate of candidateHosts(sim, client, product, batch)) {
    const hostLabel = `${candidate.name}:${candidate.port}`;
    tx.addEvent(client.id, KMS_CLIENT_REQUEST_EVENT, { kmsHost: hostLabel, cmid: client.cmid, clientTime, licenseState: LICENSE_STATUS_NAMES[clientStatus], minimumCount }, now);
    const found = batch.servingHost(candidate, product.applicationId);
    if (!found) continue;

    const { machine: hostMachine } = found;
    const { hresult, host } = askLabHost(sim, batch, found, candidate.port, {
      clientMachineId: client.cmid,
      clientName: client.fqdn ?? client.name,
      licenseStatus: clientStatus,
      minimumCount,
      applicationId: product.applicationId,
      kmsCountedId: product.kmsCountedId,
      skuId: product.skuId,
    });
    const resultCode = `0x${hex(hresult)}`;
    tx.addEvent(client.id, KMS_CLIENT_RESULT_EVENT, { kmsHost: hostLabel, resultCode, activationFlag: hresult === 0 ? 1 : 0, currentCount: host.currentCount, kmsExtendedPid: host.extendedPid }, now);
    if (hresult !== 0) return failed(sim, client, product, hresult, host);

    tx.updateProduct(client.id, product.skuId, {
      licenseStatus: LicenseStatus.Licensed,
      graceEndsAt: now + KMS_ACTIVATION_VALIDITY_MS,
      statusReason: null,
      activatedAt: now,
      kmsHostName: host.name,
      kmsHostPort: host.port,
      kmsHostIp: host.ipAddress,
      kmsHostEpid: host.extendedPid,
      vlActivationInterval: hostMachine.vlActivationInterval,
      vlRenewalInterval: hostMachine.vlRenewalInterval,
      // An activated client renews every renewal interval the host gave it.
      kmsNextAttemptAt: now + hostMachine.vlRenewalInterval * MINUTE_MS,
    });
    return { ok: true, host };
  }
  tx.addEvent(client.id, KMS_CLIENT_RESULT_EVENT, { kmsHost: null, resultCode: `0x${hex(SL_E_VL_BINDING_SERVICE_UNAVAILABLE)}`, activationFlag: 0, currentCount: null }, now);
  return failed(sim, client, product, SL_E_VL_BINDING_SERVICE_UNAVAILABLE, null);
}

/** A failed attempt leaves the licence as it was and retries after the activation interval. */
function failed(sim: SimContext, client: MachineRow, product: ProductRow, hresult: number, host: ReachedHost | null): ActivationOutcome {
  const interval = product.vlActivationInterval ?? client.vlActivationInterval;
  sim.tx.updateProduct(client.id, product.skuId, { kmsNextAttemptAt: sim.now + interval * MINUTE_MS });
  return { ok: false, hresult, host };
}

/**
 * What the Software Protection service of every lab client does on its own between `sim.now` and
 * `until`: each due activation or renewal attempt, in time order across the whole lab, so counts
 * grow as they would.
 */
export function runDueAttempts(sim: SimContext, until: number): { attempts: number; activated: number; failed: number } {
  let attempts = 0;
  let activated = 0;
  // Attempts come in time order, and only clients act: those due at one instant form a batch.
  let batch: ActivationBatch | undefined;
  for (let due = sim.tx.nextDueAttempt(until); due; due = sim.tx.nextDueAttempt(until)) {
    const client = sim.tx.getMachine(due.machineId) as MachineRow;
    const product = sim.tx.getProduct(due.machineId, due.skuId) as ProductRow;
    const at = Math.max(due.at, sim.now);
    if (batch?.now !== at) batch = new ActivationBatch(sim.tx, at);
    const tokenOnly = configuredActivationType(product, client) === 3;
    const outcome = product.partialKey === null || tokenOnly
      ? (sim.tx.updateProduct(client.id, product.skuId, { kmsNextAttemptAt: null }), null)
      : activateKmsClient({ ...sim, now: at, batch }, client, product);
    if (outcome === null) continue;
    attempts += 1;
    if (outcome.ok) activated += 1;
  }
  return { attempts, activated, failed: attempts - activated };
}
