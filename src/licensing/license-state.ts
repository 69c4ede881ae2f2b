// License states and the timers that move a product between them. The store keeps a base status
// and the moment its period ends; what slmgr shows is derived from those and the clock, so moving
// the clock (--now) moves every product through its grace periods without a write.

import type { LicenseStatusCode, MachineRow, ProductRow } from '../store/types.js';
import { SL_E_GRACE_TIME_EXPIRED } from './hresult-codes.js';

export const LicenseStatus = {
  Unlicensed: 0,
  Licensed: 1,
  InitialGrace: 2,
  AdditionalGrace: 3,
  NonGenuineGrace: 4,
  Notification: 5,
  ExtendedGrace: 6,
} as const satisfies Record<string, LicenseStatusCode>;

export const LICENSE_STATUS_NAMES: Readonly<Record<LicenseStatusCode, string>> = {
  0: 'Unlicensed',
  1: 'Licensed',
  2: 'Initial grace period',
  3: 'Additional grace period',
  4: 'Non-genuine grace period',
  5: 'Notification',
  6: 'Extended grace period',
};

export const MINUTE_MS = 60_000;
export const DAY_MS = 24 * 60 * MINUTE_MS;
/** Out-of-box grace of a volume product, and the out-of-tolerance grace after a KMS activation lapses. */
export const GRACE_PERIOD_MS = 30 * DAY_MS;
/** A KMS activation is valid for 180 days and slides forward with every renewal. */
export const KMS_ACTIVATION_VALIDITY_MS = 180 * DAY_MS;

/**
 * The product fields of a KMS activation, cleared: the last activation was not a KMS one (AD or
 * token), so /dlv has no KMS host, ePID or intervals to show.
 */
export const NO_KMS_ACTIVATION = {
  kmsHostName: null,
  kmsHostPort: null,
  kmsHostIp: null,
  kmsHostEpid: null,
  vlActivationInterval: null,
  vlRenewalInterval: null,
} as const satisfies Partial<ProductRow>;

export interface EffectiveLicense {
  status: LicenseStatusCode;
  /** GracePeriodRemaining in whole minutes; 0 when the state has no end. */
  graceRemainingMinutes: number;
  /** When the current state ends (ms), or null. */
  endsAt: number | null;
  /** LicenseStatusReason (unsigned HRESULT) for the Notification state. */
  reason: number | null;
}

function remaining(endsAt: number, now: number): number {
  return Math.max(0, Math.floor((endsAt - now) / MINUTE_MS));
}

export function effectiveLicense(product: ProductRow, now: number): EffectiveLicense {
  if (product.partialKey === null) return { status: 0, graceRemainingMinutes: 0, endsAt: null, reason: null };
  const { licenseStatus, graceEndsAt } = product;
  if (graceEndsAt === null) {
    return { status: licenseStatus, graceRemainingMinutes: 0, endsAt: null, reason: product.statusReason };
  }
  if (now < graceEndsAt) {
    return { status: licenseStatus, graceRemainingMinutes: remaining(graceEndsAt, now), endsAt: graceEndsAt, reason: product.statusReason };
  }
  // A lapsed KMS activation falls back to the additional (out-of-tolerance) grace period first.
  if (licenseStatus === LicenseStatus.Licensed) {
    const ootEnds = graceEndsAt + GRACE_PERIOD_MS;
    if (now < ootEnds) {
      return { status: LicenseStatus.AdditionalGrace, graceRemainingMinutes: remaining(ootEnds, now), endsAt: ootEnds, reason: null };
    }
  }
  return { status: LicenseStatus.Notification, graceRemainingMinutes: 0, endsAt: null, reason: SL_E_GRACE_TIME_EXPIRED };
}

/** slmgr.vbs (Windows 8 and later) rounds days up: 258092 minutes are "180 day(s)". */
export function minutesToDays(minutes: number): number {
  return Math.ceil(minutes / 1440);
}

/** VLActivationTypeEnabled in force: a product's own wins; 0 (not set) defers to the service's. */
export function configuredActivationType(product: ProductRow, machine: MachineRow): number {
  return product.activationTypeEnabled !== 0 ? product.activationTypeEnabled : machine.activationTypeEnabled;
}
