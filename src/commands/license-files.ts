// /ilc and /rilc: install XrML licence files into the machine's licence store. A file is read
// (at most LICENSE_FILE_MAX_BYTES), parsed and checked as a whole before anything is written, so a
// refused file changes nothing; a file that passes installs every licence in it (a licence ID
// already installed is replaced, as reinstalling a licence on Windows is).

import { createHash } from 'node:crypto';
import { HResultError } from '../errors.js';
import { SYSTEM_LICENSE_FILES } from '../licensing/system-license-data.js';
import { LICENSE_FILE_MAX_BYTES, LicenseFileError, parseLicenseFile, type LicenseFileEncoding, type XrmlLicense, type XrmlLicenseKind } from '../licensing/xrml.js';
import type { CommandContext } from './context.js';
import { storeLicense, type StoredLicense } from './license-store.js';

/** SL_E_INVALID_LICENSE: what /ilc reports for every file it refuses (docs/licenses.md). */
export const SL_E_INVALID_LICENSE = 0xc004f01f;

/**
 * What slmgr prints when it cannot open the file: its reader (ADODB.Stream.LoadFromFile) fails
 * with adErrOpeningFile and slmgr shows that COM error's description and source.
 */
export const ADODB_E_OPENING_FILE = 0x800a0bba;
export const ADODB_OPENING_FILE_TEXT = 'File could not be opened. (ADODB.Stream)';

/** Where Windows keeps the system licence set; /rilc prints its files under it. */
export const SYSTEM_TOKENS_FOLDER = 'C:\\Windows\\system32\\spp\\tokens';

export interface LicenseSummary {
  licenseId: string;
  kind: XrmlLicenseKind;
  title: string | null;
  productSkuId: string | null;
  applicationId: string | null;
  productName: string | null;
  /** For a product-key configuration licence: how many configurations and key ranges it brings. */
  keyConfigurations: number;
  keyRanges: number;
}

export interface InstalledLicenseFile {
  /** The file as given (slmgr echoes it as typed), or its path in the system set for /rilc. */
  file: string;
  sha256: string;
  encoding: LicenseFileEncoding;
  licenses: LicenseSummary[];
}

export interface InstallLicenseFileResult extends InstalledLicenseFile {
  kind: 'install-license-file';
}

export interface ReinstallLicenseFilesResult {
  kind: 'reinstall-license-files';
  files: InstalledLicenseFile[];
}

function summary(license: XrmlLicense): LicenseSummary {
  return {
    licenseId: license.licenseId,
    kind: license.kind,
    title: license.title,
    productSkuId: license.productSkuId,
    applicationId: license.applicationId,
    productName: license.productName,
    keyConfigurations: license.productKeyConfiguration?.configurations.length ?? 0,
    keyRanges: license.productKeyConfiguration?.keyRanges.length ?? 0,
  };
}

/** Parses, then writes every licence of the file; nothing is written when the file is refused. */
function install(ctx: CommandContext, file: string, bytes: Uint8Array, source: StoredLicense['source']): InstalledLicenseFile {
  let parsed;
  try {
    parsed = parseLicenseFile(bytes);
  } catch (error) {
    if (error instanceof LicenseFileError) {
      throw new HResultError(SL_E_INVALID_LICENSE, error.message, { diagnostic: `license file ${file} was not installed (${error.problem}): ${error.message}` });
    }
    throw error;
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  for (const license of parsed.licenses) {
    storeLicense(ctx.tx, ctx.machine.id, { ...license, file, fileSha256: sha256, encoding: parsed.encoding, source, installedAt: ctx.now });
  }
  return { file, sha256, encoding: parsed.encoding, licenses: parsed.licenses.map(summary) };
}

/** /ilc <License file>. */
export function installLicenseFile(ctx: CommandContext, args: readonly string[]): InstallLicenseFileResult {
  const file = args[0] as string;
  let bytes: Uint8Array;
  try {
    if (!ctx.readFile) throw new Error('no file system');
    // One byte over the limit is enough to know the file is too large.
    bytes = ctx.readFile(file, LICENSE_FILE_MAX_BYTES + 1);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new HResultError(ADODB_E_OPENING_FILE, why, { slmgrText: ADODB_OPENING_FILE_TEXT, diagnostic: `cannot read ${file}: ${why}` });
  }
  return { kind: 'install-license-file', ...install(ctx, file, bytes, 'ilc') };
}

/** /rilc: the lab's system licence set (docs/licenses.md), in the order slmgr walks spp\tokens. */
export function reinstallLicenseFiles(ctx: CommandContext): ReinstallLicenseFilesResult {
  const files = SYSTEM_LICENSE_FILES.map((f) => install(ctx, `${SYSTEM_TOKENS_FOLDER}\\${f.path}`, Buffer.from(f.text, 'utf8'), 'rilc'));
  return { kind: 'reinstall-license-files', files };
}
