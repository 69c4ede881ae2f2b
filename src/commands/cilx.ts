// VAMT-style computer information lists (.cilx) for the lab: `slmgr lab export-cilx` writes the lab
// machines and their products, `slmgr lab import-cilx` reads them back. Microsoft publishes no
// .cilx schema; the elements VAMT 2.0's CIL documentation names (SoftwareLicensingData, Computers,
// Computer with Name/OSVersion/OSEdition/NetworkType/NetworkName/Id, MacAddresses, Products,
// Product, Sku with Id/Name/ApplicationId) are used as documented, and everything else the lab
// keeps travels in elements of our own namespace (slmgr:Machine, slmgr:Product, and a KMS host's
// slmgr:KmsClients), so that an export imported into a fresh store exports again identically.
// docs/cilx.md describes the format.
// Files contain no product key: a partial key and the key digest the store keeps, nothing more.

import { createHash } from 'node:crypto';
import { createLabMachine, LAB_DEFAULT_DOMAIN } from '../backends/sim/lab.js';
import { UsageError } from '../errors.js';
import { WINDOWS_APP_ID } from '../licensing/catalog.js';
import { childElement, childElements, escapeXml, parseXml, XmlRejected, type XmlElement } from '../licensing/xml.js';
import { PRODUCT_DEFAULTS } from '../store/repository.js';
import type { MachineRow, ProductRow } from '../store/types.js';
import type { LabContext } from './lab.js';

/** The namespace of the lab's own elements in a .cilx file. */
export const CILX_SLMGR_NS = 'urn:slmgr:lab-state:1';
export const CILX_VERSION = '2.0';
/** Largest .cilx file import-cilx reads (a lab of 50,000 clients exports about 90 MB). */
export const CILX_MAX_BYTES = 128 * 1024 * 1024;
const CILX_XML_LIMITS = { maxDepth: 16, maxElements: 5_000_000 };

export type CilxResult =
  | { kind: 'lab-cilx-exported'; file: string; computers: number; products: number }
  | { kind: 'lab-cilx-imported'; file: string; created: string[]; updated: string[]; products: number };

type FieldType = 'string' | 'string?' | 'int' | 'int?' | 'bool' | 'list';
interface Field {
  type: FieldType;
  min?: number;
  max?: number;
}

const INT: Field = { type: 'int', min: 0 };
const INT_OPT: Field = { type: 'int?', min: 0 };
const PORT: Field = { type: 'int?', min: 1, max: 65535 };

// What travels in slmgr:Machine: every column but the row id and the local flag (only lab machines
// are exported) and the name (Computer/@Name). A Record over the row's keys makes the compiler
// notice a new column.
const MACHINE_SCHEMA: Record<Exclude<keyof MachineRow, 'id' | 'isLocal' | 'name'>, Field> = {
  fqdn: { type: 'string?' },
  dnsDomain: { type: 'string?' },
  ipAddress: { type: 'string?' },
  cmid: { type: 'string' },
  createdAt: INT,
  serviceVersion: { type: 'string' },
  osBuild: INT,
  lcid: INT,
  remainingWindowsRearmCount: INT,
  keyInRegistry: { type: 'bool' },
  kmsMachine: { type: 'string?' },
  kmsPort: PORT,
  kmsLookupDomain: { type: 'string?' },
  kmsHostCaching: { type: 'bool' },
  kmsListeningPort: { type: 'int', min: 1, max: 65535 },
  kmsDnsPublishing: { type: 'bool' },
  kmsLowPriority: { type: 'bool' },
  vlActivationInterval: INT,
  vlRenewalInterval: INT,
  activationTypeEnabled: { type: 'int', min: 0, max: 3 },
  kmsPublishDomains: { type: 'list' },
  kmsPortBlocked: { type: 'bool' },
};

