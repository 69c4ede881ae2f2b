// Every switch of slmgr.vbs (Windows 8.1/10/11 generation), as data: the help text, the parameters
// slmgr insists on, and which module implements it. Order is the order of slmgr's usage text.

export type SwitchGroup = 'global' | 'advanced' | 'kms-client' | 'token' | 'kms' | 'ad';

export interface SwitchSpec {
  /** Lower-case name without the prefix, e.g. "ipk". */
  readonly name: string;
  /** Parameter text shown in the usage, e.g. "<Product Key>" ("" for none). */
  readonly params: string;
  /** Required parameters, each with the text of slmgr's "Error: option X needs …" line. */
  readonly required: readonly string[];
  /** How many optional parameters follow the required ones. Surplus arguments are ignored, as slmgr does. */
  readonly optional: number;
  readonly usage: string;
  readonly group: SwitchGroup;
  /** slmgr prints an empty line after this entry in its usage text. */
  readonly blankAfter?: boolean;
  /** Only reads: on an unknown lab machine it fails as slmgr does for an unreachable computer. */
  readonly readOnly?: boolean;
}

const ACT_ID = '[Activation ID]';

export const SWITCHES: readonly SwitchSpec[] = [
  { name: 'ipk', params: '<Product Key>', required: ['<Product Key>'], optional: 0, usage: 'Install product key (replaces existing key)', group: 'global' },
  { name: 'ato', params: ACT_ID, required: [], optional: 1, usage: 'Activate Windows', group: 'global' },
  { name: 'dli', params: '[Activation ID | All]', required: [], optional: 1, usage: 'Display license information (default: current license)', group: 'global', readOnly: true },
  { name: 'dlv', params: '[Activation ID | All]', required: [], optional: 1, usage: 'Display detailed license information (default: current license)', group: 'global', readOnly: true },
  { name: 'xpr', params: ACT_ID, required: [], optional: 1, usage: 'Expiration date for current license state', group: 'global', blankAfter: true, readOnly: true },

  { name: 'cpky', params: '', required: [], optional: 0, usage: 'Clear product key from the registry (prevents disclosure attacks)', group: 'advanced' },
  { name: 'ilc', params: '<License file>', required: ['<License file>'], optional: 0, usage: 'Install license', group: 'advanced' },
  { name: 'rilc', params: '', required: [], optional: 0, usage: 'Re-install system license files', group: 'advanced' },
  { name: 'rearm', params: '', required: [], optional: 0, usage: 'Reset the licensing status of the machine', group: 'advanced' },
  { name: 'rearm-app', params: '<Application ID>', required: ['<Application ID>'], optional: 0, usage: 'Reset the licensing status of the given app', group: 'advanced' },
  { name: 'rearm-sku', params: '<Activation ID>', required: ['<Activation ID>'], optional: 0, usage: 'Reset the licensing status of the given sku', group: 'advanced' },
  { name: 'upk', params: ACT_ID, required: [], optional: 1, usage: 'Uninstall product key', group: 'advanced', blankAfter: true },
  { name: 'dti', params: ACT_ID, required: [], optional: 1, usage: 'Display Installation ID for offline activation', group: 'advanced', readOnly: true },
  { name: 'atp', params: '<Confirmation ID> [Activation ID]', required: ['<Confirmation ID>'], optional: 1, usage: 'Activate product with user-provided Confirmation ID', group: 'advanced', blankAfter: true },

  { name: 'skms', params: '<Name[:Port] | : port> [Activation ID]', required: ['<Name[:Port] | : port>'], optional: 1, usage: 'Set the name and/or the port for the KMS computer this machine will use. IPv6 address must be specified in the format [hostname]:port', group: 'kms-client' },
  { name: 'ckms', params: ACT_ID, required: [], optional: 1, usage: 'Clear name of KMS computer used (sets the port to the default)', group: 'kms-client' },
  { name: 'skms-domain', params: '<FQDN> [Activation ID]', required: ['<FQDN>'], optional: 1, usage: 'Set the specific DNS domain in which all KMS SRV records can be found. This setting has no effect if the specific single KMS host is set via /skms option.', group: 'kms-client' },
  { name: 'ckms-domain', params: ACT_ID, required: [], optional: 1, usage: 'Clear the specific DNS domain in which all KMS SRV records can be found. The specific KMS host will be used if set via /skms. Otherwise default KMS auto-discovery will be used.', group: 'kms-client' },
  { name: 'skhc', params: '', required: [], optional: 0, usage: 'Enable KMS host caching', group: 'kms-client' },
  { name: 'ckhc', params: '', required: [], optional: 0, usage: 'Disable KMS host caching', group: 'kms-client', blankAfter: true },

  { name: 'lil', params: '', required: [], optional: 0, usage: 'List installed Token-based Activation Issuance Licenses', group: 'token', readOnly: true },
  { name: 'ril', params: '<ILID> <ILvID>', required: ['<ILID> <ILvID>', '<ILID> <ILvID>'], optional: 0, usage: 'Remove installed Token-based Activation Issuance License', group: 'token' },
  { name: 'ltc', params: '', required: [], optional: 0, usage: 'List Token-based Activation Certificates', group: 'token', readOnly: true },
  { name: 'fta', params: '<Certificate Thumbprint> [<PIN>]', required: ['<Certificate Thumbprint> [<PIN>]'], optional: 1, usage: 'Force Token-based Activation', group: 'token', blankAfter: true },

  { name: 'sprt', params: '<Port>', required: ['<Port>'], optional: 0, usage: 'Set TCP port KMS will use to communicate with clients', group: 'kms' },
  { name: 'sai', params: '<Activation Interval>', required: ['<Activation Interval>'], optional: 0, usage: 'Set interval (minutes) for unactivated clients to attempt KMS connection. The activation interval must be between 15 minutes (min) and 30 days (max) although the default (2 hours) is recommended.', group: 'kms' },
  { name: 'sri', params: '<Renewal Interval>', required: ['<Renewal Interval>'], optional: 0, usage: 'Set renewal interval (minutes) for activated clients to attempt KMS connection. The renewal interval must be between 15 minutes (min) and 30 days (max) although the default (7 days) is recommended.', group: 'kms' },
  { name: 'sdns', params: '', required: [], optional: 0, usage: 'Enable DNS publishing by KMS (default)', group: 'kms' },
  { name: 'cdns', params: '', required: [], optional: 0, usage: 'Disable DNS publishing by KMS', group: 'kms' },
  { name: 'spri', params: '', required: [], optional: 0, usage: 'Set KMS priority to normal (default)', group: 'kms' },
  { name: 'cpri', params: '', required: [], optional: 0, usage: 'Set KMS priority to low', group: 'kms' },
  { name: 'act-type', params: '[Activation-Type] [Activation ID]', required: [], optional: 2, usage: 'Set activation type to 1 (for AD) or 2 (for KMS) or 3 (for Token) or 0 (for all).', group: 'kms', blankAfter: true },

  { name: 'ad-activation-online', params: '<Product Key> [Activation Object name]', required: ['<Product Key>'], optional: 1, usage: 'Activate AD (Active Directory) forest with user-provided product key', group: 'ad' },
  { name: 'ad-activation-get-iid', params: '<Product Key>', required: ['<Product Key>'], optional: 0, usage: 'Display Installation ID for AD (Active Directory) forest', group: 'ad', readOnly: true },
  { name: 'ad-activation-apply-cid', params: '<Product Key> <Confirmation ID> [Activation Object name]', required: ['<Product Key>', '<Confirmation ID>'], optional: 1, usage: 'Activate AD (Active Directory) forest with user-provided product key and Confirmation ID', group: 'ad' },
  { name: 'ao-list', params: '', required: [], optional: 0, usage: 'Display Activation Objects in AD (Active Directory)', group: 'ad', readOnly: true },
  { name: 'del-ao', params: '<Activation Object DN | Activation Object RDN>', required: ['<Activation Object DN | Activation Object RDN>'], optional: 0, usage: 'Delete Activation Objects in AD (Active Directory) for user-provided Activation Object', group: 'ad' },
];

