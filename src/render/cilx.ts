// Text for `slmgr lab export-cilx` / `import-cilx` (extensions: our own one-line layouts).

import type { CilxResult } from '../commands/cilx.js';

export function cilxLines(result: CilxResult): string[] {
  if (result.kind === 'lab-cilx-exported') {
    return [`Exported ${result.computers} computer(s) with ${result.products} product(s) to ${result.file}`];
  }
  const computers = result.created.length + result.updated.length;
  return [`Imported ${computers} computer(s) (${result.created.length} new, ${result.updated.length} updated) with ${result.products} product(s) from ${result.file}`];
}
