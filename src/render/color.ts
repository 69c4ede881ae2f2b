// Colour for people at a terminal. chalk is loaded only when colour is really on, so pipes, CI and
// --json never pay for it.

type Paint = (text: string) => string;

function rule(line: string, c: { red: Paint; yellow: Paint; green: Paint }): Paint | undefined {
  // The health check's report: a mark per step, a verdict per host and overall.
  if (/^\s*\[FAIL\]|^Result: CRITICAL|^KMS host .*: CRITICAL/.test(line)) return c.red;
  if (/^\s*\[WARN\]|^Result: WARNING|^KMS host .*: WARNING/.test(line)) return c.yellow;
  if (/^\s*\[ OK \]|^Result: OK|^KMS host .*: OK/.test(line)) return c.green;
  if (/^\s*Error\b/.test(line)) return c.red;
  if (/^\s*Warning\b/.test(line)) return c.yellow;
  if (/^License Status: Licensed$/.test(line) || / successfully\.?$/.test(line)) return c.green;
  if (/^License Status: (Notification|Unlicensed)/.test(line)) return c.red;
  if (/^License Status: /.test(line)) return c.yellow;
  return undefined;
}

export async function colorize(lines: readonly string[]): Promise<string[]> {
  const { Chalk } = await import('chalk');
  // Level 1 (16 colours) is enough and survives every terminal slmgr users have.
  const chalk = new Chalk({ level: 1 });
  return lines.map((line) => rule(line, chalk)?.(line) ?? line);
}
