// `slmgr lab install-tokens <machine>`: puts the lab token set (fixtures/tokens, synthetic and
// lab-only) on a machine — its issuance licences, which Windows installs from XrML files with
// /ilc, and its token certificates, which Windows finds in the certificate store or on a smart
// card. Installing again replaces them with the fixture copies (a removed licence comes back).

import { UsageError } from '../errors.js';
import { LAB_TOKEN_CERTIFICATES, LAB_TOKEN_LICENSES } from '../licensing/lab-token-data.js';
import type { MachineRow } from '../store/types.js';
import { isLocalMachineName } from './context.js';
import type { LabContext } from './lab.js';
import { installTokenCertificate, installTokenLicense } from './token.js';

export interface LabTokensInstalledResult {
  kind: 'lab-tokens-installed';
  machine: string;
  licenses: { slid: string; ilid: string; ilvid: number }[];
  certificates: { thumbprint: string; subject: string; pinProtected: boolean }[];
}

function machineNamed(lab: LabContext, name: string): MachineRow {
  if (isLocalMachineName(name, lab.hostname)) return lab.tx.localMachine();
  const machine = lab.tx.findMachine(name);
  if (!machine) throw new UsageError(`no lab machine named "${name}" (slmgr lab machines lists them)`);
  return machine;
}

export function installLabTokens(lab: LabContext, name: string): LabTokensInstalledResult {
  const machine = machineNamed(lab, name);
  for (const license of LAB_TOKEN_LICENSES) installTokenLicense(lab.tx, machine.id, license);
  for (const certificate of LAB_TOKEN_CERTIFICATES) installTokenCertificate(lab.tx, machine.id, certificate);
  return {
    kind: 'lab-tokens-installed',
    machine: machine.name,
    licenses: LAB_TOKEN_LICENSES.map((l) => ({ slid: l.id, ilid: l.ilid, ilvid: l.ilvid })),
    certificates: LAB_TOKEN_CERTIFICATES.map((c) => ({ thumbprint: c.thumbprint, subject: c.subject, pinProtected: c.pin !== null })),
  };
}
