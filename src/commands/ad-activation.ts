// Active Directory-based activation: /ad-activation-online, /ad-activation-get-iid,
// /ad-activation-apply-cid, /ao-list and /del-ao, against the activation objects of the lab forest
// the local machine belongs to (src/backends/sim/ad.ts). As slmgr.vbs does, they run on the local
// machine only; naming another machine is refused with slmgr's own sentence.
//
// Activating a forest takes a KMS host key (CSVLK) of a type AD can use, and one activation of that
// key from the simulated Microsoft activation service: the service sees an activation from the
// computer that ran the command, so it counts against the same limits as /ato on a KMS host
// (6 computers, 10 times each; 0xC004C008 beyond). Online, the activation happens at once; by
// telephone, /ad-activation-get-iid shows the Installation ID of the key for the forest, the lab's
// phone centre turns it into a Confirmation ID, and /ad-activation-apply-cid deposits it.

import {
  activationObjectContainerDn,
  activationObjectDn,
  AO_CONTAINER_RDNS,
  AO_NAME_MAX_LENGTH,
  configurationNamingContext,
  deleteActivationObject,
  findActivationObjectByDn,
  forestOf,
  forestRootDn,
  hostKeyTypeSupportsAd,
  HR_ERROR_DS_NO_SUCH_OBJECT,
  listActivationObjects,
  putActivationObject,
  SL_E_VL_AD_AO_NAME_TOO_LONG,
  type ActivationObject,
} from '../backends/sim/ad.js';
import { HResultError, UsageError } from '../errors.js';
import { findCatalogByKey } from '../licensing/catalog.js';
import { checkConfirmationId, checkFailure, labConfirmationId, SL_E_CIDIID_MISMATCHED } from '../licensing/confirmation-id.js';
import { clientExtendedPid } from '../licensing/epid.js';
import { HOST_KEY_ROWS } from '../licensing/host-key-data.js';
import { classifyHostKey, hostEpidKeyFields, type HostKeyType } from '../licensing/host-keys.js';
import { SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED, SL_E_INVALID_PRODUCT_KEY, SL_E_PKEY_INVALID_CONFIG } from '../licensing/hresult-codes.js';
import { labInstallationId } from '../licensing/installation-id.js';
import { HOST_KEY_MAX_ACTIVATIONS_PER_HOST, HOST_KEY_MAX_HOSTS } from '../licensing/kms.js';
import { parseProductKey, secretProductKeyDigest, type DecodedKey, type ParsedProductKey } from '../licensing/product-key.js';
import { message } from '../render/messages.js';
import type { CommandContext } from './context.js';

/** An activation object as --json shows it (the lines of /ao-list). */
export interface ActivationObjectView {
  /** `Activation Object name:` (displayName, also the CN). */
  name: string;
  /** `Activation ID:` (msSPP-CSVLKSkuId; slmgr prints it upper-case in braces). */
  activationId: string;
  /** `Partial Product Key:` (msSPP-CSVLKPartialProductKey). */
  partialProductKey: string;
  /** `AO extended PID:` (msSPP-CSVLKPid). */
  extendedPid: string;
  /** `AO DN:` */
  dn: string;
  forest: string;
  activatedAt: string;
  /** `online` (/ad-activation-online) or `phone` (/ad-activation-apply-cid). */
  method: 'online' | 'phone';
  /** Made with a lab host key (a lab-only key group). */
  labKey: boolean;
}

export interface AdActivationResult {
  kind: 'ad-activation';
  method: 'online' | 'phone';
  activationObject: ActivationObjectView;
  /** An AO of the same DN existed and was replaced. */
  replaced: boolean;
}

export interface AdInstallationIdResult {
  kind: 'ad-installation-id';
  forest: string;
  partialProductKey: string;
  installationId: string;
}

export interface ActivationObjectListResult {
  kind: 'activation-objects';
  forest: string;
  containerDn: string;
  activationObjects: ActivationObjectView[];
}

