// Lab tooling (extensions, not slmgr switches): inspect and shape the simulated KMS world — its
// machines, DNS zone, firewall, clock-free operations such as a new CMID, and bulk clients.

import { ActivationBatch, activateProduct, runDueAttempts, type SimContext } from '../backends/sim/activation.js';
import { createLabMachine, LAB_DEFAULT_DOMAIN, labClockOffset, setLabClockOffset, srvRecords, type PublishedSrvRecord } from '../backends/sim/lab.js';
import { UsageError } from '../errors.js';
import { hex } from '../licensing/hresult-codes.js';
import type { StoreTx } from '../store/store.js';
import type { EventRow, MachineRow } from '../store/types.js';
import type { CommandContext } from './context.js';
import { parsePort } from './kms-client.js';
import { installPreparedKey, prepareProductKey } from './product-key.js';
import type { LabTokensInstalledResult } from './token-lab.js';
import type { PhoneCentreResult } from './phone-centre.js';
import type { CilxResult } from './cilx.js';

export { installLabTokens } from './token-lab.js';
export { phoneActivate } from './phone-centre.js';
export { exportCilx, importCilx, decodeCilxBytes, CILX_MAX_BYTES } from './cilx.js';

export interface LabContext {
  readonly tx: StoreTx;
  readonly now: number;
  readonly randomUUID: () => string;
  readonly random: () => number;
  readonly hostname: string;
  /** The time was given with --now / SLMGR_NOW, so the lab clock itself is not moved. */
  readonly explicitNow: boolean;
}

export interface LabMachineView {
  name: string;
  fqdn: string | null;
  dnsDomain: string | null;
  ipAddress: string | null;
  cmid: string;
  isLocal: boolean;
  role: 'kms-host' | 'kms-client' | 'none';
  products: { activationId: string; name: string; partialProductKey: string | null }[];
  kmsPortBlocked: boolean;
}

export type LabResult =
  | { kind: 'lab-machines'; machines: LabMachineView[] }
  | { kind: 'lab-dns'; domain: string; records: PublishedSrvRecord[]; addresses: Record<string, string> }
  | { kind: 'lab-dns-changed'; domain: string; added: PublishedSrvRecord | null; removed: number }
  | { kind: 'lab-events'; machine: string; events: EventRow[] }
  | { kind: 'lab-machine-changed'; machine: string; change: string; value: string | boolean | string[] }
  | { kind: 'lab-clients'; created: string[]; activated: number; failed: { machine: string; hresult: string }[] }
  | { kind: 'lab-advanced'; from: string; to: string; clockMoved: boolean; attempts: number; activated: number; failed: number }
  | LabTokensInstalledResult
  | CilxResult
  | PhoneCentreResult;

const DURATION_UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "90m", "12h", "7d", "2w" → milliseconds. */
/**
 * Ten years: far past every grace period and a few hundred renewals per client, while a typo such
 * as 999999w (19,000 years of renewals) would keep the lab busy for hours.
 */
const MAX_ADVANCE_MS = 3650 * 24 * 60 * 60_000;

export function parseDuration(text: string): number {
  const match = /^(\d{1,6})([mhdw])$/.exec(text.trim());
  if (!match) throw new UsageError(`a duration is a number and a unit m, h, d or w, e.g. 7d (got "${text}")`);
  const ms = Number(match[1]) * (DURATION_UNITS[match[2] as string] as number);
  if (ms > MAX_ADVANCE_MS) throw new UsageError(`a duration is at most 3650d (ten years) (got "${text}")`);
  return ms;
}

/**
 * Lets lab time pass: every KMS client makes the activation and renewal attempts its intervals
 * call for, in time order, and the lab clock moves forward (unless --now fixes the time).
 */
export function advance(lab: LabContext, duration: string): LabResult {
  const ms = parseDuration(duration);
  const to = lab.now + ms;
  const run = runDueAttempts({ tx: lab.tx, now: lab.now, random: lab.random }, to);
  if (!lab.explicitNow) setLabClockOffset(lab.tx, labClockOffset(lab.tx) + ms);
  return { kind: 'lab-advanced', from: new Date(lab.now).toISOString(), to: new Date(to).toISOString(), clockMoved: !lab.explicitNow, ...run };
}

function machineOrFail(tx: StoreTx, name: string): MachineRow {
  const machine = tx.findMachine(name);
  if (!machine) throw new UsageError(`no lab machine named "${name}" (slmgr lab machines lists them)`);
  return machine;
}

function machineView(tx: StoreTx, m: MachineRow): LabMachineView {
  const products = tx.listProducts(m.id).filter((p) => p.partialKey !== null);
  const role = products.some((p) => p.hostKeyType !== null) ? 'kms-host' : products.some((p) => p.kmsCountedId !== null) ? 'kms-client' : 'none';
  return {
    name: m.name, fqdn: m.fqdn, dnsDomain: m.dnsDomain, ipAddress: m.ipAddress, cmid: m.cmid, isLocal: m.isLocal, role,
    products: products.map((p) => ({ activationId: p.skuId, name: p.name, partialProductKey: p.partialKey })),
    kmsPortBlocked: m.kmsPortBlocked,
  };
}

export function listMachines(lab: LabContext): LabResult {
  return { kind: 'lab-machines', machines: lab.tx.listMachines().map((m) => machineView(lab.tx, m)) };
}

