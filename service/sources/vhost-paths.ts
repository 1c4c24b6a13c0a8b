// psa names paths under the server's vhosts root (Plesk's HTTPD_VHOSTS_D,
// /var/www/vhosts by default [V: reference/plesk.md §3.2 www_root example]);
// a config may read the same tree elsewhere (a copy, a test world).
import { sep } from 'node:path';

export const PLESK_VHOSTS = '/var/www/vhosts';

/** Where a psa path lives on this filesystem, given the configured vhosts root. */
export function localPath(path: string, vhostsRoot: string): string {
  if (vhostsRoot === PLESK_VHOSTS || path.startsWith(vhostsRoot + sep)) return path;
  return path === PLESK_VHOSTS || path.startsWith(PLESK_VHOSTS + '/') ? vhostsRoot + path.slice(PLESK_VHOSTS.length) : path;
}
