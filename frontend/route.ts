// Views are addressed by the URL's hash, so the shim serves one page and the
// browser's back button works: #/ · #/subscriptions/7 · #/subscriptions/7/settings
// · #/audit · #/quarantine. Anything else is the start view.
export type Route =
  | { view: 'overview' }
  | { view: 'diagnosis'; id: number }
  | { view: 'settings'; id: number }
  | { view: 'audit' }
  | { view: 'quarantine' };

/** `start` is where an empty hash leads: a customer sent from a subscription's page lands on its diagnosis. */
export function parseRoute(hash: string, start: Route): Route {
  const path = hash.replace(/^#/, '').replace(/\/+$/, '');
  if (path === '' || path === '/') return start;
  if (path === '/overview') return { view: 'overview' };
  if (path === '/audit') return { view: 'audit' };
  if (path === '/quarantine') return { view: 'quarantine' };
  const m = /^\/subscriptions\/([1-9][0-9]{0,9})(\/settings)?$/.exec(path);
  if (m) return { view: m[2] ? 'settings' : 'diagnosis', id: Number(m[1]) };
  return start;
}

export function hrefOf(r: Route): string {
  switch (r.view) {
    case 'overview': return '#/overview';
    case 'diagnosis': return `#/subscriptions/${r.id}`;
    case 'settings': return `#/subscriptions/${r.id}/settings`;
    case 'audit': return '#/audit';
    case 'quarantine': return '#/quarantine';
  }
}
