// Token texts: the details of VBScript's formatting that the lab token set does not exercise.
import { describe, expect, it } from 'vitest';
import type { TokenLicenseView } from '../../src/commands/token.js';
import { renderText } from '../../src/render/text.js';

const license = (patch: Partial<TokenLicenseView>): TokenLicenseView => ({
  slid: '11111111-2222-3333-4444-555555555555',
  ilid: '66666666-7777-8888-9999-000000000000',
  ilvid: 7,
  validTo: null,
  additionalInformation: null,
  description: 'Contoso token licence',
  authorizationStatus: null,
  grants: [],
  ...patch,
});

describe('/lil text', () => {
  it('prints a midnight Valid to as the date alone, as VBScript turns a date into text', () => {
    const lines = renderText({ kind: 'token-licenses', licenses: [license({ validTo: '2030-01-02T00:00:00.000Z' })] });
    expect(lines).toContain('    Valid to: 1/2/2030');
    const afternoon = renderText({ kind: 'token-licenses', licenses: [license({ validTo: '2030-01-02T13:05:09.000Z' })] });
    expect(afternoon).toContain('    Valid to: 1/2/2030 1:05:09 PM');
  });

  it('prints an empty Additional Information when the licence has one, and the authorization error in VBScript hex', () => {
    const lines = renderText({ kind: 'token-licenses', licenses: [license({ additionalInformation: '', authorizationStatus: '0x0000000D' })] });
    expect(lines).toEqual([
      'Token-based Activation Issuance Licenses:',
      '',
      '66666666-7777-8888-9999-000000000000    7',
      '    License ID (ILID): 66666666-7777-8888-9999-000000000000',
      '    Version ID (ILvID): 7',
      '    Additional Information: ',
      '    Error: 0xD',
      '',
    ]);
  });
});
