import { describe, expect, it } from 'vitest';
import {
  activationObjectContainerDn,
  activationObjectDn,
  escapeRdnValue,
  forestRootDn,
  hostKeyTypeSupportsAd,
  normaliseDn,
} from '../../src/backends/sim/ad.js';
import { hostKeyTypes, labHostKeyTypes } from '../../src/licensing/host-keys.js';

describe('forest DNs', () => {
  it('names the AO container under the configuration naming context of the forest root', () => {
    expect(forestRootDn('lab.test')).toBe('DC=lab,DC=test');
    expect(activationObjectContainerDn('corp.example.test')).toBe('CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=corp,DC=example,DC=test');
    expect(activationObjectDn('Server KMS', 'lab.test')).toBe('CN=Server KMS,CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=lab,DC=test');
  });

  it('escapes what RFC 4514 escapes in a name', () => {
    expect(escapeRdnValue('a,b+c"d\\e<f>g;h')).toBe('a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h');
    expect(escapeRdnValue('#lead')).toBe('\\#lead');
    expect(escapeRdnValue(' both ')).toBe('\\ both\\ ');
    expect(escapeRdnValue('Windows Srv 2019 DataCtr/Std KMS')).toBe('Windows Srv 2019 DataCtr/Std KMS');
  });

  it('compares DNs as LDAP does: case, spaces after commas and escapes do not matter', () => {
    const dn = activationObjectDn('Contoso, Server;KMS', 'lab.test');
    expect(normaliseDn(dn)).toBe(normaliseDn('cn=contoso\\2C server\\;kms , cn=activation objects,cn=microsoft spp, cn=services,cn=configuration,dc=LAB,dc=TEST'));
    expect(normaliseDn(dn)).not.toBe(normaliseDn(activationObjectDn('Contoso, Server;KMS', 'corp.test')));
    expect(normaliseDn('not a dn')).toBeNull();
    expect(normaliseDn('CN=,DC=test')).toBeNull();
  });
});

describe('which host keys can activate a forest', () => {
  it('every lab key can: they all cover Windows 8 / Office 2013 or later clients', () => {
    for (const type of labHostKeyTypes()) expect(hostKeyTypeSupportsAd(type), type.displayName).toBe(true);
  });

  it('not the CSVLKs of Windows 7, Vista, Server 2008 / 2008 R2 or Office 2010, whose clients predate AD-based activation', () => {
    const byName = (name: string) => hostKeyTypes.find((t) => t.displayName === name);
    for (const name of ['Windows 7', 'Windows Server 2008 R2 B (Standard & Enterprise)', 'Windows Vista (1 of 2)', 'Office 2010']) {
      const type = byName(name);
      expect(type, name).toBeDefined();
      if (type) expect(hostKeyTypeSupportsAd(type), name).toBe(false);
    }
    for (const name of ['Windows Server 2012 R2 With Win 10', 'Office 2013', 'Windows 8']) {
      const type = byName(name);
      if (type) expect(hostKeyTypeSupportsAd(type), name).toBe(true);
    }
  });
});
