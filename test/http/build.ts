// The `build(t)` helper of the sidecar's tests (the fastify/demo habit): an
// app over the fake world with a recording ActionsPort, real settings store,
// security log and event hub in a temp state dir, a captured log, and a
// signer for any identity. Cleans up after the test.
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { parseConfig, type Config } from '../../service/config.ts';
import { buildApp, type AppDeps, type SidecarApp } from '../../service/http/app.ts';
import type { ActionOutcome, ActionsPort } from '../../service/http/actions/actions-port.ts';
import { signRequest, type Identity } from '../../service/http/auth/signature.ts';
import { buildOwnership, type Ownership } from '../../service/http/authorize.ts';
import { createSnapshotView, type SnapshotView } from '../../service/http/cache/snapshot-view.ts';
import type { SnapshotData } from '../../service/http/cache/snapshot.ts';
import type { AuditEntry, QuarantineItem } from '../../service/http/contract.ts';
import { openSecurityLog } from '../../service/http/security-log.ts';
import { openSettingsStore } from '../../service/http/settings-store.ts';
import { createEventHub } from '../../service/http/sse.ts';
import { fakeSnapshot, NOW, ZONE } from './fake-world.ts';

export type PortCall = { method: string; args: Record<string, unknown> };

/** A recording ActionsPort: answers like the CLI's JSON, remembers every call. */
export function recordingActions(o: { quarantine?: QuarantineItem[]; audit?: AuditEntry[]; fail?: Error } = {}): ActionsPort & { calls: PortCall[] } {
  const calls: PortCall[] = [];
  const act = (method: string, result: (args: Record<string, unknown>) => Record<string, unknown>) => async (args: object): Promise<ActionOutcome> => {
    calls.push({ method, args: args as Record<string, unknown> });
    if (o.fail) throw o.fail;
    return { result: result(args as Record<string, unknown>), exit: 0, notes: [] };
  };
  return {
    calls,
    available: true,
    quarantine: act('quarantine', (a) => ({ id: a.dryRun ? null : 'q-20220203-213000-0123abcd', dryRun: a.dryRun, originalPath: a.path, sha256: 'a'.repeat(64), quarantinedAt: a.dryRun ? null : '2022-02-03T21:30:00+09:00' })),
    restore: act('restore', (a) => ({ id: a.quarantineId, dryRun: a.dryRun, restoredPath: '/x', sha256: 'a'.repeat(64) })),
    resetPasswords: act('resetPasswords', (a) => ({ subscription: a.subscription, dryRun: a.dryRun, accounts: [{ kind: 'mailbox', name: `info@${String(a.subscription)}`, ok: true, password: a.dryRun ? undefined : 'Xq7-secret-Pw-41z' }] })),
    purgeQueue: act('purgeQueue', (a) => ({ subscription: a.subscription, dryRun: a.dryRun, matched: 3, removed: a.dryRun ? 0 : 3 })),
    listQuarantine: async () => ({ items: o.quarantine ?? [], warnings: [] }),
    readAudit: async (since) => ({ records: (o.audit ?? []).filter((r) => since === null || r.at >= since), warnings: [] }),
  };
}

export type TestApp = {
  app: SidecarApp;
  key: Buffer;
  config: Config;
  dir: string;
  logs: string[];
  clock: { now: number };
  cache: { view: SnapshotView | null; ownership: Ownership | null; refreshes: number };
  inject(r: { method?: string; url: string; as?: Identity; body?: unknown; headers?: Record<string, string>; sign?: Partial<{ timestamp: number; nonce: string; key: Buffer }> }): Promise<LightMyRequestResponse>;
};

let nonceSeq = 0;
export const freshNonce = () => `${randomBytes(8).toString('hex')}-${++nonceSeq}`;

export async function build(t: TestContext, o: { snapshot?: SnapshotData | null; actions?: ActionsPort; deps?: Partial<AppDeps>; securityLinesPerSecond?: number } = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'st-http-'));
  const config = parseConfig({ stateDir: join(dir, 'state'), timezone: ZONE, plesk: join(dir, 'no-plesk-here'), vhostsRoot: '/var/www/vhosts' }, 'test', dir);
  const key = randomBytes(32);
  const logs: string[] = [];
  const clock = { now: NOW + 3 * 3600_000 };
  const data = o.snapshot === undefined ? fakeSnapshot() : o.snapshot;
  const cache = {
    view: data ? createSnapshotView(data, 1, clock.now) : null,
    ownership: data ? buildOwnership(data.ownership, 1) : null,
    refreshes: 0,
  };
  const events = createEventHub({ canSee: (id, sub) => cache.ownership?.canSee(id, sub) ?? false, heartbeatMs: 60_000 });
  const app = buildApp(config, {
    key,
    cache: { current: () => cache.view, ownership: () => cache.ownership, refreshing: () => null, requestRefresh: () => void cache.refreshes++ },
    actions: o.actions ?? recordingActions(),
    settings: openSettingsStore(config.stateDir, ZONE),
    events,
    securityLog: openSecurityLog(config.stateDir, ZONE, o.securityLinesPerSecond),
    clock: () => clock.now,
    logStream: { write: (line: string) => void logs.push(line) },
    logLevel: 'debug',
    ...o.deps,
  });
  t.after(async () => {
    events.closeAll();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    app, key, config, dir, logs, clock, cache,
    inject(r) {
      const method = r.method ?? 'GET';
      const body = r.body === undefined ? undefined : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      const signed = r.as ? signRequest(r.sign?.key ?? key, { method, target: r.url, body: body ?? '', identity: r.as, timestamp: r.sign?.timestamp ?? Math.floor(clock.now / 1000), nonce: r.sign?.nonce ?? freshNonce() }) : {};
      return app.inject({ method: method as 'GET', url: r.url, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...signed, ...r.headers }, ...(body !== undefined ? { payload: body } : {}) });
    },
  };
}
