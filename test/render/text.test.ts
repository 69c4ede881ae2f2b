// Renderer tests against real slmgr output from the behaviour reference.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { productView, type DisplayResult } from '../../src/commands/display.js';
import { minutesToDays } from '../../src/licensing/license-state.js';
import { renderText } from '../../src/render/text.js';
import { MACHINE_DEFAULTS, PRODUCT_DEFAULTS } from '../../src/store/repository.js';
import type { MachineRow, ProductRow } from '../../src/store/types.js';

const expected = (name: string) => readFileSync(new URL(`../../fixtures/expected/${name}`, import.meta.url), 'utf8');
/** What the CLI writes for a list of lines: each line, then the empty line of slmgr's final echo. */
const output = (lines: string[]) => `${lines.join('\n')}\n\n`;

function machine(patch: Partial<MachineRow> = {}): MachineRow {
  return { ...MACHINE_DEFAULTS, id: 1, name: 'PC01', isLocal: true, fqdn: null, dnsDomain: null, ipAddress: null, cmid: '268127a6-5c3d-4f0e-9b1a-2d4e6f8a0c11', createdAt: 0, ...patch } as MachineRow;
}

function product(patch: Partial<ProductRow>): ProductRow {
  return {
    ...PRODUCT_DEFAULTS, machineId: 1, skuId: '', applicationId: '55c92734-d682-4d71-983e-d6ec3f16059f',
    name: 'Windows(R), Professional edition', description: 'Windows(R) Operating System, VOLUME_KMSCLIENT channel',
    channel: 'Volume:GVLK', installedAt: 0, licenseStatus: 2, ...patch,
  };
}

function display(rows: ProductRow[], m: MachineRow, now: number, verbose: boolean, specificActivationId = false): DisplayResult {
  return { kind: 'display', verbose, specificActivationId, serviceVersion: m.serviceVersion, products: rows.map((r) => productView(r, m, now)) };
}

describe('text layouts reproduce real slmgr output', () => {
  it('/dlv of a Windows 11 client in Notification (S18b)', () => {
    const now = Date.parse('2026-08-11T13:51:01Z');
    const m = machine({ serviceVersion: '10.0.26100.8737' });
    const row = product({
      skuId: '2de67392-b7a7-462a-b1ca-108dd189f588',
      partialKey: 'T83GX',
      extendedPid: '03612-03311-000-000001-03-1033-26200.0000-2232026',
      installationId: '489126343257012289105546522085205332958764158851011127139061121',
      licenseStatus: 5,
      statusReason: 0xc004f056,
    });
    expect(output(renderText(display([row], m, now, true)))).toBe(expected('dlv-win11-notification.txt'));
  });

  it('/dli of an activated Windows 10 LTSC KMS client (S25)', () => {
    const now = Date.parse('2020-09-14T00:00:00Z');
    const row = product({
      skuId: '32d2fab3-e4a8-42c2-923b-4bf4fd13e6ee',
      name: 'Windows(R), EnterpriseS edition',
      partialKey: 'J462D',
      licenseStatus: 1,
      graceEndsAt: now + 258092 * 60_000 + 30_000,
      kmsMachine: null,
      activatedAt: now,
      kmsHostEpid: '06401-00206-555-634715-03-4105-9600.0000-2122014',
    });
    const m = machine({ kmsMachine: '172.16.0.2', kmsPort: null });
    expect(output(renderText(display([row], m, now, false)))).toBe(expected('dli-ltsc-kms-licensed.txt'));
  });
});

describe('license status block', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const m = machine();
  const lines = (patch: Partial<ProductRow>) =>
    renderText(display([product({ skuId: '2de67392-b7a7-462a-b1ca-108dd189f588', partialKey: 'T83GX', ...patch })], m, now, false));

  it.each([
    [{ licenseStatus: 0 }, ['License Status: Unlicensed']],
    [{ licenseStatus: 1, graceEndsAt: null }, ['License Status: Licensed']],
    [{ licenseStatus: 2, graceEndsAt: now + 43200 * 60_000 }, ['License Status: Initial grace period', 'Time remaining: 43200 minute(s) (30 day(s))']],
    [{ licenseStatus: 3, graceEndsAt: now + 61 * 60_000 }, ['License Status: Additional grace period (KMS license expired or hardware out of tolerance)', 'Time remaining: 61 minute(s) (1 day(s))']],
    [{ licenseStatus: 4, graceEndsAt: now + 1441 * 60_000 }, ['License Status: Non-genuine grace period.', 'Time remaining: 1441 minute(s) (2 day(s))']],
    [{ licenseStatus: 5, statusReason: 0xc004f200 }, ['License Status: Notification', 'Notification Reason: 0xC004F200 (non-genuine).']],
    [{ licenseStatus: 5, statusReason: 0xc004f009 }, ['License Status: Notification', 'Notification Reason: 0xC004F009 (grace time expired).']],
    [{ licenseStatus: 6, graceEndsAt: now + 1440 * 60_000 }, ['License Status: Extended grace period', 'Time remaining: 1440 minute(s) (1 day(s))']],
  ] as [Partial<ProductRow>, string[]][])('%j', (patch, status) => {
    const out = lines(patch);
    const at = out.indexOf('Partial Product Key: T83GX');
    expect(out.slice(at + 1, at + 1 + status.length)).toEqual(status);
  });

  it('a lapsed KMS activation falls into the additional grace period, then Notification', () => {
    const ended = product({ skuId: '2de67392-b7a7-462a-b1ca-108dd189f588', partialKey: 'T83GX', licenseStatus: 1, graceEndsAt: now - 60_000 });
    expect(productView(ended, m, now)).toMatchObject({ licenseStatus: 3, graceRemainingMinutes: 43199 });
    expect(productView(ended, m, now + 31 * 86_400_000)).toMatchObject({ licenseStatus: 5, notificationReason: 'C004F009' });
  });

  it('rounds days up as slmgr 8+ does (258092 minutes are 180 days)', () => {
    expect(minutesToDays(258092)).toBe(180);
    expect(minutesToDays(1)).toBe(1);
    expect(minutesToDays(0)).toBe(0);
  });
});
