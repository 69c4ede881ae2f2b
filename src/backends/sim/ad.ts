// Active Directory-based activation in the lab: the forests, their activation objects (AOs), and
// a KMS client activating through its forest.
//
// Forests. Each DNS domain of the lab is the root of a single-domain forest of the same name:
// lab.test is the forest DC=lab,DC=test. A machine belongs to the forest of its DNS domain; the
// local machine, which has none in the lab, to the lab's default domain (lab.test).
//
// Activation objects. As in AD DS, an AO is an msSPP-ActivationObject in
// CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,<forest root DN>, named by
// its CN (the AO name, also its displayName) and carrying the CSVLK's SKU ID (msSPP-CSVLKSkuId),
// the host ePID the activation service issued (msSPP-CSVLKPid) and the key's last five characters
// (msSPP-CSVLKPartialProductKey). The store keeps them lab-wide (licensing objects of kind
// `ad-activation-object`, machine null), one per DN. Never the key itself.
//
// Client activation. A domain member's KMS client product whose forest holds an AO covering it
// activates through AD before KMS when its activation type is 0 (all) or 1 (AD); with 2 (KMS) it
// never looks. AD activation, like Windows', needs a Windows 8 / Server 2012 / Office 2013 or later
// client (KMS protocol V5 or V6) and no count. It lasts 180 days and is renewed with the forest
// every renewal interval (7 days by default), each renewal restarting the 180 days; a client whose
// AO was deleted keeps its activation until a renewal fails, then falls back to KMS (type 0) or
// fails with 0xC004F081 (type 1). What /dlv shows of it (the AD client block) is kept per product
// as a licensing object of kind `ad-activation`.

import type { StoreTx } from '../../store/store.js';
import type { MachineRow, ProductRow } from '../../store/types.js';
import { catalogRows, findCatalogBySkuId, OFFICE2010_APP_ID, type CatalogRow } from '../../licensing/catalog.js';
import { classifyHostKey, hostKeyCovers, type HostKeyType } from '../../licensing/host-keys.js';
import { configuredActivationType, KMS_ACTIVATION_VALIDITY_MS, LicenseStatus, MINUTE_MS, NO_KMS_ACTIVATION } from '../../licensing/license-state.js';
import type { ActivationOutcome, SimContext } from './activation.js';
import { AD_CLIENT_KIND, type AdClientActivation } from './ad-record.js';
import { LAB_DEFAULT_DOMAIN } from './lab.js';

/** SL_E_VL_AD_AO_NOT_FOUND: no AO could activate the product (AD-only clients). */
export const SL_E_VL_AD_AO_NOT_FOUND = 0xc004f081;
/** SL_E_VL_AD_AO_NAME_TOO_LONG: an AO name longer than 40 characters. */
export const SL_E_VL_AD_AO_NAME_TOO_LONG = 0xc004f082;
/** HRESULT_FROM_WIN32(ERROR_DS_NO_SUCH_OBJECT): /del-ao names no object (slmgr's HR_ERROR_DS_NO_SUCH_OBJECT). */
export const HR_ERROR_DS_NO_SUCH_OBJECT = 0x80072030;

/** The longest AO name the /name option of the documentation allows (Unicode characters). */
export const AO_NAME_MAX_LENGTH = 40;

export const AO_KIND = 'ad-activation-object';

/** slmgr's ADActObjContainer: the AO container's RDNs below the configuration naming context. */
export const AO_CONTAINER_RDNS = 'CN=Activation Objects,CN=Microsoft SPP,CN=Services,';

const ACTIVATION_TYPE_ALL = 0;
const ACTIVATION_TYPE_AD = 1;

/** One activation object of a lab forest, as the store keeps it. */
export interface ActivationObject {
  /** displayName and CN. */
  name: string;
  /** distinguishedName, with the name escaped as RFC 4514 asks. */
  dn: string;
  /** The forest's DNS name, e.g. lab.test. */
  forest: string;
  /** msSPP-CSVLKSkuId: the CSVLK's Activation ID (a lab key reports the type it behaves like). */
  activationId: string;
  /** msSPP-CSVLKPartialProductKey. */
  partialProductKey: string;
  /** msSPP-CSVLKPid: the extended PID the activation service issued for the forest. */
  extendedPid: string;
  /** The key's decoded group and serial, which say which clients the AO activates. */
  keyGroup: number;
  keySerial: number;
  activatedAt: number;
  /** How the forest was activated: online, or by telephone with a confirmation ID. */
  method: 'online' | 'phone';
  /** A lab host key made it (a lab-only key group). */
  labKey: boolean;
}

