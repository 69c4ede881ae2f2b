// `slmgr lab phone-activate <Installation ID>`: the lab's telephone activation centre. Given the
// Installation ID that /dti or /ad-activation-get-iid printed, it reads out the Confirmation ID
// the lab's activation service issues for it (src/licensing/confirmation-id.ts), for /atp or
// /ad-activation-apply-cid. An extension, not an slmgr switch.
//
// Like Microsoft's centre it checks the IID (63 digits, valid check digits) and refuses the IID of a
// KMS client key (GVLK), which is activated by a KMS host or AD, never by phone. It writes nothing:
// whether a key still has activations left is decided when the CID is deposited.

import { HResultError } from '../errors.js';
import { checkFailure, checkInstallationId, groupConfirmationId, labConfirmationId } from '../licensing/confirmation-id.js';
import { SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED } from '../licensing/hresult-codes.js';
import type { LabContext } from './lab.js';
import { isKmsClientProduct } from './telephone.js';

export interface PhoneCentreResult {
  kind: 'lab-phone-activation';
  installationId: string;
  /** 48 digits without separators, as /atp accepts it. */
  confirmationId: string;
  /** The eight groups A–H the centre reads out. */
  confirmationIdGroups: string[];
  /** The lab product this IID belongs to, when it is one (a forest's IID belongs to none). */
  product: { machine: string; activationId: string; name: string; partialProductKey: string | null } | null;
}

export function phoneActivate(lab: LabContext, installationId: string): PhoneCentreResult {
  const check = checkInstallationId(installationId);
  if (!check.ok) throw new HResultError(checkFailure(check));
  let product: PhoneCentreResult['product'] = null;
  for (const machine of lab.tx.listMachines()) {
    const found = lab.tx.listProducts(machine.id).find((p) => p.partialKey !== null && p.installationId === check.digits);
    if (!found) continue;
    // The activation service does not activate KMS client keys: it has no CID for them.
    if (isKmsClientProduct(found)) throw new HResultError(SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED);
    product = { machine: machine.name, activationId: found.skuId, name: found.name, partialProductKey: found.partialKey };
    break;
  }
  const confirmationId = labConfirmationId(check.digits);
  return {
    kind: 'lab-phone-activation',
    installationId: check.digits,
    confirmationId,
    confirmationIdGroups: groupConfirmationId(confirmationId).split('-'),
    product,
  };
}
