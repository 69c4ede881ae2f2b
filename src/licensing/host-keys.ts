// KMS host key (CSVLK) types: which type a decoded host key is, what its host product is called, and
// which KMS counted IDs it activates. The rows live in the generated host-key-data.ts
// (scripts/build-host-keys.mjs, see docs/lab-keys.md); this module only indexes them.
// No host key is stored anywhere in src/: a real key is recognised by its group and serial, a lab key
// by its lab-only group (990001–990016), and neither is ever printed beyond its last five characters.

import { HOST_KEY_ROWS, LAB_HOST_KEY_GROUPS } from './host-key-data.js';

export type HostKeyApplication = 'windows' | 'office';

export interface KeyIdRange {
  readonly start: number;
  readonly end: number;
}

/** One csvlkCatalog entry with its host-product strings, as generated into host-key-data.ts. */
export interface HostKeyRow {
  readonly csvlkActivationId: string;
  readonly displayName: string;
  /** Microsoft's own "Internal Lab" CSVLKs (not the project's lab keys). */
  readonly isLab: boolean;
  readonly isPreview: boolean;
  readonly groupId: number;
  readonly keyIdRanges: readonly KeyIdRange[];
  readonly activatesKmsCountedIds: readonly string[];
  /** pkeyconfig ProductDescription; null where the reference has none (Office 2024). */
  readonly microsoftDescription: string | null;
  readonly application: HostKeyApplication;
  readonly applicationId: string;
  readonly hostEditionId: string;
  readonly hostProductName: string;
  readonly hostProductDescription: string;
  /** The Description (and the Name form) is seen in real output; otherwise a reconstruction. */
  readonly hostStringsConfirmed: boolean;
}

/** A lab-only key group and the csvlkActivationId it behaves like. */
export interface LabHostKeyGroup {
  readonly id: string;
  readonly groupId: number;
  readonly behavesLike: string;
}

export interface HostKeyType {
  /** The CSVLK's Activation ID; a lab key reports the one of the type it behaves like. */
  csvlkActivationId: string;
  displayName: string;
  /** True for the project's lab keys (lab-only key groups), never for a key Microsoft issued. */
  lab: boolean;
  /** The key's own group: 990001–990016 for lab keys. */
  groupId: number;
  activatesKmsCountedIds: readonly string[];
  application: HostKeyApplication;
  /** SPP application the host counts for: Windows, Office 2013+ (0ff1ce15-…) or Office 2010 (59a52881-…). */
  applicationId: string;
  /** SoftwareLicensingProduct.Name on the host, e.g. "Windows(R), ServerStandard edition". */
  hostProductName: string;
  /** SoftwareLicensingProduct.Description on the host; contains VOLUME_KMS, never VOLUME_KMSCLIENT. */
  hostProductDescription: string;
  hostEditionId: string;
  /** Whether real output confirms hostProductName/Description (docs/lab-keys.md). */
  hostStringsConfirmed: boolean;
  /** Microsoft's "Internal Lab" CSVLK entries. */
  microsoftInternalLab: boolean;
  preview: boolean;
  /**
   * The CSVLK's key group and key-ID ranges in Microsoft's pkeyconfig (for a lab key: those of the
   * type it behaves like). They are what a host ePID carries (epid.md §6); a lab group (990001+)
   * does not fit the ePID's five-digit group field.
   */
  csvlkGroupId: number;
  keyIdRanges: readonly KeyIdRange[];
  /** The lab key type id (`ws2019`, `office2021`, …) for lab keys; null for real keys. */
  labKeyId: string | null;
}

/** The lab-only key groups: Microsoft's groups are all far below (the reference's are < 6000). */
export const LAB_KEY_GROUP_MIN = 990001;
export const LAB_KEY_GROUP_MAX = 990016;

export function isLabKeyGroup(groupId: number): boolean {
  return Number.isInteger(groupId) && groupId >= LAB_KEY_GROUP_MIN && groupId <= LAB_KEY_GROUP_MAX;
}

function toType(row: HostKeyRow): HostKeyType {
  return {
    csvlkActivationId: row.csvlkActivationId,
    displayName: row.displayName,
    lab: false,
    groupId: row.groupId,
    activatesKmsCountedIds: row.activatesKmsCountedIds,
    application: row.application,
    applicationId: row.applicationId,
    hostProductName: row.hostProductName,
    hostProductDescription: row.hostProductDescription,
    hostEditionId: row.hostEditionId,
    hostStringsConfirmed: row.hostStringsConfirmed,
    microsoftInternalLab: row.isLab,
    preview: row.isPreview,
    csvlkGroupId: row.groupId,
    keyIdRanges: row.keyIdRanges,
    labKeyId: null,
  };
}

