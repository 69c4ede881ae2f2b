// Untrusted XML in, a small namespace-aware element tree out. Licence files (/ilc) and VAMT
// computer lists (slmgr lab import-cilx) come from users, so the parse is bounded before
// fast-xml-parser sees the text: no DOCTYPE or other markup declarations (so no entity can be
// defined, let alone expanded), a nesting depth and an element count. Only XML's five predefined
// entities and character references are decoded, here, after parsing.

import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface XmlLimits {
  /** Deepest element nesting accepted (the root is depth 1). */
  maxDepth: number;
  /** Most elements a document may hold. */
  maxElements: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = { maxDepth: 48, maxElements: 200_000 };

export interface XmlElement {
  /** The name as written, prefix included (`r:license`). */
  readonly qname: string;
  readonly localName: string;
  /** The namespace URI the prefix (or the default namespace) is bound to; '' for none. */
  readonly namespace: string;
  /** Attributes by name as written (`licenseId`, `xmlns:r`), values decoded. */
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** The element's own text content (text and CDATA children joined), trimmed, decoded. */
  readonly text: string;
}

export type XmlProblem = 'declaration' | 'malformed' | 'too-deep' | 'too-many-elements';

/** Why a document was refused. The message is for diagnostics; callers map the reason. */
export class XmlRejected extends Error {
  override readonly name = 'XmlRejected';
  readonly problem: XmlProblem;
  constructor(problem: XmlProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}

// A DOCTYPE (and with it ENTITY, ELEMENT, ATTLIST, NOTATION) is every way to define an entity, so
// refusing any `<!` that is not a comment or a CDATA section refuses entity expansion outright.
const MARKUP_DECLARATION = /<!(?!--|\[CDATA\[)/;

/** Counts elements and measures nesting in one pass over well-formed text (quotes respected). */
function measure(text: string, limits: XmlLimits): void {
  let depth = 0;
  let elements = 0;
  let i = text.indexOf('<');
  while (i >= 0 && i < text.length) {
    if (text.startsWith('<!--', i)) {
      i = text.indexOf('-->', i + 4);
      if (i < 0) break;
      i = text.indexOf('<', i + 3);
      continue;
    }
    if (text.startsWith('<![CDATA[', i)) {
      i = text.indexOf(']]>', i + 9);
      if (i < 0) break;
      i = text.indexOf('<', i + 3);
      continue;
    }
    if (text.startsWith('<?', i)) {
      i = text.indexOf('?>', i + 2);
      if (i < 0) break;
      i = text.indexOf('<', i + 2);
      continue;
    }
    const closing = text[i + 1] === '/';
    // Find the end of the tag, skipping quoted attribute values (they may contain '>').
    let j = i + 1;
    let quote: string | null = null;
    for (; j < text.length; j++) {
      const c = text[j];
      if (quote !== null) {
        if (c === quote) quote = null;
      } else if (c === '"' || c === "'") {
        quote = c;
      } else if (c === '>') {
        break;
      }
    }
    if (j >= text.length) break;
    if (closing) {
      depth -= 1;
    } else {
      elements += 1;
      if (elements > limits.maxElements) throw new XmlRejected('too-many-elements', `more than ${limits.maxElements} elements`);
      if (text[j - 1] !== '/') {
        depth += 1;
        if (depth > limits.maxDepth) throw new XmlRejected('too-deep', `nested deeper than ${limits.maxDepth} elements`);
      }
    }
    i = text.indexOf('<', j + 1);
  }
}

const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the predefined entities and character references; anything else is not well formed. */
export function decodeXmlText(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&\s]{0,32});/g, (whole, ref: string) => {
    const named = PREDEFINED[ref];
    if (named !== undefined) return named;
    const numeric = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(ref);
    if (numeric) {
      const code = numeric[1] !== undefined ? Number.parseInt(numeric[1], 16) : Number(numeric[2]);
      const allowed = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
      if (allowed) return String.fromCodePoint(code);
    }
    throw new XmlRejected('malformed', `undefined entity or bad character reference ${whole.slice(0, 40)}`);
  });
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Entities are decoded by decodeXmlText, never by the parser: it would read a DOCTYPE's.
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  removeNSPrefix: false,
  allowBooleanAttributes: false,
  // '#' cannot start an XML name, so no element can be mistaken for a CDATA section.
  cdataPropName: '#cdata',
});

type OrderedNode = Record<string, unknown>;

