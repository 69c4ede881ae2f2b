// Generators for fuzzing XML inputs (licence files for /ilc): edits of real seeds, hostile
// snippets, and small documents from an XML-ish grammar.
import fc from 'fast-check';

/** Pieces that break XML, or try to: entities, declarations, unbalanced markup, odd characters. */
export const HOSTILE_SNIPPETS = [
  '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
  '<!ENTITY x SYSTEM "file:///etc/passwd">',
  '&x;', '&amp;', '&#0;', '&#x110000;', '&#65;', ']]>', '<![CDATA[', '<!--', '-->', '<?xml version="1.0"?>',
  '<', '>', '</r:license>', '<r:license>', 'xmlns:r="urn:x"', ' licenseId="{00000000-0000-0000-0000-000000000000}"',
  '"', "'", '\u0000', '\ufeff', '\ud800', '<__proto__/>', '<a constructor="1"/>', '<tm:infoBin name="pkeyConfigData">', '====',
];

/** Edits of a seed file: flip a bit, delete, duplicate or truncate a slice, or splice in a snippet. */
export function mutation(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 400 }) }),
    fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 400 }), count: fc.integer({ min: 1, max: 50 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...HOSTILE_SNIPPETS), fc.string({ maxLength: 40 })) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  );
  return fc.tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 6 })).map(([seed, edits]) => {
    let bytes = Buffer.from(seed);
    for (const e of edits) {
      const at = bytes.length === 0 ? 0 : e.at % bytes.length;
      if (e.kind === 'flip' && bytes.length > 0) {
        bytes = Buffer.from(bytes);
        bytes[at] = (bytes[at] as number) ^ (1 << e.bit);
      } else if (e.kind === 'delete') {
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + e.length)]);
      } else if (e.kind === 'duplicate') {
        const slice = bytes.subarray(at, at + e.length);
        bytes = Buffer.concat([bytes.subarray(0, at), ...Array.from({ length: e.count + 1 }, () => slice), bytes.subarray(at + e.length)]);
      } else if (e.kind === 'insert') {
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(e.text, 'utf8'), bytes.subarray(at)]);
      } else if (e.kind === 'truncate') {
        bytes = bytes.subarray(0, at);
      }
    }
    return new Uint8Array(bytes);
  });
}

/** Small XML-like documents from a grammar: names, prefixes, attributes, entities, nesting. */
export const xmlish: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('text', '&amp;', '&lt;', '&unknown;', '&#x41;', '<![CDATA[x & y]]>', '<!-- c -->', ''),
    fc.tuple(
      fc.constantFrom('r:license', 'rg:licenseGroup', 'tm:infoStr', 'tm:infoBin', 'a', 'x:y', 'r:title', '__proto__'),
      fc.array(fc.tuple(fc.constantFrom('licenseId', 'name', 'xmlns:r', 'xmlns:rg', 'xmlns:tm', 'xmlns', 'tag'), fc.constantFrom('{ced31da0-60e0-4a82-958d-8f8b17340ce3}', 'urn:mpeg:mpeg21:2003:01-REL-R-NS', 'http://www.microsoft.com/DRM/XrML2/TM/v2', 'productSkuId', 'pkeyConfigData', 'x', '&quot;', '')), { maxLength: 4 }),
      fc.array(tie('node'), { maxLength: 4 }),
    ).map(([name, attributes, children]) => `<${name}${attributes.map(([k, v]) => ` ${k}="${v}"`).join('')}>${children.join('')}</${name}>`),
  ),
})).node;

