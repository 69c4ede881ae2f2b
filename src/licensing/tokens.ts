// Token-based activation, the pure part: what an issuance licence and a token certificate are,
// and whether a product can be activated with a given certificate. No store, no clock of its own.
//
// On Windows an issuance licence (IL) is an XrML licence file, installed with /ilc, that names the
// editions it activates and the certificates it accepts; SPP lists it as a
// SoftwareLicensingTokenActivationLicense (ID, ILID, ILVID, ExpirationDate, Description,
// AdditionalInfo, AuthorizationStatus). /fta has the certificate's private key (usually on a smart
// card, behind a PIN) sign SPP's challenge, and SPP checks the signature against the licence. The
// lab keeps both as licensing objects of the machine; docs/token-activation.md describes the model
// and every choice below.

/** A grant of an issuance licence: the editions (Activation IDs) it activates. */
export interface TokenGrant {
  grantNumber: number;
  skuIds: string[];
}

/** A SoftwareLicensingTokenActivationLicense, plus the lab's model of what it grants and accepts. */
export interface TokenIssuanceLicense {
  /** SLID: the GUID SPP gives the XrML licence (what /ril reports as removed). */
  id: string;
  ilid: string;
  ilvid: number;
  /** UTC time after which the licence no longer activates anything; null: no end. */
  expirationDate: string | null;
  additionalInfo: string | null;
  description: string;
  /** HRESULT of the licence's authorization; anything but 0 makes it unusable. */
  authorizationStatus: number;
  /** The certificates it accepts: those issued by this (lab) CA. */
  certificateIssuer: string;
  grants: TokenGrant[];
}

/** A lab token certificate in the machine's certificate store. */
export interface LabTokenCertificate {
  /** SHA-1 thumbprint, 40 upper-case hex digits. */
  thumbprint: string;
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  storage: 'smart card' | 'virtual smart card' | 'software';
  /** The PIN signing asks for; null when the key needs none. */
  pin: string | null;
  exportablePrivateKey: boolean;
}

/** What a successful /fta leaves on the product (SoftwareLicensingProduct.TokenActivation*). */
export interface TokenActivationRecord {
  ilid: string;
  ilvid: number;
  grantNumber: number;
  certificateThumbprint: string;
  additionalInfo: string | null;
  /** Equals the product's activatedAt while this activation is the product's most recent one. */
  activatedAt: number;
}

/** Kinds of the licensing objects the lab stores (StoreTx listObjects / putObject). */
export const TOKEN_LICENSE_KIND = 'token-license';
export const TOKEN_CERTIFICATE_KIND = 'token-certificate';
export const TOKEN_ACTIVATION_KIND = 'token-activation';

/** A licence's object name: ILID and ILvID, unique together as on Windows. */
export function tokenLicenseName(license: Pick<TokenIssuanceLicense, 'ilid' | 'ilvid'>): string {
  return `${license.ilid}/${license.ilvid}`;
}

// The HRESULTs token-based activation ends in (slerror.h; slmgr-reference.md §4.3 and Appendix B).
export const SL_E_OPERATION_NOT_ALLOWED = 0xc004f06a;
export const SL_E_TKA_GRANT_NOT_FOUND = 0xc004f304;
export const SL_E_TKA_CERT_NOT_FOUND = 0xc004f305;
export const SL_E_TKA_INVALID_SKU_ID = 0xc004f306;
export const SL_E_TKA_INVALID_CERTIFICATE = 0xc004f30a;
export const SL_E_TKA_INVALID_SMARTCARD = 0xc004f30b;
export const SL_E_TKA_INVALID_THUMBPRINT = 0xc004f30d;
export const SL_E_TKA_THUMBPRINT_CERT_NOT_FOUND = 0xc004f30e;
export const SL_E_TKA_CRITERIA_MISMATCH = 0xc004f30f;
export const SL_E_TKA_SOFT_CERT_INVALID = 0xc004f312;

