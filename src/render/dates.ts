// VBScript's default date-to-string conversion under the en-US locale ("8/11/2026 1:51:01 PM"),
// in the machine's local time zone, as slmgr prints Trusted time and /xpr dates.

export function formatSlmgrDateTime(ms: number): string {
  const d = new Date(ms);
  const hours = d.getHours();
  const hour12 = hours % 12 === 0 ? 12 : hours % 12;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getMonth() + 1}/${d.getDate()}/${d.getFullYear()} ${hour12}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${hours < 12 ? 'AM' : 'PM'}`;
}
