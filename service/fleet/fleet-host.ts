// An inventory entry turned into what the SSH side needs, validated at the
// door: a host whose entry is unusable fails on its own ('inventory'), with
// the reason, and never reaches a socket or a remote command.
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import type { InventoryEntry } from './inventory.ts';
import { HostFailure } from './host-failure.ts';

/** PRODUCT_ROOT_D: /usr/local/psa on RPM systems, /opt/psa on Debian/Ubuntu (reference/plesk.md header [V]); tried in this order. */
export const DEFAULT_PRODUCT_ROOTS = ['/usr/local/psa', '/opt/psa'];
export const EXTENSION_ID = 'sendtrace';
/** Where the extension package puts the CLI: its plib/sidecar/ folder (plesk.md §5.1 [V]: plib/ → admin/plib/modules/<id>/). */
export const cliPathUnder = (productRoot: string) => join(productRoot, 'admin/plib/modules', EXTENSION_ID, 'sidecar/sendtrace.mjs');
export const moduleMetaPath = (productRoot: string, id: string) => join(productRoot, 'admin/plib/modules', id, 'meta.xml');

const noControls = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);
const absPath = z.string().min(1).max(4096).refine((s) => isAbsolute(s) && noControls(s), 'must be an absolute path without control characters');
// Hostnames (RFC 1123 labels, '_' tolerated), IPv4, IPv6: nothing a resolver or a log would misread.
const address = z.string().max(253).refine(
  (s) => /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/.test(s) || (/^[0-9A-Fa-f:.]+$/.test(s) && s.includes(':')),
  'is not a host name or IP address',
);

export const FleetHostSchema = z.object({
  name: z.string(),
  address,
  port: z.string().regex(/^[0-9]{1,5}$/, 'is not a port number').transform(Number).refine((n) => n >= 1 && n <= 65535, 'is not a port number (1-65535)'),
  user: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/, 'is not a user name'),
  keyFile: z.string().min(1).refine(noControls, 'contains control characters').nullable(),
  /** Where Plesk may live on this host, in the order to try; `sendtrace_product_root` makes it one. */
  productRoots: z.array(absPath).min(1),
  /** The CLI: `sendtrace_cli`, else the package's place under each product root. */
  cliCandidates: z.array(absPath).min(1),
  node: absPath.nullable(),
  plesk: z.string().min(1).refine(noControls, 'contains control characters'),
  /** Per-host command timeout (a big server may need longer than --timeout). */
  timeoutMs: z.string().regex(/^[0-9]+(\.[0-9]+)?$/, 'is not a number of seconds').transform((s) => Number(s) * 1000)
    .refine((ms) => ms > 0 && ms <= 86_400_000, 'must be between 0 and 86400 seconds').nullable(),
  line: z.number(),
});
export type FleetHost = z.infer<typeof FleetHostSchema>;

/** A usable host, or a HostFailure naming the bad field (thrown). */
export function toFleetHost(entry: InventoryEntry, env: Record<string, string | undefined>): FleetHost {
  const v = entry.vars;
  const pick = (...keys: string[]) => keys.map((k) => v[k]).find((x) => x !== undefined);
  const productRoots = v.sendtrace_product_root !== undefined ? [v.sendtrace_product_root] : DEFAULT_PRODUCT_ROOTS;
  const keyFile = pick('ansible_ssh_private_key_file', 'ansible_private_key_file') ?? null;
  const parsed = FleetHostSchema.safeParse({
    name: entry.name,
    address: pick('ansible_host', 'ansible_ssh_host') ?? entry.name,
    port: pick('ansible_port', 'ansible_ssh_port') ?? '22',
    user: pick('ansible_user', 'ansible_ssh_user') ?? 'root',
    keyFile: keyFile && keyFile.startsWith('~/') && env.HOME ? join(env.HOME, keyFile.slice(2)) : keyFile,
    productRoots,
    cliCandidates: v.sendtrace_cli !== undefined ? [v.sendtrace_cli] : productRoots.map((r) => (isAbsolute(r) ? cliPathUnder(r) : r)),
    node: v.sendtrace_node ?? null,
    plesk: v.sendtrace_plesk ?? 'plesk',
    timeoutMs: v.sendtrace_timeout ?? null,
    line: entry.line,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = { address: 'ansible_host', port: 'ansible_port', user: 'ansible_user', keyFile: 'ansible_ssh_private_key_file', productRoots: 'sendtrace_product_root', cliCandidates: 'sendtrace_cli', node: 'sendtrace_node', plesk: 'sendtrace_plesk', timeoutMs: 'sendtrace_timeout' }[String(issue.path[0])] ?? String(issue.path[0]);
    throw new HostFailure('inventory', `${field} ${issue.message} (inventory line ${entry.line})`);
  }
  return parsed.data;
}
