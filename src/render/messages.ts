// slmgr.vbs's en-US message catalogue (Appendix A of the behaviour reference), keyed by the
// script's own constant names without the `L_` prefix. Text output is built only from these.

export const MESSAGES = {
  MsgInvalidOptions: 'Invalid combination of command parameters.',
  MsgUnrecognizedOption: 'Unrecognized option: %OPTION%',
  MsgErrorText_9: 'Error: option %OPTION% needs %PARAM%',
  MsgErrorProductNotFound: 'Error: product not found.',
  MsgErrorPKey: 'Error: product key not found.',
  MsgErrorActivationID: 'Error: Activation ID (%ActID%) not found.',
  MsgInvalidDataError: 'Error: The data is invalid',
  MsgClearedPKey: 'Product key from registry cleared successfully.',
  MsgInstalledPKey: 'Installed product key %PKEY% successfully.',
  MsgUninstalledPKey: 'Uninstalled product key successfully.',
  MsgKmsNameSet: 'Key Management Service machine name set to %KMS% successfully.',
  MsgKmsNameCleared: 'Key Management Service machine name cleared successfully.',
  MsgKmsLookupDomainSet: 'Key Management Service lookup domain set to %FQDN% successfully.',
  MsgKmsLookupDomainCleared: 'Key Management Service lookup domain cleared successfully.',
  MsgKmsUseMachineNameOverrides: 'Warning: /skms setting overrides the /skms-domain setting. %KMS% will be used for activation.',
  MsgKmsUseMachineName: 'Warning: /skms setting is in effect. %KMS% will be used for activation.',
  MsgKmsUseLookupDomain: 'Warning: /skms-domain setting is in effect. %FQDN% will be used for DNS SRV record lookup.',
  MsgKmsHostCachingDisabled: 'KMS host caching is disabled',
  MsgKmsHostCachingEnabled: 'KMS host caching is enabled',
  MsgVLActivationTypeSet: 'Volume activation type set successfully.',
  MsgRearm_1: 'Command completed successfully.',
  MsgRearm_2: 'Please restart the system for the changes to take effect.',
  MsgServiceVersion: 'Software licensing service version: ',
  MsgProductName: 'Name: ',
  MsgProductDesc: 'Description: ',
  MsgActID: 'Activation ID: ',
  MsgAppID: 'Application ID: ',
  MsgPID4: 'Extended PID: ',
  MsgChannel: 'Product Key Channel: ',
  MsgInstallationID: 'Installation ID: ',
  MsgPartialPKey: 'Partial Product Key: ',
  MsgErrorLicenseNotInUse: 'This license is not in use.',
  MsgLicenseStatusUnlicensed_1: 'License Status: Unlicensed',
  MsgLicenseStatusLicensed_1: 'License Status: Licensed',
  MsgLicenseStatusVL_1: 'Volume activation expiration: %MINUTE% minute(s) (%DAY% day(s))',
  MsgLicenseStatusInitialGrace_1: 'License Status: Initial grace period',
  MsgLicenseStatusAdditionalGrace_1: 'License Status: Additional grace period (KMS license expired or hardware out of tolerance)',
  MsgLicenseStatusNonGenuineGrace_1: 'License Status: Non-genuine grace period.',
  MsgLicenseStatusNotification_1: 'License Status: Notification',
  MsgLicenseStatusExtendedGrace_1: 'License Status: Extended grace period',
  MsgLicenseStatusUnknown: 'License Status: Unknown',
  MsgNotificationErrorReasonNonGenuine: 'Notification Reason: 0x%ERRCODE% (non-genuine).',
  MsgNotificationErrorReasonExpiration: 'Notification Reason: 0x%ERRCODE% (grace time expired).',
  MsgNotificationErrorReasonOther: 'Notification Reason: 0x%ERRCODE%.',
  MsgLicenseStatusTimeRemaining: 'Time remaining: %MINUTE% minute(s) (%DAY% day(s))',
  MsgRemainingWindowsRearmCount: 'Remaining Windows rearm count: %COUNT%',
  MsgRemainingSkuRearmCount: 'Remaining SKU rearm count: %COUNT%',
  MsgRemainingAppRearmCount: 'Remaining App rearm count: %COUNT%',
  MsgCurrentTrustedTime: 'Trusted time: ',
  MsgVLActivationTypeAll: 'Configured Activation Type: All',
  MsgVLActivationTypeAD: 'Configured Activation Type: AD',
  MsgVLActivationTypeKMS: 'Configured Activation Type: KMS',
  MsgVLActivationTypeToken: 'Configured Activation Type: Token',
  MsgPleaseActivateRefreshKMSInfo: 'Please use slmgr.vbs /ato to activate and update KMS client information in order to update values.',
  MsgVLMostRecentActivationInfo: 'Most recent activation information:',
  MsgKmsInfo: 'Key Management Service client information',
  MsgCmid: 'Client Machine ID (CMID): ',
  MsgKmsLookupDomain: 'Registered KMS SRV record lookup domain: ',
  MsgRegisteredKmsName: 'Registered KMS machine name: ',
  MsgKmsFromDns: 'KMS machine name from DNS: ',
  MsgKmsFromDnsUnavailable: 'DNS auto-discovery: KMS name not available',
  MsgKmsIpAddress: 'KMS machine IP address: ',
  MsgKmsIpAddressUnavailable: 'KMS machine IP address: not available',
  MsgKmsPID4: 'KMS machine extended PID: ',
  MsgActivationInterval: 'Activation interval: %INTERVAL% minutes',
  MsgRenewalInterval: 'Renewal interval: %INTERVAL% minutes',
  MsgLicenseStatusUnlicensed: 'Unlicensed',
  MsgLicenseStatusVL: 'Volume activation will expire %ENDDATE%',
  MsgLicenseStatusLicensed: 'The machine is permanently activated.',
  MsgLicenseStatusInitialGrace: 'Initial grace period ends %ENDDATE%',
  MsgLicenseStatusAdditionalGrace: 'Additional grace period ends %ENDDATE%',
  MsgLicenseStatusNonGenuineGrace: 'Non-genuine grace period ends %ENDDATE%',
  MsgLicenseStatusNotification: 'Windows is in Notification mode',
  MsgLicenseStatusExtendedGrace: 'Extended grace period ends %ENDDATE%',
} as const;

export type MessageId = keyof typeof MESSAGES;
export type MessageParams = Readonly<Record<string, string | number>>;

/** Fills slmgr's %NAME% placeholders; unknown placeholders are left as they are, as slmgr does. */
export function message(id: MessageId, params: MessageParams = {}): string {
  return MESSAGES[id].replace(/%([A-Za-z]+)%/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** A line a command wants shown, kept as data so JSON can carry both the id and the text. */
export interface Notice {
  readonly id: MessageId;
  readonly params?: MessageParams;
}
