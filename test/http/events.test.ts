// The event hub behind GET /api/events: each connection gets the server-wide
// events and those about subscriptions its user may see (judged when sent),
// within per-user and total limits; a client that stops reading is dropped.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { buildOwnership, type Ownership } from '../../service/http/authorize.ts';
import { createEventHub } from '../../service/http/sse.ts';
import type { ServerEvent } from '../../service/http/contract.ts';
import { fakeSnapshot, ID, identityOf } from './fake-world.ts';

type FakeRes = ServerResponse & { text: string; status: number | null };

function fakeResponse(o: { stuck?: boolean } = {}): FakeRes {
  const e = new EventEmitter() as unknown as FakeRes & { writableLength: number; writableEnded: boolean; destroyed: boolean };
  Object.assign(e, {
    text: '', status: null, writableLength: 0, writableEnded: false, destroyed: false,
    writeHead(status: number) {
      e.status = status;
      return e;
    },
    write(chunk: string) {
      e.text += chunk;
      if (o.stuck) e.writableLength += chunk.length;
      return !o.stuck;
    },
    end(chunk?: string) {
      if (chunk) e.text += chunk;
      e.writableEnded = true;
      e.emit('close');
      return e;
    },
    destroy() {
      e.destroyed = true;
      e.emit('close');
      return e;
    },
  });
  return e;
}

const action = (subscriptionId: number): ServerEvent => ({ type: 'action', subscriptionId, action: 'quarantine', dryRun: false, result: 'done', at: '2022-02-03T22:15:00+09:00', by: 'x' });
const dataOf = (text: string) => text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as ServerEvent);

describe('event stream hub', () => {
  it('sends events about a subscription only to users who may see it, and server events to all', () => {
    let ownership: Ownership = buildOwnership(fakeSnapshot().ownership, 1);
    const hub = createEventHub({ canSee: (id, sub) => ownership.canSee(id, sub), heartbeatMs: 60_000 });
    const res = { c1: fakeResponse(), c2: fakeResponse(), r1: fakeResponse(), admin: fakeResponse() };
    for (const [login, r] of Object.entries(res)) hub.attach(r, identityOf(login));
    hub.publish(action(10), 10);
    hub.publish({ type: 'scan', state: 'running', generation: 1, startedAt: '2022-02-03T22:00:00+09:00', elapsedMs: 1000, expectedMs: null, message: null }, null);
    assert.deepEqual(dataOf(res.c1.text).map((e) => e.type), ['action', 'scan']);
    assert.deepEqual(dataOf(res.c2.text).map((e) => e.type), ['scan']);
    assert.deepEqual(dataOf(res.r1.text).map((e) => e.type), ['action', 'scan']);
    assert.deepEqual(dataOf(res.admin.text).map((e) => e.type), ['action', 'scan']);
    assert.match(res.c1.text, /^retry: 5000\n\nid: 1\nevent: action\ndata: /);
    // Subscription 10 moves to c2: from now on its events go to c2, not c1.
    ownership = buildOwnership({ ...fakeSnapshot().ownership, subscriptions: fakeSnapshot().ownership.subscriptions.map((s) => (s.id === 10 ? { ...s, ownerId: 5 } : s)) }, 2);
    hub.publish(action(10), 10);
    assert.equal(dataOf(res.c1.text).length, 2);
    assert.equal(dataOf(res.c2.text).length, 2);
    hub.closeAll();
    assert.ok(Object.values(res).every((r) => r.writableEnded));
  });

  it('limits streams per user and in total', () => {
    const hub = createEventHub({ canSee: () => true, perUser: 2, total: 3, heartbeatMs: 60_000 });
    const a = [fakeResponse(), fakeResponse(), fakeResponse()];
    for (const r of a) hub.attach(r, ID.c1);
    assert.deepEqual(a.map((r) => r.status), [200, 200, 429]);
    const b = [fakeResponse(), fakeResponse()];
    for (const r of b) hub.attach(r, ID.c2);
    assert.deepEqual(b.map((r) => r.status), [200, 429]);
    assert.equal(hub.clients(), 3);
    a[0]!.emit('close');
    assert.equal(hub.clients(), 2, 'a closed stream frees its place');
    hub.closeAll();
  });

  it('drops a client that stops reading instead of buffering without end', () => {
    const hub = createEventHub({ canSee: () => true, maxBufferedBytes: 2_000, heartbeatMs: 60_000 });
    const stuck = fakeResponse({ stuck: true });
    hub.attach(stuck, ID.admin);
    for (let i = 0; i < 50; i++) hub.publish(action(10), 10);
    assert.ok(stuck.destroyed);
    assert.equal(hub.clients(), 0);
    hub.closeAll();
  });
});
