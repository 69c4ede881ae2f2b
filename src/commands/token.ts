// Token-based activation: /lil, /ril, /ltc and /fta, and the token block /dli and /dlv show.
// Issuance licences and token certificates are licensing objects of the machine (installed in the
// lab with `slmgr lab install-tokens`); a successful /fta leaves a token-activation object next to
// the product. docs/token-activation.md describes the model and the HRESULTs.

import { HResultError } from '../errors.js';
import { WINDOWS_APP_ID } from '../licensing/applications.js';
import { E_INVALIDARG, hex, SL_E_PKEY_NOT_INSTALLED } from '../licensing/hresult-codes.js';
import { configuredActivationType, LicenseStatus, NO_KMS_ACTIVATION } from '../licensing/license-state.js';
import {
  certificatesFor,
  decideTokenActivation,
  grantsFor,
  SL_E_TKA_CERT_NOT_FOUND,
  SL_E_TKA_GRANT_NOT_FOUND,
  TOKEN_ACTIVATION_KIND,
  TOKEN_CERTIFICATE_KIND,
  TOKEN_LICENSE_KIND,
  tokenLicenseName,
  type LabTokenCertificate,
  type TokenActivationRecord,
  type TokenIssuanceLicense,
} from '../licensing/tokens.js';
import type { StoreTx } from '../store/store.js';
import type { LicensingObjectRow, ProductRow } from '../store/types.js';
import type { CommandContext } from './context.js';

/** The failure a token command ends in: an unsigned HRESULT (never a network one). */
export interface TokenFailure {
  hresult: number;
  network: false;
}

export interface TokenLicenseView {
  /** SLID: the licence's own ID, which /ril reports. */
  slid: string;
  ilid: string;
  ilvid: number;
  /** ExpirationDate (ISO 8601 UTC), null when the licence has none. */
  validTo: string | null;
  additionalInformation: string | null;
  description: string;
  /** AuthorizationStatus as "0xC004F30C" when it is not 0; /lil then prints it instead of the description. */
  authorizationStatus: string | null;
  grants: { grantNumber: number; activationIds: string[] }[];
}

export interface TokenCertificateView {
  thumbprint: string;
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
}

/** SoftwareLicensingProduct.TokenActivation*: the token block of /dli and /dlv. */
export interface TokenActivationView {
  ilid: string;
  ilvid: number;
  grantNumber: number;
  certificateThumbprint: string;
  additionalInformation: string | null;
  activatedAt: string;
}

export interface TokenLicensesResult {
  kind: 'token-licenses';
  licenses: TokenLicenseView[];
}

export interface TokenLicenseRemovalResult {
  kind: 'token-license-removal';
  ilid: string;
  ilvid: number;
  /** SLIDs of the licences removed; empty: `No licenses found.` */
  removed: string[];
}

export interface TokenCertificatesResult {
  kind: 'token-certificates';
  /** The Windows product whose grants chose the certificates; null when no key is installed. */
  activationId: string | null;
  certificates: TokenCertificateView[];
  /** slmgr's `Error: product key not found.` precedes the HRESULT line. */
  productKeyNotFound: boolean;
  failure: TokenFailure | null;
}

export interface TokenActivationResult {
  kind: 'token-activation';
  /** The product /fta acted on; null when no Windows key is installed. */
  product: { activationId: string; name: string } | null;
  activated: boolean;
  tokenActivation: TokenActivationView | null;
  productKeyNotFound: boolean;
  failure: TokenFailure | null;
}

export type TokenResult = TokenLicensesResult | TokenLicenseRemovalResult | TokenCertificatesResult | TokenActivationResult;

const failure = (hresult: number): TokenFailure => ({ hresult, network: false });

function installedLicenses(tx: StoreTx, machineId: number): { row: LicensingObjectRow; license: TokenIssuanceLicense }[] {
  return tx.listObjects(TOKEN_LICENSE_KIND, machineId).map((row) => ({ row, license: row.data as unknown as TokenIssuanceLicense }));
}

