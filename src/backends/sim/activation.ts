// The simulated activation paths: a KMS host activating its host key with the (simulated)
// Microsoft activation service, and a KMS client activating against a lab KMS host — with the
// real host semantics: discovery, reachability, host-key coverage, the 30-day CMID count and the
// events Windows logs. Runs inside the command's store transaction.

import { orderSrvRecords } from '../../discovery/srv.js';
import { clientExtendedPid } from '../../licensing/epid.js';
import { classifyHostKey, hostEpidKeyFields, hostKeyCovers } from '../../licensing/host-keys.js';
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
import type { StoreTx } from '../../store/store.js';
import type { MachineRow, ProductRow } from '../../store/types.js';
import { isServingHost, srvRecords } from './lab.js';

export interface SimContext {
  readonly tx: StoreTx;
  readonly now: number;
  readonly random: () => number;
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

/** /ato on a KMS host product: the simulated Microsoft activation service. */
export function activateHostKey(sim: SimContext, machine: MachineRow, product: ProductRow): ActivationOutcome {
  if (effectiveLicense(product, sim.now).status === LicenseStatus.Licensed) return { ok: true, host: null };
  const digest = product.keyDigest as string;
  const type = classifyHostKey({ groupId: product.keyGroup ?? -1, serial: product.keySerial ?? -1 });
  const uses = sim.tx.hostKeyActivations(digest);
  const mine = uses.find((u) => u.machineId === machine.id);
  const exhausted = mine ? mine.activations >= HOST_KEY_MAX_ACTIVATIONS_PER_HOST : uses.length >= HOST_KEY_MAX_HOSTS;
  if (exhausted) return { ok: false, hresult: SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED, host: null };
  sim.tx.addHostKeyActivation(digest, machine.id);
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

interface Candidate {
  name: string;
  port: number;
}

function parseHostPort(name: string, port: number | null): Candidate {
  return { name, port: port ?? DEFAULT_KMS_PORT };
}

/**
 * The hosts a client tries, in order: the /skms host alone when one is set; otherwise the cached
 * host first (when host caching is on), then the SRV records of its lookup or own domain.
 */
export function candidateHosts(sim: SimContext, client: MachineRow, product: ProductRow): Candidate[] {
  if (product.kmsMachine !== null) return [parseHostPort(product.kmsMachine, product.kmsPort)];
  if (client.kmsMachine !== null) return [parseHostPort(client.kmsMachine, client.kmsPort)];
  const candidates: Candidate[] = [];
  if (client.kmsHostCaching && product.kmsHostName !== null) candidates.push(parseHostPort(product.kmsHostName, product.kmsHostPort));
  const domain = product.kmsLookupDomain ?? client.kmsLookupDomain ?? client.dnsDomain;
  if (domain !== null) {
    for (const r of orderSrvRecords(srvRecords(sim.tx, domain, sim.now), sim.random)) {
      if (!candidates.some((c) => c.name.toLowerCase() === r.target.toLowerCase() && c.port === r.port)) candidates.push({ name: r.target, port: r.port });
    }
  }
  return candidates;
}

/** The host product that answers a client of this application at name:port, if one does. */
function reachableHost(sim: SimContext, candidate: Candidate, applicationId: string): { machine: MachineRow; product: ProductRow } | undefined {
  const machine = sim.tx.findMachineByAddress(candidate.name.replace(/^\[(.*)\]$/, '$1'));
  if (!machine || machine.kmsPortBlocked || machine.kmsListeningPort !== candidate.port) return undefined;
  const product = sim.tx
    .listProducts(machine.id)
    .find((p) => p.applicationId === applicationId && p.partialKey !== null && isServingHost(p, sim.now));
  return product && { machine, product };
}

const REQUEST_COUNTER: Record<number, keyof ProductRow> = {
  0: 'kmsUnlicensedRequests',
  1: 'kmsLicensedRequests',
  2: 'kmsOobGraceRequests',
  3: 'kmsOotGraceRequests',
  4: 'kmsNonGenuineGraceRequests',
  5: 'kmsNotificationRequests',
  6: 'kmsOotGraceRequests',
};

/** /ato on a KMS client product: discovery, then one request to the first host that answers. */
export function activateKmsClient(sim: SimContext, client: MachineRow, product: ProductRow): ActivationOutcome {
  const { tx, now } = sim;
  const clientStatus = effectiveLicense(product, now).status;
  const minimumCount = product.minimumCount ?? 0;
  const clientTime = new Date(now).toISOString();

  for (const candidate of candidateHosts(sim, client, product)) {
    const hostLabel = `${candidate.name}:${candidate.port}`;
    tx.addEvent(client.id, KMS_CLIENT_REQUEST_EVENT, { kmsHost: hostLabel, cmid: client.cmid, clientTime, licenseState: LICENSE_STATUS_NAMES[clientStatus], minimumCount }, now);
    const found = reachableHost(sim, candidate, product.applicationId);
    if (!found) continue;

    const { machine: hostMachine, product: hostProduct } = found;
    const type = classifyHostKey({ groupId: hostProduct.keyGroup ?? -1, serial: hostProduct.keySerial ?? -1 });
    const covered = type !== undefined && product.kmsCountedId !== null && hostKeyCovers(type, product.kmsCountedId);
    // A refused product is not counted; any other request counts its CMID before the host answers.
    if (covered) tx.recordKmsClient(hostMachine.id, product.applicationId, client.cmid, now);
    const currentCount = tx.countKmsClients(hostMachine.id, product.applicationId, now - COUNT_WINDOW_MS, COUNT_CAP);
    const hresult = !covered ? SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH : currentCount >= minimumCount ? 0 : SL_E_VL_NOT_ENOUGH_COUNT;

    const counter = REQUEST_COUNTER[clientStatus] ?? 'kmsUnlicensedRequests';
    tx.updateProduct(hostMachine.id, hostProduct.skuId, {
      kmsTotalRequests: hostProduct.kmsTotalRequests + 1,
      kmsFailedRequests: hostProduct.kmsFailedRequests + (covered ? 0 : 1),
      [counter]: (hostProduct[counter] as number) + 1,
    });
    const resultCode = `0x${hex(hresult)}`;
    tx.addEvent(hostMachine.id, KMS_HOST_REQUEST_EVENT, {
      minimumCount, cmid: client.cmid, client: client.fqdn ?? client.name, clientTime, licenseState: LICENSE_STATUS_NAMES[clientStatus],
      resultCode, currentCount, kmsCountedId: product.kmsCountedId, activationId: product.skuId,
    }, now);

    const host: ReachedHost = { name: hostMachine.fqdn ?? hostMachine.name, port: candidate.port, ipAddress: hostMachine.ipAddress, extendedPid: hostProduct.extendedPid, currentCount };
    tx.addEvent(client.id, KMS_CLIENT_RESULT_EVENT, { kmsHost: hostLabel, resultCode, activationFlag: hresult === 0 ? 1 : 0, currentCount, kmsExtendedPid: host.extendedPid }, now);
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
  for (let due = sim.tx.nextDueAttempt(until); due; due = sim.tx.nextDueAttempt(until)) {
    const client = sim.tx.getMachine(due.machineId) as MachineRow;
    const product = sim.tx.getProduct(due.machineId, due.skuId) as ProductRow;
    const at = Math.max(due.at, sim.now);
    const tokenOnly = configuredActivationType(product, client) === 3;
    const outcome = product.partialKey === null || tokenOnly
      ? (sim.tx.updateProduct(client.id, product.skuId, { kmsNextAttemptAt: null }), null)
      : activateKmsClient({ ...sim, now: at }, client, product);
    if (outcome === null) continue;
    attempts += 1;
    if (outcome.ok) activated += 1;
  }
  return { attempts, activated, failed: attempts - activated };
}