const BY_NAME = new Map(SWITCHES.map((s) => [s.name, s]));

export function findSwitch(name: string): SwitchSpec | undefined {
  return BY_NAME.get(name.toLowerCase());
}

const GROUP_HEADINGS: Record<SwitchGroup, string> = {
  global: 'Global Options:',
  advanced: 'Advanced Options:',
  'kms-client': 'Volume Licensing: Key Management Service (KMS) Client Options:',
  token: 'Volume Licensing: Token-based Activation Options:',
  kms: 'Volume Licensing: Key Management Service (KMS) Options:',
  ad: 'Volume Licensing: Active Directory (AD) Activation Options:',
};

/** slmgr's usage text, line by line, exactly as slmgr.vbs prints it. */
export function usageLines(): string[] {
  const lines = [
    'Windows Software Licensing Management Tool',
    'Usage: slmgr.vbs [MachineName [User Password]] [<Option>]',
    '           MachineName: Name of remote machine (default is local machine)',
    '           User:        Account with required privilege on remote machine',
    '           Password:    password for the previous account',
    '',
  ];
  let group: SwitchGroup | undefined;
  for (const spec of SWITCHES) {
    if (spec.group !== group) {
      group = spec.group;
      lines.push(GROUP_HEADINGS[group]);
    }
    // slmgr joins name and parameters with a space even when there are none: "/cpky ".
    lines.push(`/${spec.name} ${spec.params}`, `    ${spec.usage}`);
    if (spec.blankAfter) lines.push('');
  }
  return lines;
}
