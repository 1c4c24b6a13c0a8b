// The one download of new passwords: CSV (RFC 4180, CRLF), with a BOM so that
// Excel opens UTF-8 (Japanese names) correctly. A cell that starts with
// = + - @ (or a tab/CR) would run as a formula in a spreadsheet (CSV
// injection through a crafted account name): such cells get a leading '.
export type PasswordRow = { kind: string; name: string; password: string | null; error: string | null };

function cell(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function passwordsCsv(rows: PasswordRow[], header: [string, string, string, string]): string {
  const lines = [header.map(cell).join(',')];
  for (const r of rows) lines.push([r.kind, r.name, r.password ?? '', r.error ?? ''].map(cell).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** A file name for the download: the subscription and the server's date, nothing else. */
export function passwordsFileName(subscription: string, day: string): string {
  return `passwords-${subscription.replace(/[^A-Za-z0-9.-]/g, '_').slice(0, 80)}-${day.replace(/[^0-9-]/g, '')}.csv`;
}
