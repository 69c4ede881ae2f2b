// Row shapes of the state store. Times are milliseconds since the Unix epoch (UTC).
// Full product keys are never stored: a product row keeps the partial key, a SHA-256 digest of
// the normalised key and the decoded group/serial, which is all any command needs.

export interface MachineRow {
  id: number;
  /** Lab machine name, or the host name of the local machine (case-insensitive, unique). */
  name: string;
  isLocal: boolean;
  fqdn: string | null;
  dnsDomain: string | null;
  /** Lab address other machines reach it at; null for the local machine. */
  ipAddress: string | null;
  /** Client Machine ID, a random v4 UUID chosen when the machine is created. */
  cmid: string;
  createdAt: number;
  /** SoftwareLicensingService.Version, e.g. "10.0.26100.1". */
  serviceVersion: string;
  osBuild: number;
  lcid: number;
  remainingWindowsRearmCount: number;
  /** False after /cpky: the key is no longer readable from the (simulated) registry. */
  keyInRegistry: boolean;
  // KMS client settings at service level (/skms, /skms-domain without an Activation ID)
  kmsMachine: string | null;
  kmsPort: number | null;
  kmsLookupDomain: string | null;
  kmsHostCaching: boolean;
  // KMS host settings (used once the machine is a KMS host)
  kmsListeningPort: number;
  kmsDnsPublishing: boolean;
  kmsLowPriority: boolean;
  vlActivationInterval: number;
  vlRenewalInterval: number;
  /** VLActivationTypeEnabled set on the licensing service (/act-type without an Activation ID). */
  activationTypeEnabled: number;
  /** DnsDomainPublishList: further domains a KMS host publishes its SRV record in. */
  kmsPublishDomains: string[];
  /** Lab firewall: the rule "Key Management Service (TCP-In)" is disabled, so the port is unreachable. */
  kmsPortBlocked: boolean;
}

export type LicenseStatusCode = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export interface ProductRow {
  machineId: number;
  /** Activation ID (SKU ID), lower-case GUID. */
  skuId: string;
  applicationId: string;
  /**
   * SoftwareLicensingProduct.Name and .Description, kept with the licence as SPP keeps them, so
   * showing a product never needs the catalog it was installed from.
   */
  name: string;
  description: string;
  /** Last five characters of the installed key; null when the licence is not in use (/upk). */
  partialKey: string | null;
  /** Hex SHA-256 of the normalised key; null when unkeyed. */
  keyDigest: string | null;
  keyGroup: number | null;
  keySerial: number | null;
  /** e.g. "Volume:GVLK". */
  channel: string | null;
  extendedPid: string | null;
  installationId: string | null;
  installedAt: number | null;
  /** Stored base status; the effective status is derived from it, the timers and the clock. */
  licenseStatus: LicenseStatusCode;
  /** When the current grace or activation period ends; null when it never does. */
  graceEndsAt: number | null;
  /** LicenseStatusReason HRESULT (unsigned) when relevant. */
  statusReason: number | null;
  remainingSkuRearmCount: number;
  /** Rearms left for this product's application (shown for non-Windows products). */
  remainingAppRearmCount: number;
  /** VLActivationTypeEnabled: 0 all, 1 AD, 2 KMS, 3 Token. */
  activationTypeEnabled: number;
  // KMS client settings at product level (/skms … <ActID>)
  kmsMachine: string | null;
  kmsPort: number | null;
  kmsLookupDomain: string | null;
  // Most recent KMS activation (filled by the sim and kms backends)
  activatedAt: number | null;
  kmsHostName: string | null;
  kmsHostPort: number | null;
  kmsHostIp: string | null;
  kmsHostEpid: string | null;
  vlActivationInterval: number | null;
  vlRenewalInterval: number | null;
  /** KMS counted ID a KMS client product asks for, and the count it needs; null for other products. */
  kmsCountedId: string | null;
  minimumCount: number | null;
  /** For a KMS host product: the csvlkActivationId of the host-key type it runs; null otherwise. */
  hostKeyType: string | null;
  /** KeyManagementService*Requests: cumulative counters of a KMS host product, by client status. */
  kmsTotalRequests: number;
  kmsFailedRequests: number;
  kmsUnlicensedRequests: number;
  kmsLicensedRequests: number;
  kmsOobGraceRequests: number;
  kmsOotGraceRequests: number;
  kmsNonGenuineGraceRequests: number;
  kmsNotificationRequests: number;
  /** When a KMS client product next tries to activate or renew by itself (the lab clock runs it). */
  kmsNextAttemptAt: number | null;
}

/** A manual `_vlmcs._tcp.<domain>` SRV record in the lab DNS. */
export interface SrvRecordRow {
  id: number;
  domain: string;
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface EventRow {
  id: number;
  machineId: number;
  at: number;
  /** Windows event ID: 12288, 12289, 12290, … */
  eventId: number;
  data: Record<string, unknown>;
}

/** One licensing object (a licence file, a key range, a token licence, an activation object …). */
export interface LicensingObjectRow {
  /** null: it belongs to the lab as a whole (the AD forest). */
  machineId: number | null;
  kind: string;
  name: string;
  data: Record<string, unknown>;
  createdAt: number;
}
