// Which function implements each slmgr switch. Modules load on demand so a quick command pays
// only for the code it runs.

import type { ClearProductKeyResult, InstallProductKeyResult, UninstallProductKeyResult } from './product-key.js';
import type { DisplayResult, ExpirationResult } from './display.js';
import type { ActivationTypeResult, HostCachingResult, KmsSettingResult } from './kms-client.js';
import type { RearmResult } from './rearm.js';
import type { ActivationResult } from './activation.js';
import type { KmsHostSettingResult } from './kms-host.js';
import type { TokenResult } from './token.js';
import type { TelephoneResult } from './telephone.js';
import type { AdCommandResult } from './ad-activation.js';
import type { InstallLicenseFileResult, ReinstallLicenseFilesResult } from './license-files.js';
import type { CommandContext } from './context.js';

export type CommandResult =
  | InstallProductKeyResult
  | UninstallProductKeyResult
  | ClearProductKeyResult
  | DisplayResult
  | ExpirationResult
  | KmsSettingResult
  | HostCachingResult
  | ActivationTypeResult
  | RearmResult
  | ActivationResult
  | KmsHostSettingResult
  | InstallLicenseFileResult
  | ReinstallLicenseFilesResult
  | TokenResult
  | TelephoneResult
  | AdCommandResult;

export type Command = (ctx: CommandContext, args: readonly string[]) => CommandResult;

const productKey = () => import('./product-key.js');
const display = () => import('./display.js');
const kmsClient = () => import('./kms-client.js');
const rearm = () => import('./rearm.js');
const activation = () => import('./activation.js');
const kmsHost = () => import('./kms-host.js');
const licenseFiles = () => import('./license-files.js');
const token = () => import('./token.js');
const telephone = () => import('./telephone.js');
const adActivation = () => import('./ad-activation.js');

const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  ipk: async () => (await productKey()).installProductKey,
  upk: async () => (await productKey()).uninstallProductKey,
  cpky: async () => (await productKey()).clearProductKeyFromRegistry,
  ilc: async () => (await licenseFiles()).installLicenseFile,
  rilc: async () => (await licenseFiles()).reinstallLicenseFiles,
  dli: async () => (await display()).displayLicenseInformation,
  dlv: async () => (await display()).displayDetailedLicenseInformation,
  xpr: async () => (await display()).expirationDate,
  skms: async () => (await kmsClient()).setKmsMachine,
  ckms: async () => (await kmsClient()).clearKmsMachine,
  'skms-domain': async () => (await kmsClient()).setKmsLookupDomain,
  'ckms-domain': async () => (await kmsClient()).clearKmsLookupDomain,
  skhc: async () => (await kmsClient()).enableKmsHostCaching,
  ckhc: async () => (await kmsClient()).disableKmsHostCaching,
  'act-type': async () => (await kmsClient()).setActivationType,
  rearm: async () => (await rearm()).rearmWindows,
  'rearm-app': async () => (await rearm()).rearmApplication,
  'rearm-sku': async () => (await rearm()).rearmSku,
  ato: async () => (await activation()).activate,
  sprt: async () => (await kmsHost()).setListeningPort,
  sai: async () => (await kmsHost()).setActivationInterval,
  sri: async () => (await kmsHost()).setRenewalInterval,
  sdns: async () => (await kmsHost()).enableDnsPublishing,
  cdns: async () => (await kmsHost()).disableDnsPublishing,
  spri: async () => (await kmsHost()).setNormalPriority,
  cpri: async () => (await kmsHost()).setLowPriority,
  lil: async () => (await token()).listIssuanceLicenses,
  ril: async () => (await token()).removeIssuanceLicense,
  ltc: async () => (await token()).listTokenCertificates,
  fta: async () => (await token()).forceTokenActivation,
  dti: async () => (await telephone()).displayInstallationId,
  atp: async () => (await telephone()).depositConfirmationId,
  'ad-activation-online': async () => (await adActivation()).activateForestOnline,
  'ad-activation-get-iid': async () => (await adActivation()).forestInstallationIdFor,
  'ad-activation-apply-cid': async () => (await adActivation()).activateForestByPhone,
  'ao-list': async () => (await adActivation()).listForestActivationObjects,
  'del-ao': async () => (await adActivation()).deleteForestActivationObject,
};

export function loadCommand(switchName: string): Promise<Command> {
  const load = COMMANDS[switchName];
  // The switch table and this registry are checked against each other by test/cli/switches.test.ts.
  if (!load) throw new Error(`no command for the switch /${switchName}`);
  return load();
}