export function listDns(lab: LabContext, domain: string): LabResult {
  const records = srvRecords(lab.tx, domain, lab.now);
  const addresses: Record<string, string> = {};
  for (const r of records) {
    const ip = lab.tx.findMachineByAddress(r.target)?.ipAddress;
    if (ip) addresses[r.target.toLowerCase()] = ip;
  }
  return { kind: 'lab-dns', domain, records, addresses };
}

export function addDns(lab: LabContext, domain: string, target: string, options: { port?: string; priority?: string; weight?: string }): LabResult {
  const number = (text: string | undefined, fallback: number, what: string) => {
    if (text === undefined) return fallback;
    if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`${what} must be 0-65535 (got "${text}")`);
    return Number(text);
  };
  const record = {
    domain: domain.replace(/\.$/, '').toLowerCase(),
    priority: number(options.priority, 0, '--priority'),
    weight: number(options.weight, 0, '--weight'),
    port: options.port === undefined ? 1688 : parsePort(options.port),
    target: target.replace(/\.$/, ''),
  };
  const added = lab.tx.addSrvRecord(record);
  return { kind: 'lab-dns-changed', domain: record.domain, added: { ...added, source: 'manual' }, removed: 0 };
}

export function removeDns(lab: LabContext, domain: string, target: string | undefined): LabResult {
  const removed = lab.tx.removeSrvRecords(domain.replace(/\.$/, '').toLowerCase(), target?.replace(/\.$/, ''));
  return { kind: 'lab-dns-changed', domain, added: null, removed };
}

export function listEvents(lab: LabContext, name: string): LabResult {
  const machine = machineOrFail(lab.tx, name);
  return { kind: 'lab-events', machine: machine.name, events: lab.tx.listEvents(machine.id) };
}

export function setFirewall(lab: LabContext, name: string, action: 'block' | 'allow'): LabResult {
  const machine = machineOrFail(lab.tx, name);
  lab.tx.updateMachine(machine.id, { kmsPortBlocked: action === 'block' });
  return { kind: 'lab-machine-changed', machine: machine.name, change: 'kms-port-blocked', value: action === 'block' };
}

/** What sysprep /generalize does: the machine forgets its CMID and gets a new one. */
export function newCmid(lab: LabContext, name: string): LabResult {
  const machine = machineOrFail(lab.tx, name);
  const cmid = lab.randomUUID();
  lab.tx.updateMachine(machine.id, { cmid });
  return { kind: 'lab-machine-changed', machine: machine.name, change: 'cmid', value: cmid };
}

/** Clones share a CMID: the classic reason a KMS count stays stuck. */
export function cloneCmid(lab: LabContext, name: string, from: string): LabResult {
  const machine = machineOrFail(lab.tx, name);
  const source = machineOrFail(lab.tx, from);
  lab.tx.updateMachine(machine.id, { cmid: source.cmid });
  return { kind: 'lab-machine-changed', machine: machine.name, change: 'cmid', value: source.cmid };
}

export function setDomain(lab: LabContext, name: string, domain: string): LabResult {
  const machine = machineOrFail(lab.tx, name);
  const clean = domain.replace(/\.$/, '').toLowerCase();
  lab.tx.updateMachine(machine.id, { dnsDomain: clean, fqdn: `${machine.name.toLowerCase()}.${clean}` });
  return { kind: 'lab-machine-changed', machine: machine.name, change: 'dns-domain', value: clean };
}

/** DnsDomainPublishList: the further domains a KMS host publishes its SRV record in. */
export function setPublishDomains(lab: LabContext, name: string, domains: string[]): LabResult {
  const machine = machineOrFail(lab.tx, name);
  const clean = domains.map((d) => d.replace(/\.$/, '').toLowerCase());
  lab.tx.updateMachine(machine.id, { kmsPublishDomains: clean });
  return { kind: 'lab-machine-changed', machine: machine.name, change: 'publish-domains', value: clean };
}

/**
 * Creates `count` clients named prefix001…, installs the key, and optionally activates each: /ipk
 * and /ato on every client, with the key checked once and the activations sharing their lookups
 * as one batch, since nothing but these clients changes meanwhile.
 */
export function createClients(
  lab: LabContext,
  options: { count: number; key: string; prefix: string; domain: string | undefined; activate: boolean },
): LabResult {
  const created: string[] = [];
  const failed: { machine: string; hresult: string }[] = [];
  let activated = 0;
  const width = Math.max(3, String(options.count).length);
  let next = 1;
  const key = prepareProductKey(options.key);
  const sim: SimContext = { tx: lab.tx, now: lab.now, random: lab.random, batch: new ActivationBatch(lab.tx, lab.now) };
  for (let i = 0; i < options.count; i++) {
    let name: string;
    do name = `${options.prefix}${String(next++).padStart(width, '0')}`;
    while (lab.tx.findMachine(name));
    const machine = createLabMachine(lab.tx, name, options.domain ?? LAB_DEFAULT_DOMAIN);
    created.push(name);
    const ctx: CommandContext = { tx: lab.tx, machine, now: lab.now, randomUUID: lab.randomUUID, random: lab.random };
    const { product } = installPreparedKey(ctx, key);
    if (!options.activate) continue;
    // `/ato <its Activation ID>` on the row /ipk just wrote (/ipk changed nothing else activation
    // reads but keyInRegistry); a new machine and licence set no activation type.
    const outcome = activateProduct(sim, { ...machine, keyInRegistry: true }, product);
    if (outcome.ok) activated += 1;
    else failed.push({ machine: name, hresult: `0x${hex(outcome.hresult)}` });
  }
  return { kind: 'lab-clients', created, activated, failed };
}
