// Who may see which subscription, from psa's ownership (reference/plesk.md
// §3.1 [V]: clients.parent_id is the owning reseller/admin; domains.cl_id the
// owner of a subscription): the admin sees all; a reseller its own
// subscriptions and those of its customers; a customer its own. An id in a
// URL is only a question: a subscription the caller may not see answers
// exactly like one that does not exist (404), so nobody learns which ids exist.
import { createError, SendtraceError } from '../errors.ts';
import type { Identity } from './auth/signature.ts';

export type OwnerRow = { id: number; login: string; type: 'admin' | 'reseller' | 'client'; parentId: number | null };
export type SubscriptionRow = { id: number; name: string; ownerId: number; home: string | null };
export type OwnershipData = { owners: OwnerRow[]; subscriptions: SubscriptionRow[] };

export type Ownership = {
  readonly generation: number;
  readonly subscriptions: ReadonlyMap<number, SubscriptionRow>;
  readonly idByName: ReadonlyMap<string, number>;
  ownerOf(clientId: number): OwnerRow | undefined;
  ownerByLogin(login: string): OwnerRow | undefined;
  /** Throws SENDTRACE_ERR_FORBIDDEN when psa has no owner of that id and role. */
  checkIdentity(identity: Identity): void;
  /** null: everything (the admin). */
  visibleIds(identity: Identity): ReadonlySet<number> | null;
  canSee(identity: Identity, subscriptionId: number): boolean;
  /** The subscription, or the same 404 whether it does not exist or is not the caller's. */
  subscriptionFor(identity: Identity, subscriptionId: number): SubscriptionRow;
};

export function notFound(subscriptionId: number): SendtraceError {
  return createError('SENDTRACE_ERR_NOT_FOUND', 'Subscription', String(subscriptionId));
}

export function buildOwnership(data: OwnershipData, generation: number): Ownership {
  const owners = new Map(data.owners.map((o) => [o.id, o]));
  const byLogin = new Map(data.owners.map((o) => [o.login, o]));
  const subscriptions = new Map(data.subscriptions.map((s) => [s.id, s]));
  const idByName = new Map(data.subscriptions.map((s) => [s.name, s.id]));
  const ownedBy = new Map<number, Set<number>>();
  const ownedUnder = new Map<number, Set<number>>();   // by the owner's parent (a reseller's customers)
  const add = (m: Map<number, Set<number>>, k: number, id: number) => {
    let set = m.get(k);
    if (!set) m.set(k, (set = new Set()));
    set.add(id);
  };
  for (const s of data.subscriptions) {
    add(ownedBy, s.ownerId, s.id);
    const parent = owners.get(s.ownerId)?.parentId;
    if (parent !== null && parent !== undefined) add(ownedUnder, parent, s.id);
  }
  const cache = new Map<string, ReadonlySet<number>>();
  const empty: ReadonlySet<number> = new Set();

  const visibleIds = (identity: Identity): ReadonlySet<number> | null => {
    if (identity.role === 'admin') return null;
    const key = `${identity.role}:${identity.clientId}`;
    let set = cache.get(key);
    if (!set) {
      const own = ownedBy.get(identity.clientId) ?? empty;
      set = identity.role === 'reseller' ? new Set([...own, ...(ownedUnder.get(identity.clientId) ?? empty)]) : own;
      cache.set(key, set);
    }
    return set;
  };
  const canSee = (identity: Identity, id: number) => subscriptions.has(id) && (visibleIds(identity)?.has(id) ?? true);

  return {
    generation,
    subscriptions,
    idByName,
    ownerOf: (id) => owners.get(id),
    ownerByLogin: (login) => byLogin.get(login),
    checkIdentity(identity) {
      const o = owners.get(identity.clientId);
      // The login is informative (an additional administrator logs in under another name); id and role must match psa.
      if (!o || o.type !== identity.role) throw createError('SENDTRACE_ERR_FORBIDDEN', `the signed identity is not a Plesk ${identity.role} (client id ${identity.clientId})`);
    },
    visibleIds,
    canSee,
    subscriptionFor(identity, id) {
      const s = subscriptions.get(id);
      if (!s || !canSee(identity, id)) throw notFound(id);
      return s;
    },
  };
}
