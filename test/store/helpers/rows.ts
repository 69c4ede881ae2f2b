// Row factories shared by the tests and the child-process helpers (so no vitest imports here).
import type { ProductRow } from '../../../src/store/types.js';

/** The product whose rearm count the concurrency test's writers increment. */
export const COUNTER_SKU = '00000000-0000-0000-0000-000000000000';

/** A product row with every column set to a non-null value, so round trips cover them all. */
export function fullProduct(machineId: number, skuId: string, overrides: Partial<ProductRow> = {}): ProductRow {
  return {
    machineId,
    skuId,
    applicationId: '55c92734-d682-4d71-983e-d6ec3f16059f',
    name: 'Windows(R), Professional edition',
    description: 'Windows(R) Operating System, VOLUME_KMSCLIENT channel',
    partialKey: 'T83GX',
    keyDigest: 'a'.repeat(64),
    keyGroup: 3591,
    keySerial: 123456789,
    channel: 'Volume:GVLK',
    extendedPid: '03612-03591-123-456789-03-1033-26100.0000-0012025',
    installationId: '1234567'.repeat(9),
    installedAt: 1_700_000_000_000,
    licenseStatus: 5,
    graceEndsAt: 1_715_552_000_000,
    statusReason: 0xc004f056,
    remainingSkuRearmCount: 1000,
    remainingAppRearmCount: 999,
    activationTypeEnabled: 2,
    kmsMachine: 'kms.lab.example',
    kmsPort: 1689,
    kmsLookupDomain: 'lab.example',
    activatedAt: 1_700_000_100_000,
    kmsHostName: 'kms01.lab.example',
    kmsHostPort: 1688,
    kmsHostIp: '10.0.0.5',
    kmsHostEpid: '06401-00206-551-123456-03-1033-26100.0000-0012025',
    vlActivationInterval: 120,
    vlRenewalInterval: 10080,
    kmsCountedId: '58e2134f-8e11-4d17-9cb2-91069c151148',
    minimumCount: 25,
    hostKeyType: null,
    kmsTotalRequests: 11,
    kmsFailedRequests: 2,
    kmsUnlicensedRequests: 1,
    kmsLicensedRequests: 3,
    kmsOobGraceRequests: 4,
    kmsOotGraceRequests: 5,
    kmsNonGenuineGraceRequests: 6,
    kmsNotificationRequests: 7,
    kmsNextAttemptAt: 1_700_000_200_000,
    ...overrides,
  };
}
