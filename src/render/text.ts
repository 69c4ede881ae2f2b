// slmgr's text layouts (§3 of the behaviour reference), built from command results. Every string
// comes from the message catalogue; the order and the empty lines are slmgr's.

import type { CommandResult } from '../commands/index.js';
import type { ActivationResult } from '../commands/activation.js';
import type { DisplayResult, ExpirationResult, KmsClientView, KmsHostView, ProductView } from '../commands/display.js';
import type { KmsHostSettingResult } from '../commands/kms-host.js';
import { formatSlmgrDateTime } from './dates.js';
import { licenseFileLines } from './license-files.js';
import { message, MESSAGES, type MessageId, type Notice } from './messages.js';
import { tokenActivationLines, tokenAdditionalInformationLines, tokenLines } from './token.js';
import type { TokenActivationView } from '../commands/token.js';
import { adClientLines, offlineActivationLines } from './offline.js';
import type { AdActivationView } from '../backends/sim/ad-record.js';

export function noticeText(notice: Notice): string {
  return message(notice.id, notice.params);
}

const STATUS_LINES: Readonly<Record<number, MessageId>> = {
  0: 'MsgLicenseStatusUnlicensed_1',
  1: 'MsgLicenseStatusLicensed_1',
  2: 'MsgLicenseStatusInitialGrace_1',
  3: 'MsgLicenseStatusAdditionalGrace_1',
  4: 'MsgLicenseStatusNonGenuineGrace_1',
  5: 'MsgLicenseStatusNotification_1',
  6: 'MsgLicenseStatusExtendedGrace_1',
};

function statusLines(p: ProductView): string[] {
  const lines: string[] = [MESSAGES[STATUS_LINES[p.licenseStatus] ?? 'MsgLicenseStatusUnknown']];
  const time = { MINUTE: p.graceRemainingMinutes, DAY: p.graceRemainingDays };
  switch (p.licenseStatus) {
    case 1:
      if (p.graceRemainingMinutes !== 0) lines.push(message('MsgLicenseStatusVL_1', time));
      break;
    case 2:
    case 3:
    case 4:
    case 6:
      lines.push(message('MsgLicenseStatusTimeRemaining', time));
      break;
    case 5: {
      const reason = p.notificationReason ?? '';
      const id: MessageId =
        reason === 'C004F200' ? 'MsgNotificationErrorReasonNonGenuine'
        : reason === 'C004F009' ? 'MsgNotificationErrorReasonExpiration'
        : 'MsgNotificationErrorReasonOther';
      lines.push(message(id, { ERRCODE: reason }));
      break;
    }
  }
  return lines;
}

function kmsClientLines(kms: KmsClientView, token: TokenActivationView | null, ad: AdActivationView | null = null): string[] {
  const type: MessageId = ({ All: 'MsgVLActivationTypeAll', AD: 'MsgVLActivationTypeAD', KMS: 'MsgVLActivationTypeKMS', Token: 'MsgVLActivationTypeToken' } as const)[kms.configuredActivationType];
  const lines: string[] = [MESSAGES[type]];
  // slmgr asks IsADActivated first: an AD-activated product shows the AD client block.
  if (ad !== null) return [...lines, ...adClientLines(ad)];
  if (token !== null) return [...lines, ...tokenActivationLines(token)];
  const a = kms.activation;
  if (a === null) {
    lines.push(MESSAGES.MsgPleaseActivateRefreshKMSInfo);
    return lines;
  }
  const indent = '    ';
  lines.push('', MESSAGES.MsgVLMostRecentActivationInfo, MESSAGES.MsgKmsInfo);
  lines.push(indent + MESSAGES.MsgCmid + a.clientMachineId);
  if (a.lookupDomain !== null) lines.push(indent + MESSAGES.MsgKmsLookupDomain + a.lookupDomain);
  if (a.registeredKmsMachine !== null) lines.push(indent + MESSAGES.MsgRegisteredKmsName + a.registeredKmsMachine);
  else if (a.kmsMachineFromDns !== null) lines.push(indent + MESSAGES.MsgKmsFromDns + a.kmsMachineFromDns);
  else lines.push(indent + MESSAGES.MsgKmsFromDnsUnavailable);
  lines.push(indent + (a.kmsMachineIpAddress === null ? MESSAGES.MsgKmsIpAddressUnavailable : MESSAGES.MsgKmsIpAddress + a.kmsMachineIpAddress));
  lines.push(indent + MESSAGES.MsgKmsPID4 + (a.kmsMachineExtendedPid ?? ''));
  lines.push(indent + message('MsgActivationInterval', { INTERVAL: a.activationIntervalMinutes }));
  lines.push(indent + message('MsgRenewalInterval', { INTERVAL: a.renewalIntervalMinutes }));
  lines.push(indent + MESSAGES[a.hostCachingEnabled ? 'MsgKmsHostCachingEnabled' : 'MsgKmsHostCachingDisabled']);
  if (a.skmsOverridesDomain && a.registeredKmsMachine !== null) {
    lines.push('', message('MsgKmsUseMachineNameOverrides', { KMS: a.registeredKmsMachine }));
  }
  return lines;
}

