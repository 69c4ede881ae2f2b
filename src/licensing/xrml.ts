// XrML licence files (`*.xrm-ms`), as `/ilc` installs them: an `rg:licenseGroup` of `r:license`
// elements (or one bare `r:license`), each with a `licenseId` and, under
// `r:otherInfo/tm:infoTables/tm:infoList`, `tm:infoStr` entries (productSkuId, applicationId,
// productName …) and `tm:infoBin` entries. A product-key configuration licence (Windows'
// `pkeyconfig*.xrm-ms`) carries a base64 `ProductKeyConfiguration` document in
// `tm:infoBin name="pkeyConfigData"`: which key group and serial range is which Activation ID,
// edition and key type. docs/licenses.md describes what is read and what is refused.
// Signatures (`r:issuer/Signature`) are not verified: the lab has no Microsoft keys to verify with.

import { childElement, childElements, descendants, parseXml, XmlRejected, type XmlElement, type XmlLimits, type XmlProblem } from './xml.js';

/** Largest licence file /ilc reads, in bytes (Microsoft's own pkeyconfig files are smaller). */
export const LICENSE_FILE_MAX_BYTES = 4 * 1024 * 1024;
/** Most licences one file may hold. */
export const MAX_LICENSES_PER_FILE = 64;
export const MAX_KEY_CONFIGURATIONS = 20_000;
export const MAX_KEY_RANGES = 100_000;

export const REL_R_NS = 'urn:mpeg:mpeg21:2003:01-REL-R-NS';
export const XRML_TM_NS = 'http://www.microsoft.com/DRM/XrML2/TM/v2';
export const PKEY_CONFIG_NS = 'http://www.microsoft.com/DRM/PKEY/Configuration/2.0';
export const PKEY_2009_ALGORITHM = 'msft:rm/algorithm/pkey/2009';

const LICENSE_XML_LIMITS: XmlLimits = { maxDepth: 48, maxElements: 100_000 };
const PKEY_CONFIG_XML_LIMITS: XmlLimits = { maxDepth: 16, maxElements: 1_000_000 };

export type LicenseFileProblem =
  | 'too-large'
  | 'empty'
  | XmlProblem
  | 'wrong-root'
  | 'bad-license'
  | 'bad-pkey-config';

/** A licence file that /ilc refuses; `problem` says why (docs/licenses.md lists them). */
export class LicenseFileError extends Error {
  override readonly name = 'LicenseFileError';
  readonly problem: LicenseFileProblem;
  constructor(problem: LicenseFileProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}

export type LicenseFileEncoding = 'utf-16le' | 'utf-8' | 'ansi';

/** One `Configuration` of a ProductKeyConfiguration: a key group and what its keys install. */
export interface KeyConfiguration {
  /** The Activation ID (SKU ID) keys of this configuration install; lower case, no braces. */
  actConfigId: string;
  /** The pkey2009 key group (bits 0–19 of a key). */
  refGroupId: number;
  editionId: string;
  productDescription: string;
  /** Volume:GVLK, Volume:MAK, Volume:CSVLK, Retail, OEM:DM, OEM:NONSLP … (SoftwareLicensingProduct.ProductKeyChannel). */
  productKeyType: string;
  isRandomized: boolean;
}

/** One `KeyRange`: the serials of a configuration's group that are (or are not) valid keys. */
export interface KeyRange {
  refActConfigId: string;
  partNumber: string;
  eulaType: string;
  isValid: boolean;
  start: number;
  end: number;
}

/** A `PublicKey` entry without its value: which algorithm a group's keys use. */
export interface KeyGroupAlgorithm {
  groupId: number;
  algorithmId: string;
}

export interface ProductKeyConfiguration {
  configurations: KeyConfiguration[];
  keyRanges: KeyRange[];
  publicKeys: KeyGroupAlgorithm[];
}

export type XrmlLicenseKind = 'product-key-configuration' | 'sku' | 'other';

export interface XrmlLicense {
  /** `licenseId`, lower case, no braces. */
  licenseId: string;
  title: string | null;
  kind: XrmlLicenseKind;
  licenseType: string | null;
  licenseCategory: string | null;
  /** The SKU (Activation ID) a product licence is for. */
  productSkuId: string | null;
  applicationId: string | null;
  productName: string | null;
  productDescription: string | null;
  family: string | null;
  /** Only for a product-key configuration licence. */
  productKeyConfiguration: ProductKeyConfiguration | null;
}

export interface LicenseFile {
  encoding: LicenseFileEncoding;
  licenses: XrmlLicense[];
}

/**
 * Bytes to text as slmgr reads a licence file (ADODB.Stream with the charset its
 * GetFileEncoding picks): a UTF-16LE BOM, a UTF-8 BOM, or else ANSI (each byte one character).
 */
export function decodeLicenseFileBytes(bytes: Uint8Array): { text: string; encoding: LicenseFileEncoding } {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: Buffer.from(bytes.buffer, bytes.byteOffset + 2, (bytes.length - 2) & ~1).toString('utf16le'), encoding: 'utf-16le' };
  }
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8' };
  }
  return { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1'), encoding: 'ansi' };
}

