// slmgr's layouts for telephone and Active Directory-based activation (/dti, /atp,
// /ad-activation-online, /ad-activation-get-iid, /ad-activation-apply-cid, /ao-list, /del-ao) and
// the AD client block of /dli and /dlv. Every string comes from the message catalogue.

import type { AdActivationView } from '../backends/sim/ad-record.js';
import type { ActivationObjectView, AdCommandResult } from '../commands/ad-activation.js';
import type { PhoneCentreResult } from '../commands/phone-centre.js';
import type { TelephoneResult } from '../commands/telephone.js';
import { message, MESSAGES } from './messages.js';

const INDENT = '    ';

export type OfflineActivationResult = TelephoneResult | AdCommandResult;

/** slmgr's GuidToString: upper-case hexadecimal in braces, as /ao-list prints msSPP-CSVLKSkuId. */
function bracedGuid(id: string): string {
  return `{${id.toUpperCase()}}`;
}

function activationObjectLines(ao: ActivationObjectView): string[] {
  return [
    INDENT + MESSAGES.MsgADInfoAOName + ao.name,
    INDENT + INDENT + MESSAGES.MsgActID + bracedGuid(ao.activationId),
    INDENT + INDENT + MESSAGES.MsgPartialPKey + ao.partialProductKey,
    INDENT + INDENT + MESSAGES.MsgADInfoExtendedPid + ao.extendedPid,
    INDENT + INDENT + MESSAGES.MsgADInfoAODN + ao.dn,
    '',
  ];
}

/** The AD client block: what slmgr prints instead of the KMS client block for an AD-activated product. */
export function adClientLines(ad: AdActivationView): string[] {
  return [
    '',
    MESSAGES.MsgVLMostRecentActivationInfo,
    MESSAGES.MsgADInfo,
    INDENT + MESSAGES.MsgADInfoAOName + ad.activationObjectName,
    INDENT + MESSAGES.MsgADInfoAODN + ad.activationObjectDn,
    INDENT + MESSAGES.MsgADInfoExtendedPid + ad.extendedPid,
    INDENT + MESSAGES.MsgADInfoActID + ad.activationId,
  ];
}

/** `errorLine` formats slmgr's `Error: 0x… text` line for a result that carries a failure (/del-ao). */
export function offlineActivationLines(result: OfflineActivationResult, errorLine: (hresult: number) => string): string[] {
  switch (result.kind) {
    case 'installation-id':
      // slmgr stops after the default product's (or the given product's) IID, before its phone.inf sentence.
      return [MESSAGES.MsgInstallationID + result.installationId];
    case 'confirmation-id-deposited':
      return [result.licenseStatus === 1 ? message('MsgConfID', { ACTID: result.activationId }) : MESSAGES.MsgActivated_Failed];
    case 'ad-activation':
      return [MESSAGES.MsgActivated];
    case 'ad-installation-id':
      return [MESSAGES.MsgInstallationID + result.installationId, '', MESSAGES.MsgPhoneNumbers];
    case 'activation-objects':
      return result.activationObjects.length === 0
        ? [MESSAGES.MsgActObjAvailable, INDENT + MESSAGES.MsgActObjNoneFound]
        : [MESSAGES.MsgActObjAvailable, ...result.activationObjects.flatMap(activationObjectLines)];
    case 'activation-object-deleted': {
      const lines = result.constructedDn ? [INDENT + MESSAGES.MsgADInfoAODN + result.dn, ''] : [];
      lines.push(result.failure === null ? MESSAGES.MsgSucess : errorLine(result.failure.hresult));
      return lines;
    }
  }
}

/** `slmgr lab phone-activate`: our own layout, one fact per line. */
export function phoneCentreLines(result: PhoneCentreResult): string[] {
  const lines = [`Installation ID: ${result.installationId}`, `Confirmation ID: ${result.confirmationIdGroups.join('-')}`];
  if (result.product) lines.push(`For: ${result.product.machine}: ${result.product.name} (${result.product.activationId})`);
  return lines;
}