/** A CDATA section's text is literal: no entity in it means anything. */
function cdataText(content: unknown): string {
  return Array.isArray(content) ? (content as OrderedNode[]).map((n) => String(n['#text'] ?? '')).join('') : '';
}

const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';

function convert(node: OrderedNode, scope: ReadonlyMap<string, string>): XmlElement {
  const qname = Object.keys(node).find((k) => k !== ':@');
  if (qname === undefined || qname === '#text') throw new XmlRejected('malformed', 'expected an element');
  const rawAttributes = (node[':@'] ?? {}) as Record<string, unknown>;
  const attributes = new Map<string, string>();
  for (const [name, value] of Object.entries(rawAttributes)) attributes.set(name, decodeXmlText(String(value)));

  let ownScope = scope;
  for (const [name, value] of attributes) {
    if (name === 'xmlns' || name.startsWith('xmlns:')) {
      if (ownScope === scope) ownScope = new Map(scope);
      (ownScope as Map<string, string>).set(name === 'xmlns' ? '' : name.slice(6), value);
    }
  }
  const colon = qname.indexOf(':');
  const prefix = colon > 0 ? qname.slice(0, colon) : '';
  const localName = colon > 0 ? qname.slice(colon + 1) : qname;
  const namespace = ownScope.get(prefix);
  if (namespace === undefined) {
    if (prefix !== '') throw new XmlRejected('malformed', `namespace prefix "${prefix}" is not declared`);
  }

  const children: XmlElement[] = [];
  let text = '';
  const content = node[qname];
  if (Array.isArray(content)) {
    for (const child of content as OrderedNode[]) {
      if (Object.hasOwn(child, '#text')) text += decodeXmlText(String(child['#text']));
      else if (Object.hasOwn(child, '#cdata')) text += cdataText(child['#cdata']);
      else children.push(convert(child, ownScope));
    }
  }
  return { qname, localName, namespace: namespace ?? '', attributes, children, text: text.trim() };
}

/**
 * Parses one XML document under the limits. Throws XmlRejected for a markup declaration (DOCTYPE,
 * ENTITY …), text that is not well formed, an undefined entity, an undeclared namespace prefix,
 * or a document beyond the depth or element limits. Never expands an entity.
 */
export function parseXml(text: string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlElement {
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  if (MARKUP_DECLARATION.test(body)) throw new XmlRejected('declaration', 'markup declarations (DOCTYPE, ENTITY) are not accepted');
  if (body.includes('\u0000')) throw new XmlRejected('malformed', 'NUL character');
  const valid = XMLValidator.validate(body, { allowBooleanAttributes: false });
  if (valid !== true) throw new XmlRejected('malformed', valid.err.msg);
  measure(body, limits);
  let nodes: unknown;
  try {
    nodes = parser.parse(body);
  } catch (error) {
    throw new XmlRejected('malformed', error instanceof Error ? error.message : String(error));
  }
  const top = Array.isArray(nodes) ? (nodes as OrderedNode[]) : [];
  const elements = top.filter((n) => !Object.hasOwn(n, '#text') && !Object.hasOwn(n, '#cdata'));
  const strayText = top.some((n) => Object.hasOwn(n, '#cdata') || (Object.hasOwn(n, '#text') && String(n['#text']).trim() !== ''));
  const [root] = elements;
  if (elements.length !== 1 || root === undefined || strayText) throw new XmlRejected('malformed', 'a document has exactly one root element');
  return convert(root, new Map([['xml', XML_NAMESPACE]]));
}

/** Children of `parent` with this namespace and local name, in document order. */
export function childElements(parent: XmlElement, namespace: string, localName: string): XmlElement[] {
  return parent.children.filter((c) => c.namespace === namespace && c.localName === localName);
}

/** The first such child, if any. */
export function childElement(parent: XmlElement, namespace: string, localName: string): XmlElement | undefined {
  return parent.children.find((c) => c.namespace === namespace && c.localName === localName);
}

/** Every descendant matching, depth first, not descending into elements `stop` accepts. */
export function descendants(parent: XmlElement, match: (e: XmlElement) => boolean, stop: (e: XmlElement) => boolean = () => false): XmlElement[] {
  const found: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    for (const c of e.children) {
      if (match(c)) found.push(c);
      if (!stop(c)) walk(c);
    }
  };
  walk(parent);
  return found;
}

/** Escapes text for an attribute value or element content. */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&${({ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' } as Record<string, string>)[c]};`);
}