const GUID = /^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$/;

function guid(value: string | undefined, what: string, problem: LicenseFileProblem): string {
  const match = value === undefined ? null : GUID.exec(value.trim());
  if (!match) throw new LicenseFileError(problem, `${what} is not a GUID`);
  return (match[1] as string).toLowerCase();
}

function boundedText(value: string, what: string, max: number, problem: LicenseFileProblem): string {
  // Control characters (other than tab) have no place in a name or a description.
  if (value.length > max || /[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) throw new LicenseFileError(problem, `${what} is too long or has control characters`);
  return value;
}

function integer(value: string | undefined, what: string, max: number): number {
  if (value === undefined || !/^\d{1,10}$/.test(value.trim())) throw new LicenseFileError('bad-pkey-config', `${what} is not a number`);
  const n = Number(value.trim());
  if (n > max) throw new LicenseFileError('bad-pkey-config', `${what} is out of range`);
  return n;
}

function flag(value: string | undefined, what: string, fallback: boolean | null): boolean {
  const v = value?.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (v === undefined && fallback !== null) return fallback;
  throw new LicenseFileError('bad-pkey-config', `${what} is not true or false`);
}

const isLicense = (e: XmlElement): boolean => e.namespace === REL_R_NS && e.localName === 'license';

function pkeyText(parent: XmlElement, localName: string): string | undefined {
  const element = childElement(parent, PKEY_CONFIG_NS, localName);
  return element?.text;
}

const KEY_TYPE = /^[A-Za-z0-9][A-Za-z0-9:_-]{0,63}$/;

/** Decodes and checks the base64 `pkeyConfigData` payload. */
export function parseProductKeyConfiguration(base64: string): ProductKeyConfiguration {
  const compact = base64.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
    throw new LicenseFileError('bad-pkey-config', 'pkeyConfigData is not base64');
  }
  const text = decodePayload(Buffer.from(compact, 'base64'));
  let root: XmlElement;
  try {
    root = parseXml(text, PKEY_CONFIG_XML_LIMITS);
  } catch (error) {
    if (error instanceof XmlRejected) throw new LicenseFileError(error.problem, `pkeyConfigData: ${error.message}`);
    throw error;
  }
  if (root.namespace !== PKEY_CONFIG_NS || root.localName !== 'ProductKeyConfiguration') {
    throw new LicenseFileError('bad-pkey-config', 'pkeyConfigData is not a ProductKeyConfiguration');
  }
  const list = (container: string, item: string): XmlElement[] => {
    const parent = childElement(root, PKEY_CONFIG_NS, container);
    return parent ? childElements(parent, PKEY_CONFIG_NS, item) : [];
  };
  const configElements = list('Configurations', 'Configuration');
  const rangeElements = list('KeyRanges', 'KeyRange');
  if (configElements.length === 0) throw new LicenseFileError('bad-pkey-config', 'no Configuration');
  if (configElements.length > MAX_KEY_CONFIGURATIONS || rangeElements.length > MAX_KEY_RANGES) {
    throw new LicenseFileError('bad-pkey-config', 'too many configurations or key ranges');
  }
  const configurations = configElements.map((c): KeyConfiguration => {
    const productKeyType = (pkeyText(c, 'ProductKeyType') ?? '').trim();
    if (!KEY_TYPE.test(productKeyType)) throw new LicenseFileError('bad-pkey-config', 'ProductKeyType is missing or malformed');
    return {
      actConfigId: guid(pkeyText(c, 'ActConfigId'), 'ActConfigId', 'bad-pkey-config'),
      refGroupId: integer(pkeyText(c, 'RefGroupId'), 'RefGroupId', 0xfffff),
      editionId: boundedText((pkeyText(c, 'EditionId') ?? '').trim(), 'EditionId', 128, 'bad-pkey-config'),
      productDescription: boundedText((pkeyText(c, 'ProductDescription') ?? '').trim(), 'ProductDescription', 256, 'bad-pkey-config'),
      productKeyType,
      isRandomized: flag(pkeyText(c, 'IsRandomized'), 'IsRandomized', false),
    };
  });
  const known = new Set(configurations.map((c) => c.actConfigId));
  const keyRanges = rangeElements.map((r): KeyRange => {
    const range: KeyRange = {
      refActConfigId: guid(pkeyText(r, 'RefActConfigId'), 'RefActConfigId', 'bad-pkey-config'),
      partNumber: boundedText((pkeyText(r, 'PartNumber') ?? '').trim(), 'PartNumber', 64, 'bad-pkey-config'),
      eulaType: boundedText((pkeyText(r, 'EulaType') ?? '').trim(), 'EulaType', 64, 'bad-pkey-config'),
      isValid: flag(pkeyText(r, 'IsValid'), 'IsValid', null),
      // Serials are 30 bits (product-key-format.md §2).
      start: integer(pkeyText(r, 'Start'), 'Start', 0x3fffffff),
      end: integer(pkeyText(r, 'End'), 'End', 0x3fffffff),
    };
    if (range.start > range.end) throw new LicenseFileError('bad-pkey-config', 'a key range ends before it starts');
    if (!known.has(range.refActConfigId)) throw new LicenseFileError('bad-pkey-config', 'a key range refers to no Configuration');
    return range;
  });
  const publicKeys = list('PublicKeys', 'PublicKey').map((k): KeyGroupAlgorithm => ({
    groupId: integer(pkeyText(k, 'GroupId'), 'GroupId', 0xfffff),
    algorithmId: boundedText((pkeyText(k, 'AlgorithmId') ?? '').trim(), 'AlgorithmId', 128, 'bad-pkey-config'),
  }));
  return { configurations, keyRanges, publicKeys };
}

