// GENERATED FILE — do not edit. Regenerate with `node scripts/build-lab-tokens.mjs`.
// Source: fixtures/tokens/issuance-licenses.json and fixtures/tokens/certificates.json, without
// their notes. Synthetic, lab-only token-based activation material: no Microsoft licence, no real
// certificate or CA, no key. `slmgr lab install-tokens <machine>` installs it on a lab machine.

import type { LabTokenCertificate, TokenIssuanceLicense } from './tokens.js';

export const LAB_TOKEN_LICENSES: readonly TokenIssuanceLicense[] = [
  {
    "id": "688e0e4c-07d8-4478-b40d-bac22b5c58a6",
    "ilid": "a1205fc5-d75a-4450-849f-e3433d79352c",
    "ilvid": 1,
    "expirationDate": "2025-12-31T18:00:00.000Z",
    "additionalInfo": "LAB ONLY - synthetic issuance licence, not issued by Microsoft",
    "description": "slmgr lab token activation: Windows Enterprise (LAB ONLY)",
    "authorizationStatus": 0,
    "certificateIssuer": "CN=slmgr Lab Token CA (LAB ONLY), O=slmgr lab",
    "grants": [
      {
        "grantNumber": 1,
        "skuIds": [
          "73111121-5638-40f6-bc11-f1d7b0d64300"
        ]
      }
    ]
  },
  {
    "id": "88121e0b-9998-4c4d-836c-6aa5cc3c6d24",
    "ilid": "a1205fc5-d75a-4450-849f-e3433d79352c",
    "ilvid": 2,
    "expirationDate": "2031-06-30T18:00:00.000Z",
    "additionalInfo": "LAB ONLY - synthetic issuance licence, not issued by Microsoft",
    "description": "slmgr lab token activation: Windows and Windows Server (LAB ONLY)",
    "authorizationStatus": 0,
    "certificateIssuer": "CN=slmgr Lab Token CA (LAB ONLY), O=slmgr lab",
    "grants": [
      {
        "grantNumber": 1,
        "skuIds": [
          "73111121-5638-40f6-bc11-f1d7b0d64300",
          "2de67392-b7a7-462a-b1ca-108dd189f588"
        ]
      },
      {
        "grantNumber": 2,
        "skuIds": [
          "de32eafd-aaee-4662-9444-c1befb41bde2",
          "9bd77860-9b31-4b7b-96ad-2564017315bf",
          "ef6cfc9f-8c5d-44ac-9aad-de6a2ea0ae03",
          "7dc26449-db21-4e09-ba37-28f2958506a6"
        ]
      }
    ]
  },
  {
    "id": "cfaa5087-39fb-463e-95d8-b284923cb9ec",
    "ilid": "dcf09ad7-dade-4e77-a3b1-40f2c75e1be9",
    "ilvid": 1,
    "expirationDate": null,
    "additionalInfo": null,
    "description": "slmgr lab token activation: damaged copy (LAB ONLY)",
    "authorizationStatus": 3221549836,
    "certificateIssuer": "CN=slmgr Lab Token CA (LAB ONLY), O=slmgr lab",
    "grants": [
      {
        "grantNumber": 1,
        "skuIds": [
          "73111121-5638-40f6-bc11-f1d7b0d64300"
        ]
      }
    ]
  }
];

export const LAB_TOKEN_CERTIFICATES: readonly LabTokenCertificate[] = [
  {
    "thumbprint": "8C76F9C2107E34F9864CF75EDA132B5E7689A257",
    "subject": "CN=Lab Token Operator 01 (LAB ONLY), O=slmgr lab",
    "issuer": "CN=slmgr Lab Token CA (LAB ONLY), O=slmgr lab",
    "validFrom": "2025-01-01T09:00:00.000Z",
    "validTo": "2035-01-01T09:00:00.000Z",
    "storage": "smart card",
    "pin": "123456",
    "exportablePrivateKey": false
  },
  {
    "thumbprint": "56EB115F0A4A63878249DE62A56B45E286BC7983",
    "subject": "CN=Lab Token Operator 02 (LAB ONLY), O=slmgr lab",
    "issuer": "CN=slmgr Lab Token CA (LAB ONLY), O=slmgr lab",
    "validFrom": "2025-06-01T09:00:00.000Z",
    "validTo": "2030-06-01T09:00:00.000Z",
    "storage": "virtual smart card",
    "pin": null,
    "exportablePrivateKey": false
  },
  {
    "thumbprint": "4BB0774A298DA508078EB15BDF1F9702CDF4D606",
    "subject": "CN=Lab Token Operator 03 (LAB ONLY, exportable key), O=slmgr lab",
    "issuer": "CN=slmgr Lab Token CA (LAB ONLY), O=slmgr lab",
    "validFrom": "2025-01-01T09:00:00.000Z",
    "validTo": "2035-01-01T09:00:00.000Z",
    "storage": "software",
    "pin": null,
    "exportablePrivateKey": true
  },
  {
    "thumbprint": "6592FC3B842303CE2907BF4E1003888F6471177A",
    "subject": "CN=Lab Token Operator 04 (LAB ONLY), O=slmgr lab",
    "issuer": "CN=slmgr Lab Other CA (LAB ONLY), O=slmgr lab",
    "validFrom": "2025-01-01T09:00:00.000Z",
    "validTo": "2035-01-01T09:00:00.000Z",
    "storage": "virtual smart card",
    "pin": null,
    "exportablePrivateKey": false
  }
];
