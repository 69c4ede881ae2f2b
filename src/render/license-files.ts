// slmgr's lines for /ilc and /rilc (slmgr-reference.md §2.2): each installed file is its
// "License file … installed successfully." line and an empty line, as slmgr's InstallLicense
// writes them; /rilc frames them with its own first and last lines.

import type { InstallLicenseFileResult, ReinstallLicenseFilesResult } from '../commands/license-files.js';
import { message, MESSAGES } from './messages.js';

export function licenseFileLines(result: InstallLicenseFileResult | ReinstallLicenseFilesResult): string[] {
  const fileLines = (file: string) => [message('MsgLicenseFile', { LICENSEFILE: file }), ''];
  if (result.kind === 'install-license-file') return fileLines(result.file);
  return [MESSAGES.MsgReinstallingLicenses, ...result.files.flatMap((f) => fileLines(f.file)), MESSAGES.MsgLicensesReinstalled];
}