/** The payload is UTF-8 unless a BOM says otherwise (Microsoft's payloads carry none). */
function decodePayload(bytes: Uint8Array): string {
  const bom = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf);
  return bom ? decodeLicenseFileBytes(bytes).text : new TextDecoder('utf-8').decode(bytes);
}

function parseLicense(element: XmlElement): XrmlLicense {
  const licenseId = guid(element.attributes.get('licenseId'), 'licenseId', 'bad-license');
  const own = (match: (e: XmlElement) => boolean) => descendants(element, match, isLicense);
  const info = new Map<string, string>();
  for (const entry of own((e) => e.namespace === XRML_TM_NS && e.localName === 'infoStr')) {
    const name = entry.attributes.get('name');
    if (name !== undefined && !info.has(name)) info.set(name, boundedText(entry.text, `infoStr ${name.slice(0, 40)}`, 1024, 'bad-license'));
  }
  const bins = own((e) => e.namespace === XRML_TM_NS && e.localName === 'infoBin' && e.attributes.get('name') === 'pkeyConfigData');
  if (bins.length > 1) throw new LicenseFileError('bad-pkey-config', 'more than one pkeyConfigData');
  const productKeyConfiguration = bins[0] ? parseProductKeyConfiguration(bins[0].text) : null;
  const titleElement = childElement(element, REL_R_NS, 'title');
  const optionalGuid = (name: string): string | null => (info.has(name) ? guid(info.get(name), name, 'bad-license') : null);
  const productSkuId = optionalGuid('productSkuId');
  return {
    licenseId,
    title: titleElement ? boundedText(titleElement.text, 'title', 256, 'bad-license') : null,
    kind: productKeyConfiguration ? 'product-key-configuration' : productSkuId ? 'sku' : 'other',
    licenseType: info.get('licenseType') ?? null,
    licenseCategory: info.get('licenseCategory') ?? null,
    productSkuId,
    applicationId: optionalGuid('applicationId'),
    productName: info.has('productName') ? boundedText(info.get('productName') as string, 'productName', 256, 'bad-license') : null,
    productDescription: info.has('productDescription') ? boundedText(info.get('productDescription') as string, 'productDescription', 256, 'bad-license') : null,
    family: info.get('Family') ?? null,
    productKeyConfiguration,
  };
}

/**
 * Reads a licence file's bytes: size, encoding, well-formedness and limits (xml.ts), the root
 * (`rg:licenseGroup` or `r:license` in the MPEG-21 REL namespace), every licence's ID and
 * product information, and a product-key configuration's payload. Throws LicenseFileError for
 * anything /ilc refuses; a file that parses installs as a whole.
 */
export function parseLicenseFile(bytes: Uint8Array): LicenseFile {
  if (bytes.length > LICENSE_FILE_MAX_BYTES) throw new LicenseFileError('too-large', `larger than ${LICENSE_FILE_MAX_BYTES} bytes`);
  const { text, encoding } = decodeLicenseFileBytes(bytes);
  if (text.trim() === '') throw new LicenseFileError('empty', 'the file is empty');
  let root: XmlElement;
  try {
    root = parseXml(text, LICENSE_XML_LIMITS);
  } catch (error) {
    if (error instanceof XmlRejected) throw new LicenseFileError(error.problem, error.message);
    throw error;
  }
  if (root.namespace !== REL_R_NS || (root.localName !== 'licenseGroup' && root.localName !== 'license')) {
    throw new LicenseFileError('wrong-root', `the root element is ${root.qname.slice(0, 80)}, not rg:licenseGroup or r:license`);
  }
  const elements = root.localName === 'license' ? [root] : childElements(root, REL_R_NS, 'license');
  if (elements.length === 0) throw new LicenseFileError('bad-license', 'the licence group holds no licence');
  if (elements.length > MAX_LICENSES_PER_FILE) throw new LicenseFileError('bad-license', `more than ${MAX_LICENSES_PER_FILE} licences`);
  const licenses = elements.map(parseLicense);
  if (new Set(licenses.map((l) => l.licenseId)).size !== licenses.length) throw new LicenseFileError('bad-license', 'two licences share a licenseId');
  return { encoding, licenses };
}