/** Every CSVLK type of the reference catalog, in its order (45 entries). */
export const hostKeyTypes: readonly HostKeyType[] = HOST_KEY_ROWS.map((row) => Object.freeze(toType(row)));

let byActivationId: Map<string, HostKeyType> | undefined;
let byGroup: Map<number, HostKeyType[]> | undefined;
let labTypes: Map<number, HostKeyType> | undefined;
const coverage = new WeakMap<HostKeyType, ReadonlySet<string>>();

function activationIndex(): Map<string, HostKeyType> {
  byActivationId ??= new Map(hostKeyTypes.map((t) => [t.csvlkActivationId, t]));
  return byActivationId;
}

function groupIndex(): Map<number, HostKeyType[]> {
  if (!byGroup) {
    byGroup = new Map();
    for (const t of hostKeyTypes) {
      const list = byGroup.get(t.groupId);
      if (list) list.push(t);
      else byGroup.set(t.groupId, [t]);
    }
  }
  return byGroup;
}

function labIndex(): Map<number, HostKeyType> {
  if (!labTypes) {
    labTypes = new Map();
    for (const g of LAB_HOST_KEY_GROUPS) {
      const base = activationIndex().get(g.behavesLike);
      // build-host-keys.mjs refuses a lab group whose target is missing; this only guards edits.
      if (!base) continue;
      labTypes.set(
        g.groupId,
        Object.freeze({ ...base, lab: true, displayName: `${base.displayName} (lab key)`, groupId: g.groupId, labKeyId: g.id }),
      );
    }
  }
  return labTypes;
}

/** The lab host-key types, one per lab group, in group order. */
export function labHostKeyTypes(): readonly HostKeyType[] {
  return [...labIndex().values()];
}

function bareGuid(id: string): string {
  return id.trim().replace(/^\{(.*)\}$/, '$1').toLowerCase();
}

/** A CSVLK type by Activation ID (case-insensitive, braces optional). Never a lab type. */
export function findHostKeyType(csvlkActivationId: string): HostKeyType | undefined {
  return activationIndex().get(bareGuid(csvlkActivationId));
}

/**
 * The host-key type of a decoded pkey2009 key, or undefined when it is none. A lab group maps to the
 * type it behaves like; a real key needs its group AND a serial inside one of that CSVLK's key-ID
 * ranges, because one group (206) holds many CSVLKs and only the range tells them apart. Ranges
 * never overlap within a group (build-host-keys.mjs refuses the data otherwise), so at most one
 * entry matches.
 */
export function classifyHostKey(decoded: { groupId: number; serial: number }): HostKeyType | undefined {
  const { groupId, serial } = decoded;
  if (isLabKeyGroup(groupId)) return labIndex().get(groupId);
  const candidates = groupIndex().get(groupId);
  if (!candidates || !Number.isInteger(serial)) return undefined;
  return candidates.find((t) => t.keyIdRanges.some((r) => serial >= r.start && serial <= r.end));
}

/** Whether a host with this key type activates clients that send this KMS counted ID. */
export function hostKeyCovers(type: HostKeyType, kmsCountedId: string): boolean {
  let ids = coverage.get(type);
  if (!ids) {
    ids = new Set(type.activatesKmsCountedIds);
    coverage.set(type, ids);
  }
  return ids.has(bareGuid(kmsCountedId));
}

/**
 * slmgr's own test for a KMS host product (slmgr-reference.md, `/ipk`): the Description contains
 * `VOLUME_KMS` but not `VOLUME_KMSCLIENT`.
 */
export function isKmsHostDescription(description: string): boolean {
  return description.includes('VOLUME_KMS') && !description.includes('VOLUME_KMSCLIENT');
}

/**
 * The group and key ID a host's ePID carries (epid.md §1, §6). A real host key carries its own; a
 * lab key carries its type's CSVLK group and a key ID at the start of that CSVLK's first range, as
 * KMS emulators do, because a lab group (990001+) does not fit the ePID's five-digit group field.
 */
export function hostEpidKeyFields(type: HostKeyType, decoded: { groupId: number; serial: number }): { groupId: number; serial: number } {
  if (!type.lab) return decoded;
  return { groupId: type.csvlkGroupId, serial: (type.keyIdRanges[0]?.start ?? 0) + decoded.serial };
}
