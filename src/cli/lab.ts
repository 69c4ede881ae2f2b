// `slmgr lab …`: the lab tooling's command line, parsed with commander. It only chooses what to
// run; main.ts runs it in one store transaction and renders it like any other command.

import { Command, CommanderError } from 'commander';
import type { LabContext, LabResult } from '../commands/lab.js';
import { UsageError } from '../errors.js';
import { readCilxFile, writeCilxFile } from './cilx-files.js';

export type LabAction = (lab: LabContext, commands: typeof import('../commands/lab.js')) => LabResult;

export interface LabInvocation {
  /** e.g. "lab dns add". */
  command: string;
  /** Help text when --help was asked for; no action then. */
  help: string | null;
  action: LabAction | null;
}

export function parseLab(args: readonly string[]): LabInvocation {
  let chosen: { command: string; action: LabAction } | null = null;
  let output = '';
  const choose = (command: string, action: LabAction) => {
    chosen = { command, action };
  };

  const program = new Command('slmgr lab')
    .description('Lab tooling for the simulated KMS world (an extension; not an slmgr.vbs switch).')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (output += s), writeErr: (s) => (output += s) })
    .showHelpAfterError(false);

  program.command('machines').description('list the lab machines, their addresses and roles')
    .action(() => choose('lab machines', (lab, c) => c.listMachines(lab)));

  const dns = program.command('dns').description('the lab DNS zone: _vlmcs._tcp SRV records');
  dns.command('list <domain>').description('list the records of a domain, as nslookup -type=srv shows them')
    .action((domain: string) => choose('lab dns list', (lab, c) => c.listDns(lab, domain)));
  dns.command('add <domain> <target>').description('add a manual _vlmcs._tcp.<domain> SRV record')
    .option('--port <port>', 'TCP port', '1688').option('--priority <n>', 'SRV priority', '0').option('--weight <n>', 'SRV weight', '0')
    .action((domain: string, target: string, o: { port: string; priority: string; weight: string }) =>
      choose('lab dns add', (lab, c) => c.addDns(lab, domain, target, o)));
  dns.command('remove <domain> [target]').description('delete the manual records of a domain (all, or those pointing at target)')
    .action((domain: string, target: string | undefined) => choose('lab dns remove', (lab, c) => c.removeDns(lab, domain, target)));

  program.command('events <machine>').description('the KMS events (12288, 12289, 12290) a machine logged')
    .action((machine: string) => choose('lab events', (lab, c) => c.listEvents(lab, machine)));
  program.command('firewall <machine> <action>').description('block or allow inbound TCP to the KMS port (rule "Key Management Service (TCP-In)")')
    .action((machine: string, action: string) => {
      if (action !== 'block' && action !== 'allow') throw new UsageError(`firewall action must be block or allow (got "${action}")`);
      choose('lab firewall', (lab, c) => c.setFirewall(lab, machine, action));
    });
  program.command('new-cmid <machine>').description('give a machine a new CMID, as sysprep /generalize does')
    .action((machine: string) => choose('lab new-cmid', (lab, c) => c.newCmid(lab, machine)));
  program.command('clone-cmid <machine> <from>').description('give a machine the CMID of another, as an image cloned without sysprep has')
    .action((machine: string, from: string) => choose('lab clone-cmid', (lab, c) => c.cloneCmid(lab, machine, from)));
  program.command('domain <machine> <domain>').description("set a machine's DNS domain (and FQDN)")
    .action((machine: string, domain: string) => choose('lab domain', (lab, c) => c.setDomain(lab, machine, domain)));
  program.command('publish-domains <machine> [domains...]').description("set a KMS host's DnsDomainPublishList (further domains it publishes in)")
    .action((machine: string, domains: string[]) => choose('lab publish-domains', (lab, c) => c.setPublishDomains(lab, machine, domains)));
  program.command('advance <duration>').description('let lab time pass (e.g. 7d, 12h): clients activate and renew as their intervals say')
    .action((duration: string) => choose('lab advance', (lab, c) => c.advance(lab, duration)));
  program.command('install-tokens <machine>').description('install the lab token set (issuance licences and certificates, LAB ONLY) on a machine, for /lil, /ltc and /fta')
    .action((machine: string) => choose('lab install-tokens', (lab, c) => c.installLabTokens(lab, machine)));
  program.command('phone-activate <installationId>').description('the lab telephone activation centre: the Confirmation ID for an Installation ID (/dti, /ad-activation-get-iid), for /atp and /ad-activation-apply-cid')
    .action((installationId: string) => choose('lab phone-activate', (lab, c) => c.phoneActivate(lab, installationId)));
  program.command('export-cilx <file>').description('write the lab machines and their products to a VAMT-style .cilx file (docs/cilx.md)')
    .action((file: string) => choose('lab export-cilx', (lab, c) => {
      const { xml, computers, products } = c.exportCilx(lab);
      writeCilxFile(file, xml);
      return { kind: 'lab-cilx-exported', file, computers, products };
    }));
  program.command('import-cilx <file>').description('read lab machines and their products from a .cilx file (docs/cilx.md)')
    .action((file: string) => choose('lab import-cilx', (lab, c) => {
      const bytes = readCilxFile(file, c.CILX_MAX_BYTES);
      return { kind: 'lab-cilx-imported', file, ...c.importCilx(lab, c.decodeCilxBytes(bytes)) };
    }));
  program.command('clients').description('create N clients with a product key, and activate them')
    .requiredOption('--count <n>', 'how many clients')
    .requiredOption('--key <key>', 'the product key to install (a public GVLK)')
    .option('--prefix <name>', 'machine name prefix', 'client')
    .option('--domain <domain>', 'their DNS domain')
    .option('--no-activate', 'only install the key')
    .action((o: { count: string; key: string; prefix: string; domain?: string; activate: boolean }) => {
      if (!/^\d{1,6}$/.test(o.count) || Number(o.count) < 1) throw new UsageError(`--count must be 1-999999 (got "${o.count}")`);
      choose('lab clients', (lab, c) => c.createClients(lab, { count: Number(o.count), key: o.key, prefix: o.prefix, domain: o.domain, activate: o.activate }));
    });

  try {
    program.parse(args as string[], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') return { command: 'lab', help: output, action: null };
      throw new UsageError(output.trim().replace(/^error: /, '') || error.message);
    }
    throw error;
  }
  const picked = chosen as { command: string; action: LabAction } | null;
  if (!picked) return { command: 'lab', help: program.helpInformation(), action: null };
  return { command: picked.command, help: null, action: picked.action };
}
