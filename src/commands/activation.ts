// /ato: activate the default product (the keyed Windows licence) or the one given. A KMS host
// product activates its host key with the simulated activation service; a KMS client product
// finds a KMS host and asks it. slmgr stops at the first product that fails.

import { activateHostKey, activateKmsClient, type ActivationOutcome, type ReachedHost } from '../backends/sim/activation.js';
import { NotImplementedError, SoftFailure } from '../errors.js';
import { WINDOWS_APP_ID } from '../licensing/applications.js';
import { hex, SL_E_VL_BINDING_SERVICE_UNAVAILABLE } from '../licensing/hresult-codes.js';
import { configuredActivationType } from '../licensing/license-state.js';
import { normaliseGuid, type CommandContext } from './context.js';

export interface ProductActivation {
  activationId: string;
  name: string;
  activated: boolean;
  /** "0xC004F038" when the activation failed. */
  hresult: string | null;
  /** The KMS host that answered a KMS client, with the count it reported. */
  kmsHost: ReachedHost | null;
}

export interface ActivationResult {
  kind: 'activation';
  /** Volume activation type 3: slmgr refuses KMS activation and points at /fta. */
  tokenOnly: boolean;
  products: ProductActivation[];
  /** The failure that ended the command, as an unsigned HRESULT, and whether the network was to blame. */
  failure: { hresult: number; network: boolean } | null;
}

const TOKEN_ONLY = 3;

export function activate(ctx: CommandContext, args: readonly string[]): ActivationResult {
  if (ctx.backend === 'kms') {
    throw new NotImplementedError('kms-backend', 'The kms backend (a real KMS host over the network) is not implemented yet (planned in issue #4); nothing was changed.');
  }
  const [selector] = args;
  const id = selector === undefined ? undefined : normaliseGuid(selector);
  const targets = ctx.tx
    .listProducts(ctx.machine.id)
    .filter((p) => p.partialKey !== null && (id === undefined ? p.applicationId === WINDOWS_APP_ID : p.skuId === id));
  if (targets.length === 0) throw new SoftFailure('MsgErrorProductNotFound');

  const sim = { tx: ctx.tx, now: ctx.now, random: ctx.random };
  const products: ProductActivation[] = [];
  for (const product of targets) {
    if (configuredActivationType(product, ctx.machine) === TOKEN_ONLY) return { kind: 'activation', tokenOnly: true, products, failure: null };
    const outcome: ActivationOutcome = product.hostKeyType !== null
      ? activateHostKey(sim, ctx.machine, product)
      : activateKmsClient(sim, ctx.machine, product);
    products.push({
      activationId: product.skuId,
      name: product.name,
      activated: outcome.ok,
      hresult: outcome.ok ? null : `0x${hex(outcome.hresult)}`,
      kmsHost: outcome.host,
    });
    if (!outcome.ok) {
      return { kind: 'activation', tokenOnly: false, products, failure: { hresult: outcome.hresult, network: outcome.hresult === SL_E_VL_BINDING_SERVICE_UNAVAILABLE } };
    }
  }
  return { kind: 'activation', tokenOnly: false, products, failure: null };
}