function kmsHostLines(host: KmsHostView): string[] {
  const indent = '    ';
  const r = host.requests;
  return [
    '',
    MESSAGES.MsgKmsEnabled,
    indent + MESSAGES.MsgKmsCurrentCount + host.currentCount,
    indent + MESSAGES.MsgKmsListeningOnPort + host.listeningPort,
    indent + MESSAGES[host.dnsPublishing ? 'MsgKmsDnsPublishingEnabled' : 'MsgKmsDnsPublishingDisabled'],
    indent + MESSAGES[host.lowPriority ? 'MsgKmsPriLow' : 'MsgKmsPriNormal'],
    '',
    MESSAGES.MsgKmsCumulativeRequestsFromClients,
    indent + MESSAGES.MsgKmsTotalRequestsRecieved + r.total,
    indent + MESSAGES.MsgKmsFailedRequestsReceived + r.failed,
    indent + MESSAGES.MsgKmsRequestsWithStatusUnlicensed + r.unlicensed,
    indent + MESSAGES.MsgKmsRequestsWithStatusLicensed + r.licensed,
    indent + MESSAGES.MsgKmsRequestsWithStatusInitialGrace + r.initialGrace,
    indent + MESSAGES.MsgKmsRequestsWithStatusLicenseExpiredOrHwidOot + r.licenseExpiredOrHardwareOutOfTolerance,
    indent + MESSAGES.MsgKmsRequestsWithStatusNonGenuineGrace + r.nonGenuineGrace,
    indent + MESSAGES.MsgKmsRequestsWithStatusNotification + r.notification,
  ];
}

function productLines(p: ProductView, verbose: boolean): string[] {
  const lines: string[] = ['', MESSAGES.MsgProductName + p.name, MESSAGES.MsgProductDesc + p.description];
  lines.push(...tokenAdditionalInformationLines(p.tokenActivation));
  if (verbose) {
    lines.push(
      MESSAGES.MsgActID + p.activationId,
      MESSAGES.MsgAppID + p.applicationId,
      MESSAGES.MsgPID4 + (p.extendedPid ?? ''),
      MESSAGES.MsgChannel + (p.productKeyChannel ?? ''),
      MESSAGES.MsgInstallationID + (p.installationId ?? ''),
    );
  }
  lines.push(p.partialProductKey === null ? MESSAGES.MsgErrorLicenseNotInUse : MESSAGES.MsgPartialPKey + p.partialProductKey);
  lines.push(...statusLines(p));
  if (verbose) {
    if (p.remainingWindowsRearmCount !== null) lines.push(message('MsgRemainingWindowsRearmCount', { COUNT: p.remainingWindowsRearmCount }));
    if (p.remainingAppRearmCount !== null) lines.push(message('MsgRemainingAppRearmCount', { COUNT: p.remainingAppRearmCount }));
    lines.push(message('MsgRemainingSkuRearmCount', { COUNT: p.remainingSkuRearmCount }));
    lines.push(MESSAGES.MsgCurrentTrustedTime + formatSlmgrDateTime(Date.parse(p.trustedTime)));
  }
  if (p.kmsClient !== null) lines.push(...kmsClientLines(p.kmsClient, p.tokenActivation, p.adActivation));
  if (p.kmsHost !== null) lines.push(...kmsHostLines(p.kmsHost));
  return lines;
}

function displayLines(r: DisplayResult): string[] {
  const lines: string[] = r.verbose ? [MESSAGES.MsgServiceVersion + r.serviceVersion] : [];
  for (const p of r.products) {
    lines.push(...productLines(p, r.verbose));
    if (!r.specificActivationId) lines.push('');
  }
  return lines;
}

const EXPIRATION_TEXT: Readonly<Record<number, MessageId>> = {
  0: 'MsgLicenseStatusUnlicensed',
  2: 'MsgLicenseStatusInitialGrace',
  3: 'MsgLicenseStatusAdditionalGrace',
  4: 'MsgLicenseStatusNonGenuineGrace',
  5: 'MsgLicenseStatusNotification',
  6: 'MsgLicenseStatusExtendedGrace',
};