// slmgr:Product: every column but the machine and what Sku carries (Id, Name, ApplicationId).
const PRODUCT_SCHEMA: Record<Exclude<keyof ProductRow, 'machineId' | 'skuId' | 'name' | 'applicationId'>, Field> = {
  description: { type: 'string' },
  partialKey: { type: 'string?' },
  keyDigest: { type: 'string?' },
  keyGroup: INT_OPT,
  keySerial: INT_OPT,
  channel: { type: 'string?' },
  extendedPid: { type: 'string?' },
  installationId: { type: 'string?' },
  installedAt: INT_OPT,
  licenseStatus: { type: 'int', min: 0, max: 6 },
  graceEndsAt: INT_OPT,
  statusReason: { type: 'int?', min: 0, max: 0xffffffff },
  remainingSkuRearmCount: INT,
  remainingAppRearmCount: INT,
  activationTypeEnabled: { type: 'int', min: 0, max: 3 },
  kmsMachine: { type: 'string?' },
  kmsPort: PORT,
  kmsLookupDomain: { type: 'string?' },
  activatedAt: INT_OPT,
  kmsHostName: { type: 'string?' },
  kmsHostPort: PORT,
  kmsHostIp: { type: 'string?' },
  kmsHostEpid: { type: 'string?' },
  vlActivationInterval: INT_OPT,
  vlRenewalInterval: INT_OPT,
  kmsCountedId: { type: 'string?' },
  minimumCount: INT_OPT,
  hostKeyType: { type: 'string?' },
  kmsTotalRequests: INT,
  kmsFailedRequests: INT,
  kmsUnlicensedRequests: INT,
  kmsLicensedRequests: INT,
  kmsOobGraceRequests: INT,
  kmsOotGraceRequests: INT,
  kmsNonGenuineGraceRequests: INT,
  kmsNotificationRequests: INT,
  kmsNextAttemptAt: INT_OPT,
};

function encode(value: unknown, field: Field): string | null {
  if (value === null || value === undefined) return null;
  if (field.type === 'bool') return value ? 'true' : 'false';
  if (field.type === 'list') return (value as string[]).join(',');
  return String(value);
}

function attributesOf(row: Record<string, unknown>, schema: Record<string, Field>): string {
  return Object.entries(schema)
    .map(([name, field]) => [name, encode(row[name], field)] as const)
    .filter((entry): entry is readonly [string, string] => entry[1] !== null)
    .map(([name, value]) => ` ${name}="${escapeXml(value)}"`)
    .join('');
}

function decode(element: XmlElement, name: string, field: Field): unknown {
  const raw = element.attributes.get(name);
  const optional = field.type === 'string?' || field.type === 'int?';
  const where = `${element.localName}/@${name}`;
  if (raw === undefined) {
    if (optional) return null;
    throw new UsageError(`invalid .cilx file: ${where} is missing`);
  }
  switch (field.type) {
    case 'string':
    case 'string?':
      if (raw.length > 1024) throw new UsageError(`invalid .cilx file: ${where} is too long`);
      return raw;
    case 'bool':
      if (raw !== 'true' && raw !== 'false') throw new UsageError(`invalid .cilx file: ${where} is not true or false`);
      return raw === 'true';
    case 'list':
      return raw === '' ? [] : raw.split(',');
    default: {
      const n = /^-?\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < (field.min ?? Number.MIN_SAFE_INTEGER) || n > (field.max ?? Number.MAX_SAFE_INTEGER)) {
        throw new UsageError(`invalid .cilx file: ${where} is not a number in range`);
      }
      return n;
    }
  }
}

function rowFrom(element: XmlElement, schema: Record<string, Field>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(schema).map(([name, field]) => [name, decode(element, name, field)]));
}

/** VAMT's Computer Id: a GUID VAMT assigns; ours is derived from the name, so exports are stable. */
function computerId(name: string): string {
  const h = createHash('sha256').update(`slmgr lab computer: ${name.toLowerCase()}`).digest('hex');
  return `{${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((Number.parseInt(h[16] as string, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}}`;
}

/** The edition of the keyed Windows product ("ServerStandard"), VAMT's OSEdition; '' when none. */
function osEdition(products: readonly ProductRow[]): string {
  const windows = products.find((p) => p.applicationId === WINDOWS_APP_ID && p.partialKey !== null);
  return /^Windows(?:\(R\))?[^,]*, (\S+) edition$/.exec(windows?.name ?? '')?.[1] ?? '';
}

