// /ato of a product keyed with a MAK, retail or OEM key (known to the lab through an installed
// product-key configuration licence, docs/licenses.md): the simulated Microsoft activation service
// activates it online, for good, within the key's activation limit. The service counts each key's
// activations by its digest, per machine, in the same table as host keys.

import { effectiveLicense, LicenseStatus } from '../../licensing/license-state.js';
import type { MachineRow, ProductRow } from '../../store/types.js';
import type { ActivationOutcome, SimContext } from './activation.js';

/** SL_E_CHPA_DMAK_LIMIT_EXCEEDED: "…the Multiple Activation Key has exceeded its limit". */
export const SL_E_CHPA_DMAK_LIMIT_EXCEEDED = 0xc004c020;
/** SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED: "…the specified product key could not be used". */
const SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED = 0xc004c008;

/** How many machines one lab MAK activates; a retail or OEM key activates one machine. */
export const LAB_MAK_MACHINES = 10;

/** Products that activate with Microsoft rather than a KMS host: MAK, retail and OEM channels. */
export function activatesOnline(product: ProductRow): boolean {
  return product.hostKeyType === null && product.kmsCountedId === null && product.channel !== null
    && (product.channel === 'Volume:MAK' || product.channel === 'Retail' || product.channel.startsWith('OEM:'));
}

export function activateOnline(sim: SimContext, machine: MachineRow, product: ProductRow): ActivationOutcome {
  if (effectiveLicense(product, sim.now).status === LicenseStatus.Licensed) return { ok: true, host: null };
  const digest = product.keyDigest as string;
  const uses = sim.tx.hostKeyActivations(digest);
  const known = uses.some((u) => u.machineId === machine.id);
  const mak = product.channel === 'Volume:MAK';
  if (!known && uses.length >= (mak ? LAB_MAK_MACHINES : 1)) {
    return { ok: false, hresult: mak ? SL_E_CHPA_DMAK_LIMIT_EXCEEDED : SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED, host: null };
  }
  sim.tx.addHostKeyActivation(digest, machine.id);
  sim.tx.updateProduct(machine.id, product.skuId, { licenseStatus: LicenseStatus.Licensed, graceEndsAt: null, statusReason: null, activatedAt: sim.now });
  return { ok: true, host: null };
}
