// Which function implements each slmgr switch. Modules load on demand so a quick command pays
// only for the code it runs.

import type { ClearProductKeyResult, InstallProductKeyResult, UninstallProductKeyResult } from './product-key.js';
import type { DisplayResult, ExpirationResult } from './display.js';
import type { ActivationTypeResult, HostCachingResult, KmsSettingResult } from './kms-client.js';
import type { RearmResult } from './rearm.js';
import type { ActivationResult } from './activation.js';
import type { KmsHostSettingResult } from './kms-host.js';
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
  | KmsHostSettingResult;

export type Command = (ctx: CommandContext, args: readonly string[]) => CommandResult;

const productKey = () => import('./product-key.js');
const display = () => import('./display.js');
const kmsClient = () => import('./kms-client.js');
const rearm = () => import('./rearm.js');
const activation = () => import('./activation.js');
const kmsHost = () => import('./kms-host.js');

const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  ipk: async () => (await productKey()).installProductKey,
  upk: async () => (await productKey()).uninstallProductKey,
  cpky: async () => (await productKey()).clearProductKeyFromRegistry,
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
};

export function loadCommand(switchName: string): Promise<Command> | undefined {
  return COMMANDS[switchName]?.();
}