function installedCertificates(tx: StoreTx, machineId: number): LabTokenCertificate[] {
  return tx.listObjects(TOKEN_CERTIFICATE_KIND, machineId).map((row) => row.data as unknown as LabTokenCertificate);
}

function licenseView(l: TokenIssuanceLicense): TokenLicenseView {
  return {
    slid: l.id,
    ilid: l.ilid,
    ilvid: l.ilvid,
    validTo: l.expirationDate,
    additionalInformation: l.additionalInfo,
    description: l.description,
    authorizationStatus: l.authorizationStatus === 0 ? null : `0x${hex(l.authorizationStatus)}`,
    grants: l.grants.map((g) => ({ grantNumber: g.grantNumber, activationIds: [...g.skuIds] })),
  };
}

function certificateView(c: LabTokenCertificate): TokenCertificateView {
  return { thumbprint: c.thumbprint, subject: c.subject, issuer: c.issuer, validFrom: c.validFrom, validTo: c.validTo };
}

/**
 * The product /ltc and /fta act on, as slmgr's TkaGetProduct finds it: the keyed Windows licence
 * that is not an add-on (the lab keys one Windows edition at a time).
 */
function tokenProduct(ctx: CommandContext): ProductRow | undefined {
  return ctx.tx.listProducts(ctx.machine.id).find((p) => p.partialKey !== null && p.applicationId === WINDOWS_APP_ID);
}

/** /lil: every installed issuance licence. */
export function listIssuanceLicenses(ctx: CommandContext): TokenLicensesResult {
  return { kind: 'token-licenses', licenses: installedLicenses(ctx.tx, ctx.machine.id).map(({ license }) => licenseView(license)) };
}

/**
 * /ril <ILID> <ILvID>: uninstalls the licences with that ILID and version. slmgr converts ILvID
 * with VBScript's CInt (a type-mismatch or overflow error for anything else); here anything that
 * is not a whole number 0-4294967295 is 0x80070057, as the other numeric switches answer.
 */
export function removeIssuanceLicense(ctx: CommandContext, args: readonly string[]): TokenLicenseRemovalResult {
  const [ilidText, ilvidText] = args as [string, string];
  const trimmed = ilvidText.trim();
  if (!/^\+?\d{1,10}$/.test(trimmed) || Number(trimmed) > 0xffffffff) throw new HResultError(E_INVALIDARG);
  const ilvid = Number(trimmed);
  const ilid = ilidText.trim();
  const removed: string[] = [];
  for (const { row, license } of installedLicenses(ctx.tx, ctx.machine.id)) {
    if (license.ilid.toLowerCase() !== ilid.toLowerCase() || license.ilvid !== ilvid) continue;
    ctx.tx.deleteObject(TOKEN_LICENSE_KIND, ctx.machine.id, row.name);
    removed.push(license.id);
  }
  return { kind: 'token-license-removal', ilid, ilvid, removed };
}

/** /ltc: the installed certificates the Windows product's grants accept. */
export function listTokenCertificates(ctx: CommandContext): TokenCertificatesResult {
  const product = tokenProduct(ctx);
  const result = (patch: Partial<TokenCertificatesResult>): TokenCertificatesResult => ({
    kind: 'token-certificates', activationId: product?.skuId ?? null, certificates: [], productKeyNotFound: false, failure: null, ...patch,
  });
  if (!product) return result({ productKeyNotFound: true, failure: failure(SL_E_PKEY_NOT_INSTALLED) });
  const grants = grantsFor(installedLicenses(ctx.tx, ctx.machine.id).map((l) => l.license), product.skuId, ctx.now);
  if (grants.length === 0) return result({ failure: failure(SL_E_TKA_GRANT_NOT_FOUND) });
  const certificates = certificatesFor(grants, installedCertificates(ctx.tx, ctx.machine.id));
  if (certificates.length === 0) return result({ failure: failure(SL_E_TKA_CERT_NOT_FOUND) });
  return result({ certificates: certificates.map(certificateView) });
}