const byName = (a: { name: string }, b: { name: string }) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0);

/** The lab machines (never the local one) and every product they hold, as .cilx text. */
export function exportCilx(lab: LabContext): { xml: string; computers: number; products: number } {
  const machines = lab.tx.listMachines().filter((m) => !m.isLocal).sort(byName);
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<!-- VAMT-style computer information list of an slmgr lab (docs/cilx.md). No product keys: partial keys and key digests only. -->',
    `<SoftwareLicensingData Version="${CILX_VERSION}" xmlns:slmgr="${CILX_SLMGR_NS}">`,
    '  <Computers>',
  ];
  let productCount = 0;
  for (const m of machines) {
    const products = lab.tx.listProducts(m.id).sort((a, b) => (a.skuId < b.skuId ? -1 : a.skuId > b.skuId ? 1 : 0));
    productCount += products.length;
    const network = m.dnsDomain === null ? ' NetworkType="Workgroup" NetworkName="WORKGROUP"' : ` NetworkType="Domain" NetworkName="${escapeXml(m.dnsDomain)}"`;
    lines.push(
      `    <Computer Name="${escapeXml(m.name)}" Id="${computerId(m.name)}" OSVersion="10.0.${m.osBuild}" OSEdition="${escapeXml(osEdition(products))}"${network}>`,
      '      <MacAddresses />',
      `      <slmgr:Machine${attributesOf(m as unknown as Record<string, unknown>, MACHINE_SCHEMA)} />`,
      '      <Products>',
    );
    for (const p of products) {
      lines.push(
        '        <Product>',
        `          <Sku Id="${p.skuId}" Name="${escapeXml(p.name)}" ApplicationId="${p.applicationId}" />`,
        `          <slmgr:Product${attributesOf(p as unknown as Record<string, unknown>, PRODUCT_SCHEMA)} />`,
        '        </Product>',
      );
    }
    lines.push('      </Products>');
    // A KMS host's count: the CMIDs it has seen (the 30-day window is applied when counting).
    const clients = lab.tx.listKmsClients(m.id);
    if (clients.length > 0) {
      lines.push('      <slmgr:KmsClients>');
      for (const c of clients) lines.push(`        <slmgr:KmsClient applicationId="${escapeXml(c.applicationId)}" cmid="${escapeXml(c.cmid)}" lastSeen="${c.lastSeen}" />`);
      lines.push('      </slmgr:KmsClients>');
    }
    lines.push('    </Computer>');
  }
  lines.push('  </Computers>', '</SoftwareLicensingData>', '');
  return { xml: lines.join('\r\n'), computers: machines.length, products: productCount };
}

const GUID = /^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$/;
const MACHINE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const DOMAIN = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

interface ImportedComputer {
  name: string;
  domain: string | null;
  machine: Record<string, unknown> | null;
  products: ProductRow[];
  kmsClients: { applicationId: string; cmid: string; lastSeen: number }[];
}

const KMS_CLIENT_SCHEMA: Record<'applicationId' | 'cmid' | 'lastSeen', Field> = { applicationId: { type: 'string' }, cmid: { type: 'string' }, lastSeen: INT };

/** Elements of a .cilx are matched by local name: VAMT's namespace (if any) is not published. */
const vamtChildren = (parent: XmlElement, localName: string) => parent.children.filter((c) => c.localName === localName && c.namespace !== CILX_SLMGR_NS);
const vamtChild = (parent: XmlElement, localName: string) => vamtChildren(parent, localName)[0];

