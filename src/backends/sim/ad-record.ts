// What a KMS client product keeps of its last Active Directory-based activation: the
// SoftwareLicensingProduct properties behind slmgr's AD client block (ADActivationObjectName,
// ADActivationObjectDN, ADActivationCsvlkPid, ADActivationCsvlkSkuId). Apart from ad.ts so that
// /dli and /dlv read it without loading the product catalog that activating needs.

import type { StoreTx } from '../../store/store.js';
import type { ProductRow } from '../../store/types.js';

/** Licensing objects of this kind belong to the client machine and are named by the product's Activation ID. */
export const AD_CLIENT_KIND = 'ad-activation';

export interface AdClientActivation {
  activationObjectName: string;
  activationObjectDn: string;
  /** ADActivationCsvlkPid: the AO's extended PID. */
  extendedPid: string;
  /** ADActivationCsvlkSkuId: the CSVLK's Activation ID. */
  activationId: string;
  /** The activation this record belongs to: equal to the product's activatedAt while it is the latest. */
  activatedAt: number;
}

/**
 * The product's AD activation when its most recent activation went through AD (VLActivationType 1),
 * else null: a later KMS activation, or a new key, leaves the old record behind unused.
 */
export function adActivationOf(tx: StoreTx, product: ProductRow): AdClientActivation | null {
  // A KMS activation records its host: the product's last activation then went through KMS.
  if (product.partialKey === null || product.activatedAt === null || product.kmsCountedId === null || product.kmsHostName !== null) return null;
  const record = tx.getObject(AD_CLIENT_KIND, product.machineId, product.skuId);
  if (!record) return null;
  const data = record.data as unknown as AdClientActivation;
  return data.activatedAt === product.activatedAt ? data : null;
}

/** The AD client block of /dli and /dlv as data (--json: `adActivation`). */
export interface AdActivationView {
  /** `Activation Object name:` */
  activationObjectName: string;
  /** `AO DN:` */
  activationObjectDn: string;
  /** `AO extended PID:` */
  extendedPid: string;
  /** `AO activation ID:` (the CSVLK's Activation ID). */
  activationId: string;
  activatedAt: string;
}

export function adActivationView(tx: StoreTx, product: ProductRow): AdActivationView | null {
  const record = adActivationOf(tx, product);
  if (record === null) return null;
  return {
    activationObjectName: record.activationObjectName,
    activationObjectDn: record.activationObjectDn,
    extendedPid: record.extendedPid,
    activationId: record.activationId,
    activatedAt: new Date(record.activatedAt).toISOString(),
  };
}