function activationView(record: TokenActivationRecord): TokenActivationView {
  return {
    ilid: record.ilid,
    ilvid: record.ilvid,
    grantNumber: record.grantNumber,
    certificateThumbprint: record.certificateThumbprint,
    additionalInformation: record.additionalInfo,
    activatedAt: new Date(record.activatedAt).toISOString(),
  };
}

/**
 * /fta <Certificate Thumbprint> [PIN]: token-based activation of the Windows product. Every
 * failure leaves the store as it was; success makes the product Licensed with no end (a token
 * activation does not expire), stops its KMS attempts, and records the token details.
 */
export function forceTokenActivation(ctx: CommandContext, args: readonly string[]): TokenActivationResult {
  const [thumbprint, pin] = args as [string, string | undefined];
  const product = tokenProduct(ctx);
  if (!product) {
    return { kind: 'token-activation', product: null, activated: false, tokenActivation: null, productKeyNotFound: true, failure: failure(SL_E_PKEY_NOT_INSTALLED) };
  }
  const target = { activationId: product.skuId, name: product.name };
  const decision = decideTokenActivation({
    skuId: product.skuId,
    description: product.description,
    activationType: configuredActivationType(product, ctx.machine),
    licenses: installedLicenses(ctx.tx, ctx.machine.id).map((l) => l.license),
    certificates: installedCertificates(ctx.tx, ctx.machine.id),
    thumbprint,
    pin,
    now: ctx.now,
  });
  if (!decision.ok) {
    return { kind: 'token-activation', product: target, activated: false, tokenActivation: null, productKeyNotFound: false, failure: failure(decision.hresult) };
  }
  const record: TokenActivationRecord = {
    ilid: decision.match.license.ilid,
    ilvid: decision.match.license.ilvid,
    grantNumber: decision.match.grant.grantNumber,
    certificateThumbprint: decision.certificate.thumbprint,
    additionalInfo: decision.match.license.additionalInfo,
    activatedAt: ctx.now,
  };
  ctx.tx.updateProduct(ctx.machine.id, product.skuId, {
    licenseStatus: LicenseStatus.Licensed,
    graceEndsAt: null,
    statusReason: null,
    activatedAt: ctx.now,
    ...NO_KMS_ACTIVATION,
    kmsNextAttemptAt: null,
  });
  ctx.tx.putObject(TOKEN_ACTIVATION_KIND, ctx.machine.id, product.skuId, { ...record });
  return { kind: 'token-activation', product: target, activated: true, tokenActivation: activationView(record), productKeyNotFound: false, failure: null };
}

/**
 * The product's token activation while it is the product's most recent activation (what Windows
 * shows as TokenActivationILVID ≠ 0xFFFFFFFF): a later KMS or AD activation (which record a host,
 * or an end), a rearm, or a new or removed key ends it.
 */
export function currentTokenActivation(tx: StoreTx, product: ProductRow): TokenActivationView | null {
  if (product.partialKey === null || product.activatedAt === null || product.kmsHostName !== null || product.graceEndsAt !== null) return null;
  const row = tx.getObject(TOKEN_ACTIVATION_KIND, product.machineId, product.skuId);
  if (!row) return null;
  const record = row.data as unknown as TokenActivationRecord;
  return record.activatedAt === product.activatedAt ? activationView(record) : null;
}

/** What `slmgr lab install-tokens` writes: a licence or a certificate, replacing one of the same name. */
export function installTokenLicense(tx: StoreTx, machineId: number, license: TokenIssuanceLicense): void {
  tx.putObject(TOKEN_LICENSE_KIND, machineId, tokenLicenseName(license), { ...license });
}

export function installTokenCertificate(tx: StoreTx, machineId: number, certificate: LabTokenCertificate): void {
  tx.putObject(TOKEN_CERTIFICATE_KIND, machineId, certificate.thumbprint, { ...certificate });
}