export interface ActivationObjectDeletionResult {
  kind: 'activation-object-deleted';
  /** The DN looked up: as given, or built from the RDN given (then slmgr prints it first). */
  dn: string;
  constructedDn: boolean;
  deleted: ActivationObjectView | null;
  /** 0x80072030 (no such object) when nothing has that DN. */
  failure: { hresult: number; network: false } | null;
}

export type AdCommandResult = AdActivationResult | AdInstallationIdResult | ActivationObjectListResult | ActivationObjectDeletionResult;

/** slmgr refuses its AD options on a remote computer (FailRemoteExec); a lab machine is one. */
function requireLocal(ctx: CommandContext): void {
  if (!ctx.machine.isLocal) throw new UsageError(message('MsgRemoteExecNotSupported'), { slmgrText: true });
}

function view(ao: ActivationObject): ActivationObjectView {
  return {
    name: ao.name,
    activationId: ao.activationId,
    partialProductKey: ao.partialProductKey,
    extendedPid: ao.extendedPid,
    dn: ao.dn,
    forest: ao.forest,
    activatedAt: new Date(ao.activatedAt).toISOString(),
    method: ao.method,
    labKey: ao.labKey,
  };
}

interface ForestKey {
  parsed: ParsedProductKey;
  decoded: DecodedKey;
  type: HostKeyType;
}

/**
 * A key that can activate a forest: a KMS host key (CSVLK) of a type that covers clients AD can
 * activate (Windows 8 / Server 2012 / Office 2013 and later). A mistyped key or any other known key
 * is 0xC004F050; a well-formed key no configuration knows is 0xC004E016, as with /ipk.
 */
function forestKey(typed: string): ForestKey {
  const parsed = parseProductKey(typed);
  const type = parsed.decoded ? classifyHostKey(parsed.decoded) : undefined;
  if (!type || !parsed.decoded) {
    const unknown = parsed.format === 'pkey2009' && findCatalogByKey(parsed.key) === undefined;
    throw new HResultError(unknown ? SL_E_PKEY_INVALID_CONFIG : SL_E_INVALID_PRODUCT_KEY);
  }
  if (!hostKeyTypeSupportsAd(type)) throw new HResultError(SL_E_INVALID_PRODUCT_KEY);
  return { parsed, decoded: parsed.decoded, type };
}

/**
 * The key's product description, as the key's configuration (pkeyconfig ProductDescription) names
 * it; a lab key has that of the type it behaves like. Office LTSC 2024 has none in the reference,
 * so its type's display name stands in.
 */
function productDescription(type: HostKeyType): string {
  const row = HOST_KEY_ROWS.find((r) => r.csvlkActivationId === type.csvlkActivationId);
  return row?.microsoftDescription ?? type.displayName.replace(/ \(lab key\)$/, '');
}

/** The AO's name: the one given (at most 40 characters), else the key's product description. */
function objectName(key: ForestKey, given: string | undefined): string {
  if (given === undefined || given.trim() === '') return productDescription(key.type);
  if ([...given].length > AO_NAME_MAX_LENGTH) throw new HResultError(SL_E_VL_AD_AO_NAME_TOO_LONG);
  return given;
}

/** The forest's Installation ID for a key: stable for the key in that forest, different in any other. */
function forestInstallationId(digest: string, forest: string): string {
  return labInstallationId(digest, `forest:${forestRootDn(forest)}`);
}

/** One activation of the key by the simulated activation service, for the computer running the command. */
function useKeyActivation(ctx: CommandContext, digest: string): void {
  const uses = ctx.tx.hostKeyActivations(digest);
  const mine = uses.find((u) => u.machineId === ctx.machine.id);
  const exhausted = mine ? mine.activations >= HOST_KEY_MAX_ACTIVATIONS_PER_HOST : uses.length >= HOST_KEY_MAX_HOSTS;
  if (exhausted) throw new HResultError(SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED);
  ctx.tx.addHostKeyActivation(digest, ctx.machine.id);
}