/** The forest a machine belongs to: that of its DNS domain, else the lab's default domain. */
export function forestOf(machine: MachineRow): string {
  return (machine.dnsDomain ?? LAB_DEFAULT_DOMAIN).replace(/\.$/, '').toLowerCase();
}

/** Characters RFC 4514 escapes anywhere in an attribute value. */
const RDN_SPECIAL = /[",+;<>\\]/g;

export function escapeRdnValue(value: string): string {
  let escaped = value.replace(RDN_SPECIAL, (c) => `\\${c}`);
  if (escaped.startsWith(' ') || escaped.startsWith('#')) escaped = `\\${escaped}`;
  if (escaped.endsWith(' ') && !escaped.endsWith('\\ ')) escaped = `${escaped.slice(0, -1)}\\ `;
  return escaped;
}

/** DC=lab,DC=test for lab.test. */
export function forestRootDn(forest: string): string {
  return forest.split('.').map((label) => `DC=${escapeRdnValue(label)}`).join(',');
}

/** The configuration naming context, what rootDSE's configurationNamingContext names. */
export function configurationNamingContext(forest: string): string {
  return `CN=Configuration,${forestRootDn(forest)}`;
}

export function activationObjectContainerDn(forest: string): string {
  return AO_CONTAINER_RDNS + configurationNamingContext(forest);
}

export function activationObjectDn(name: string, forest: string): string {
  return `CN=${escapeRdnValue(name)},${activationObjectContainerDn(forest)}`;
}

/**
 * A DN reduced for comparison: RDNs split at unescaped commas, spaces around them dropped, escapes
 * resolved, case folded. Null when a part is not `type=value`.
 */
export function normaliseDn(dn: string): string | null {
  const rdns: string[] = [];
  let current = '';
  for (let i = 0; i < dn.length; i++) {
    const c = dn[i] as string;
    if (c === '\\' && i + 1 < dn.length) {
      current += c + (dn[i + 1] as string);
      i += 1;
    } else if (c === ',') {
      rdns.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  rdns.push(current);
  const parts: string[] = [];
  for (const rdn of rdns) {
    const eq = rdn.indexOf('=');
    if (eq <= 0) return null;
    const type = rdn.slice(0, eq).trim().toLowerCase();
    const raw = rdn.slice(eq + 1).replace(/^\s+/, '').replace(/(?<!\\)\s+$/, '');
    const value = raw.replace(/\\([0-9a-fA-F]{2}|.)/g, (_, e: string) => (e.length === 2 ? String.fromCharCode(parseInt(e, 16)) : e));
    if (type === '' || value === '') return null;
    parts.push(`${type}=${value.toLowerCase()}`);
  }
  return parts.join(',');
}

function toActivationObject(data: Record<string, unknown>): ActivationObject {
  return data as unknown as ActivationObject;
}

/** The AOs of a forest (every forest when omitted), oldest first. */
export function listActivationObjects(tx: StoreTx, forest?: string): ActivationObject[] {
  const all = tx.listObjects(AO_KIND, null).map((o) => toActivationObject(o.data));
  return forest === undefined ? all : all.filter((ao) => ao.forest === forest.toLowerCase());
}

/** The AO a DN names, however it is spelled (case, spaces after commas, escapes). */
export function findActivationObjectByDn(tx: StoreTx, dn: string): ActivationObject | undefined {
  const wanted = normaliseDn(dn);
  if (wanted === null) return undefined;
  return listActivationObjects(tx).find((ao) => normaliseDn(ao.dn) === wanted);
}

/** Creates the AO, or replaces the one with the same DN. Returns whether one was replaced. */
export function putActivationObject(tx: StoreTx, ao: ActivationObject): boolean {
  const existing = findActivationObjectByDn(tx, ao.dn);
  if (existing) tx.deleteObject(AO_KIND, null, existing.dn);
  tx.putObject(AO_KIND, null, ao.dn, { ...ao });
  return existing !== undefined;
}

export function deleteActivationObject(tx: StoreTx, ao: ActivationObject): void {
  tx.deleteObject(AO_KIND, null, ao.dn);
}

/** AD-based activation exists from Windows 8 / Server 2012 / Office 2013 on: KMS protocol V5 and V6 clients. */
function clientSupportsAd(row: CatalogRow): boolean {
  return row.defaultKmsProtocol !== '4.0' && row.applicationId !== OFFICE2010_APP_ID;
}

/** Whether a CSVLK type can activate a forest: it covers at least one client that AD can activate. */
export function hostKeyTypeSupportsAd(type: HostKeyType): boolean {
  if (type.applicationId === OFFICE2010_APP_ID) return false;
  const ids = new Set(type.activatesKmsCountedIds);
  return catalogRows.some((row) => ids.has(row.kmsCountedId) && clientSupportsAd(row));
}

/** Whether the AO activates this KMS client product. */
export function activationObjectCovers(ao: ActivationObject, product: ProductRow): boolean {
  if (product.kmsCountedId === null) return false;
  const row = findCatalogBySkuId(product.skuId);
  if (!row || !clientSupportsAd(row)) return false;
  const type = classifyHostKey({ groupId: ao.keyGroup, serial: ao.keySerial });
  return type !== undefined && hostKeyCovers(type, product.kmsCountedId);
}

/**
 * The AOs of a forest, read once per batch of activations (lab clients, the attempts due at one
 * instant): only clients act in a batch, so its forests do not change.
 */
const batchObjects = new WeakMap<object, Map<string, ActivationObject[]>>();

function forestObjects(sim: SimContext, forest: string): ActivationObject[] {
  if (sim.batch === undefined) return listActivationObjects(sim.tx, forest);
  let forests = batchObjects.get(sim.batch);
  if (!forests) {
    forests = new Map();
    batchObjects.set(sim.batch, forests);
  }
  let objects = forests.get(forest);
  if (!objects) {
    objects = listActivationObjects(sim.tx, forest);
    forests.set(forest, objects);
  }
  return objects;
}

/**
 * The AD half of a KMS client's activation (`/ato`, lab clients, automatic attempts): null when AD
 * does not apply and KMS should be tried, otherwise the outcome. Type 1 (AD only) without a
 * covering AO fails with 0xC004F081 and retries after the activation interval, as a KMS failure does.
 */
export function activateThroughForest(sim: SimContext, client: MachineRow, product: ProductRow): ActivationOutcome | null {
  if (product.kmsCountedId === null) return null;
  const type = configuredActivationType(product, client);
  if (type !== ACTIVATION_TYPE_ALL && type !== ACTIVATION_TYPE_AD) return null;
  const ao = forestObjects(sim, forestOf(client)).find((candidate) => activationObjectCovers(candidate, product));
  if (!ao) {
    if (type === ACTIVATION_TYPE_ALL) return null;
    const interval = product.vlActivationInterval ?? client.vlActivationInterval;
    sim.tx.updateProduct(client.id, product.skuId, { kmsNextAttemptAt: sim.now + interval * MINUTE_MS });
    return { ok: false, hresult: SL_E_VL_AD_AO_NOT_FOUND, host: null };
  }
  sim.tx.updateProduct(client.id, product.skuId, {
    licenseStatus: LicenseStatus.Licensed,
    graceEndsAt: sim.now + KMS_ACTIVATION_VALIDITY_MS,
    statusReason: null,
    activatedAt: sim.now,
    // VLActivationType 1: the last activation is not a KMS one.
    ...NO_KMS_ACTIVATION,
    // Renewed with the forest every renewal interval, as a KMS activation is.
    kmsNextAttemptAt: sim.now + client.vlRenewalInterval * MINUTE_MS,
  });
  const record: AdClientActivation = {
    activationObjectName: ao.name,
    activationObjectDn: ao.dn,
    extendedPid: ao.extendedPid,
    activationId: ao.activationId,
    activatedAt: sim.now,
  };
  sim.tx.putObject(AD_CLIENT_KIND, client.id, product.skuId, { ...record });
  return { ok: true, host: null };
}