/** "8c 76 f9 …" or "8C76F9…" → "8C76F9…"; null when it is not 40 hex digits. */
export function normaliseThumbprint(text: string): string | null {
  const compact = text.replace(/\s+/g, '').toUpperCase();
  return /^[0-9A-F]{40}$/.test(compact) ? compact : null;
}

/** A licence activates only while its authorization succeeded and it has not expired. */
export function licenseIsUsable(license: TokenIssuanceLicense, now: number): boolean {
  return license.authorizationStatus === 0 && (license.expirationDate === null || now < Date.parse(license.expirationDate));
}

export interface GrantMatch {
  license: TokenIssuanceLicense;
  grant: TokenGrant;
}

/** SoftwareLicensingProduct.GetTokenActivationGrants: the usable grants that list the edition, newest licence version first. */
export function grantsFor(licenses: readonly TokenIssuanceLicense[], skuId: string, now: number): GrantMatch[] {
  const matches: GrantMatch[] = [];
  for (const license of licenses) {
    if (!licenseIsUsable(license, now)) continue;
    for (const grant of license.grants) if (grant.skuIds.includes(skuId)) matches.push({ license, grant });
  }
  return matches.sort((a, b) => b.license.ilvid - a.license.ilvid);
}

/** The certificates a set of grants accepts (what /ltc lists), in store order. */
export function certificatesFor(grants: readonly GrantMatch[], certificates: readonly LabTokenCertificate[]): LabTokenCertificate[] {
  const issuers = new Set(grants.map((g) => g.license.certificateIssuer));
  return certificates.filter((c) => issuers.has(c.issuer));
}

/** VLActivationTypeEnabled values that leave token-based activation enabled: 0 (all) and 3 (token). */
export function tokenActivationAllowed(activationType: number): boolean {
  return activationType === 0 || activationType === 3;
}

export interface TokenActivationRequest {
  skuId: string;
  description: string;
  /** The product's configured activation type (VLActivationTypeEnabled in force). */
  activationType: number;
  licenses: readonly TokenIssuanceLicense[];
  certificates: readonly LabTokenCertificate[];
  thumbprint: string;
  pin: string | undefined;
  now: number;
}

export type TokenActivationDecision =
  | { ok: true; match: GrantMatch; certificate: LabTokenCertificate }
  | { ok: false; hresult: number };

/**
 * Decides /fta for one product, in the order Windows works: the product and its grants
 * (GenerateTokenActivationChallenge), then signing with the certificate (the signer: thumbprint,
 * certificate, PIN), then SPP's check of the signed response against the licence.
 */
export function decideTokenActivation(request: TokenActivationRequest): TokenActivationDecision {
  const fail = (hresult: number): TokenActivationDecision => ({ ok: false, hresult });
  if (!tokenActivationAllowed(request.activationType)) return fail(SL_E_OPERATION_NOT_ALLOWED);
  if (!request.description.includes('VOLUME_KMSCLIENT')) return fail(SL_E_TKA_INVALID_SKU_ID);
  const grants = grantsFor(request.licenses, request.skuId, request.now);
  if (grants.length === 0) return fail(SL_E_TKA_GRANT_NOT_FOUND);

  const thumbprint = normaliseThumbprint(request.thumbprint);
  if (thumbprint === null) return fail(SL_E_TKA_INVALID_THUMBPRINT);
  const certificate = request.certificates.find((c) => c.thumbprint === thumbprint);
  if (!certificate) return fail(SL_E_TKA_THUMBPRINT_CERT_NOT_FOUND);
  if (certificate.pin !== null && request.pin !== certificate.pin) return fail(SL_E_TKA_INVALID_SMARTCARD);

  if (certificate.exportablePrivateKey) return fail(SL_E_TKA_SOFT_CERT_INVALID);
  const match = grants.find((g) => g.license.certificateIssuer === certificate.issuer);
  if (!match) return fail(SL_E_TKA_CRITERIA_MISMATCH);
  if (request.now < Date.parse(certificate.validFrom) || request.now >= Date.parse(certificate.validTo)) return fail(SL_E_TKA_INVALID_CERTIFICATE);
  return { ok: true, match, certificate };
}