function activateForest(ctx: CommandContext, key: ForestKey, digest: string, name: string, method: 'online' | 'phone'): AdActivationResult {
  useKeyActivation(ctx, digest);
  const forest = forestOf(ctx.machine);
  const ao: ActivationObject = {
    name,
    dn: activationObjectDn(name, forest),
    forest,
    activationId: key.type.csvlkActivationId,
    partialProductKey: key.parsed.partialKey,
    extendedPid: clientExtendedPid({
      ...hostEpidKeyFields(key.type, key.decoded),
      osBuild: ctx.machine.osBuild,
      lcid: ctx.machine.lcid,
      installedAt: new Date(ctx.now),
    }),
    keyGroup: key.decoded.groupId,
    keySerial: key.decoded.serial,
    activatedAt: ctx.now,
    method,
    labKey: key.type.lab,
  };
  const replaced = putActivationObject(ctx.tx, ao);
  return { kind: 'ad-activation', method, activationObject: view(ao), replaced };
}

/** /ad-activation-online <Product Key> [Activation Object name] */
export function activateForestOnline(ctx: CommandContext, args: readonly string[]): AdActivationResult {
  requireLocal(ctx);
  const key = forestKey(args[0] as string);
  const name = objectName(key, args[1]);
  return activateForest(ctx, key, secretProductKeyDigest(key.parsed.key), name, 'online');
}

/** /ad-activation-get-iid <Product Key> */
export function forestInstallationIdFor(ctx: CommandContext, args: readonly string[]): AdInstallationIdResult {
  requireLocal(ctx);
  const key = forestKey(args[0] as string);
  const forest = forestOf(ctx.machine);
  return {
    kind: 'ad-installation-id',
    forest,
    partialProductKey: key.parsed.partialKey,
    installationId: forestInstallationId(secretProductKeyDigest(key.parsed.key), forest),
  };
}

/** /ad-activation-apply-cid <Product Key> <Confirmation ID> [Activation Object name] */
export function activateForestByPhone(ctx: CommandContext, args: readonly string[]): AdActivationResult {
  requireLocal(ctx);
  const key = forestKey(args[0] as string);
  const check = checkConfirmationId(args[1] as string);
  if (!check.ok) throw new HResultError(checkFailure(check));
  const digest = secretProductKeyDigest(key.parsed.key);
  if (check.digits !== labConfirmationId(forestInstallationId(digest, forestOf(ctx.machine)))) throw new HResultError(SL_E_CIDIID_MISMATCHED);
  const name = objectName(key, args[2]);
  return activateForest(ctx, key, digest, name, 'phone');
}

/** /ao-list */
export function listForestActivationObjects(ctx: CommandContext): ActivationObjectListResult {
  requireLocal(ctx);
  const forest = forestOf(ctx.machine);
  return {
    kind: 'activation-objects',
    forest,
    containerDn: activationObjectContainerDn(forest),
    activationObjects: listActivationObjects(ctx.tx, forest).map(view),
  };
}

/**
 * /del-ao <Activation Object DN | Activation Object RDN>, read as slmgr reads it: a value containing
 * ",cn=" is a DN; otherwise an RDN ("CN=name", or a bare name that gets "CN=") completed with the
 * container of the local machine's forest, and that DN is shown before the outcome.
 */
export function deleteForestActivationObject(ctx: CommandContext, args: readonly string[]): ActivationObjectDeletionResult {
  requireLocal(ctx);
  const given = args[0] as string;
  const suffix = AO_CONTAINER_RDNS + configurationNamingContext(forestOf(ctx.machine));
  const constructedDn = !given.toLowerCase().includes(',cn=');
  const dn = !constructedDn ? given : given.toLowerCase().startsWith('cn=') ? `${given},${suffix}` : `CN=${given},${suffix}`;
  const ao = findActivationObjectByDn(ctx.tx, dn);
  if (!ao) return { kind: 'activation-object-deleted', dn, constructedDn, deleted: null, failure: { hresult: HR_ERROR_DS_NO_SUCH_OBJECT, network: false } };
  deleteActivationObject(ctx.tx, ao);
  return { kind: 'activation-object-deleted', dn, constructedDn, deleted: view(ao), failure: null };
}