function readComputer(element: XmlElement): ImportedComputer {
  const name = element.attributes.get('Name') ?? '';
  if (!MACHINE_NAME.test(name)) throw new UsageError(`invalid .cilx file: computer name "${name.slice(0, 80)}" is not a lab machine name`);
  const networkName = element.attributes.get('NetworkName');
  const domain = element.attributes.get('NetworkType') === 'Domain' && networkName !== undefined && DOMAIN.test(networkName) ? networkName.toLowerCase() : null;
  const extension = childElement(element, CILX_SLMGR_NS, 'Machine');
  const machine = extension ? rowFrom(extension, MACHINE_SCHEMA) : null;
  const products: ProductRow[] = [];
  const container = vamtChild(element, 'Products');
  for (const product of container ? vamtChildren(container, 'Product') : []) {
    const sku = vamtChild(product, 'Sku');
    const skuId = GUID.exec(sku?.attributes.get('Id') ?? '')?.[1]?.toLowerCase();
    const applicationId = GUID.exec(sku?.attributes.get('ApplicationId') ?? '')?.[1]?.toLowerCase();
    const skuName = sku?.attributes.get('Name') ?? '';
    if (!skuId || !applicationId || skuName === '' || skuName.length > 256) {
      throw new UsageError(`invalid .cilx file: a product of ${name} has no valid Sku Id, Name and ApplicationId`);
    }
    if (products.some((p) => p.skuId === skuId)) throw new UsageError(`invalid .cilx file: ${name} lists product ${skuId} twice`);
    const state = childElement(product, CILX_SLMGR_NS, 'Product');
    // A product without our element (a file from elsewhere) arrives as an installed licence, unkeyed.
    const rest = state ? rowFrom(state, PRODUCT_SCHEMA) : { ...PRODUCT_DEFAULTS, description: skuName };
    products.push({ ...PRODUCT_DEFAULTS, ...rest, machineId: 0, skuId, applicationId, name: skuName } as ProductRow);
  }
  const clients = childElement(element, CILX_SLMGR_NS, 'KmsClients');
  const kmsClients = (clients ? childElements(clients, CILX_SLMGR_NS, 'KmsClient') : [])
    .map((c) => rowFrom(c, KMS_CLIENT_SCHEMA) as ImportedComputer['kmsClients'][number]);
  return { name, domain, machine, products, kmsClients };
}

/**
 * Reads a .cilx file and writes its computers into the lab: a new name becomes a lab machine, an
 * existing lab machine takes the file's settings; each listed product is installed or replaced,
 * other products stay. The whole file is checked before anything is written.
 */
export function importCilx(lab: LabContext, text: string): { created: string[]; updated: string[]; products: number } {
  let root: XmlElement;
  try {
    root = parseXml(text, CILX_XML_LIMITS);
  } catch (error) {
    if (error instanceof XmlRejected) throw new UsageError(`invalid .cilx file: ${error.message}`);
    throw error;
  }
  if (root.localName !== 'SoftwareLicensingData') throw new UsageError(`invalid .cilx file: the root element is ${root.qname.slice(0, 80)}, not SoftwareLicensingData`);
  const container = vamtChild(root, 'Computers');
  const computers = (container ? vamtChildren(container, 'Computer') : []).map(readComputer);
  const seen = new Set<string>();
  for (const c of computers) {
    const key = c.name.toLowerCase();
    if (seen.has(key)) throw new UsageError(`invalid .cilx file: computer ${c.name} is listed twice`);
    seen.add(key);
    if (lab.tx.findMachine(c.name)?.isLocal) throw new UsageError(`computer ${c.name} in the .cilx file is this machine; import-cilx only writes lab machines`);
  }

  const created: string[] = [];
  const updated: string[] = [];
  let products = 0;
  for (const c of computers) {
    const existing = lab.tx.findMachine(c.name);
    const machine = existing ?? createLabMachine(lab.tx, c.name, c.domain ?? LAB_DEFAULT_DOMAIN);
    (existing ? updated : created).push(machine.name);
    if (c.machine) lab.tx.updateMachine(machine.id, c.machine as Partial<MachineRow>);
    for (const p of c.products) lab.tx.putProduct({ ...p, machineId: machine.id });
    for (const k of c.kmsClients) lab.tx.recordKmsClient(machine.id, k.applicationId, k.cmid, k.lastSeen);
    products += c.products.length;
  }
  return { created, updated, products };
}

/** A .cilx file's text: UTF-16LE or UTF-8 by its BOM, else UTF-8 (what export-cilx writes). */
export function decodeCilxBytes(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return Buffer.from(bytes.buffer, bytes.byteOffset + 2, (bytes.length - 2) & ~1).toString('utf16le');
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return new TextDecoder('utf-8').decode(bytes.subarray(start));
}