function expirationLines(r: ExpirationResult): string[] {
  const lines: string[] = [];
  for (const p of r.products) {
    const id = p.licenseStatus === 1
      ? (p.graceRemainingMinutes !== 0 ? 'MsgLicenseStatusVL' : 'MsgLicenseStatusLicensed')
      : EXPIRATION_TEXT[p.licenseStatus];
    if (id === undefined) continue;
    // %ENDDATE% is "now + GracePeriodRemaining minutes", as slmgr computes it.
    const end = Date.parse(p.trustedTime) + p.graceRemainingMinutes * 60_000;
    lines.push(`${p.name}:`, `    ${message(id, { ENDDATE: formatSlmgrDateTime(end) })}`);
  }
  return lines;
}

function activationLines(r: ActivationResult, errorLine: (hresult: number) => string): string[] {
  if (r.tokenOnly) return [MESSAGES.MsgTokenBasedActivationMustBeDone];
  const lines: string[] = [];
  for (const p of r.products) {
    lines.push(message('MsgActivating', { PRODUCTNAME: p.name, PRODUCTID: p.activationId }));
    if (p.activated) lines.push(MESSAGES.MsgActivated);
  }
  if (r.failure) lines.push(errorLine(r.failure.hresult));
  return lines;
}

function kmsHostSettingLines(r: KmsHostSettingResult): string[] {
  const first = {
    'listening-port': message('MsgKmsPortSet', { PORT: r.text ?? '' }),
    'activation-interval': message('MsgActivationSet', { ACTIVATION: r.text ?? '' }),
    'renewal-interval': message('MsgRenewalSet', { RENEWAL: r.text ?? '' }),
    'dns-publishing': MESSAGES[r.value ? 'MsgKmsDnsPublishingEnabled' : 'MsgKmsDnsPublishingDisabled'],
    'low-priority': MESSAGES[r.value ? 'MsgKmsPriSetToLow' : 'MsgKmsPriSetToNormal'],
  }[r.setting];
  return [first, MESSAGES.MsgWarningKmsReboot];
}

function missingErrorLine(): never {
  throw new Error('renderText needs the error-line formatter for a result that carries a failure');
}

/**
 * `errorLine` formats slmgr's `Error: 0x… text` line; the CLI passes it in only when a result
 * carries a failure, so the message tables load only then.
 */
export function renderText(result: CommandResult, errorLine: (hresult: number) => string = missingErrorLine): string[] {
  switch (result.kind) {
    case 'install-product-key':
      return [message('MsgInstalledPKey', { PKEY: result.productKey })];
    case 'uninstall-product-key':
      return result.uninstalled.map(() => MESSAGES.MsgUninstalledPKey);
    case 'clear-product-key-from-registry':
      return [MESSAGES.MsgClearedPKey];
    case 'display':
      return displayLines(result);
    case 'expiration':
      return expirationLines(result);
    case 'kms-client-setting': {
      const first = {
        'kms-machine-set': message('MsgKmsNameSet', { KMS: result.value ?? '' }),
        'kms-machine-cleared': MESSAGES.MsgKmsNameCleared,
        'lookup-domain-set': message('MsgKmsLookupDomainSet', { FQDN: result.value ?? '' }),
        'lookup-domain-cleared': MESSAGES.MsgKmsLookupDomainCleared,
      }[result.setting];
      return [first, ...result.warnings.map(noticeText)];
    }
    case 'kms-host-caching':
      return [MESSAGES[result.enabled ? 'MsgKmsHostCachingEnabled' : 'MsgKmsHostCachingDisabled']];
    case 'activation-type':
      return [MESSAGES.MsgVLActivationTypeSet];
    case 'rearm':
      return result.restartRequired ? [MESSAGES.MsgRearm_1, MESSAGES.MsgRearm_2] : [MESSAGES.MsgRearm_1];
    case 'activation':
      return activationLines(result, errorLine);
    case 'kms-host-setting':
      return kmsHostSettingLines(result);
    case 'install-license-file':
    case 'reinstall-license-files':
      return licenseFileLines(result);
    case 'token-licenses':
    case 'token-license-removal':
    case 'token-certificates':
    case 'token-activation':
      return tokenLines(result, errorLine);
    case 'installation-id':
    case 'confirmation-id-deposited':
    case 'ad-activation':
    case 'ad-installation-id':
    case 'activation-objects':
    case 'activation-object-deleted':
      return offlineActivationLines(result, errorLine);
  }
}
