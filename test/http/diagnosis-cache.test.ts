// The cached diagnosis: made once and served to every request, redone when
// an input changes (and only then), authorization reloaded at once when psa
// ownership changes, the previous diagnosis served while a new one is made,
// progress and findings published as events.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OwnershipData } from '../../service/http/authorize.ts';
import { createDiagnosisCache, type DiagnosisCacheOptions } from '../../service/http/cache/diagnosis-cache.ts';
import type { Fingerprint } from '../../service/http/cache/inputs-fingerprint.ts';
import type { SnapshotData } from '../../service/http/cache/snapshot.ts';
import type { ServerEvent } from '../../service/http/contract.ts';
import { fakeDiagnosis, fakeSnapshot, ID, NOW, ZONE } from './fake-world.ts';

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

type Held = { resolve: (d: SnapshotData) => void; reject: (e: Error) => void };

function harness(o: Partial<DiagnosisCacheOptions> = {}) {
  const fp: Fingerprint = { files: 'f1', ownership: 'o1', activity: 'a1' };
  let owners: OwnershipData = fakeSnapshot().ownership;
  const held: Held[] = [];
  const events: Array<{ e: ServerEvent; id: number | null }> = [];
  let collects = 0;
  let hold = false;
  const cache = createDiagnosisCache({
    collect: () => {
      collects++;
      if (!hold) return Promise.resolve(fakeSnapshot());
      return new Promise<SnapshotData>((resolve, reject) => held.push({ resolve, reject }));
    },
    fingerprint: async () => ({ ...fp }),
    loadOwnership: async () => owners,
    analysisNow: () => NOW,
    clock: Date.now,
    zone: ZONE,
    publish: (e, id) => events.push({ e, id }),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    pollMs: 10, minIntervalMs: 0, maxAgeMs: 3_600_000, progressMs: 5,
    ...o,
  });
  return {
    cache, fp, held, events,
    collects: () => collects,
    hold: (v: boolean) => void (hold = v),
    setOwners: (d: OwnershipData) => void (owners = d),
  };
}

describe('diagnosis cache', () => {
  it('makes the diagnosis once and serves it until an input changes', async (t) => {
    const h = harness();
    t.after(() => h.cache.stop());
    h.cache.start();
    await waitFor('the first diagnosis', () => h.cache.current() !== null);
    for (let i = 0; i < 100; i++) assert.equal(h.cache.current()!.generation, 1);
    await new Promise((r) => setTimeout(r, 100));   // ten polls with nothing changed
    assert.equal(h.collects(), 1);
    h.fp.files = 'f2';                               // a log file grew
    await waitFor('the second diagnosis', () => h.cache.current()?.generation === 2);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(h.collects(), 2);
    h.fp.activity = 'a2';                            // psa collected a new hour
    await waitFor('the third diagnosis', () => h.cache.current()?.generation === 3);
  });

  it('starts the first diagnosis at once, beside the first look at its inputs, and makes it only once', async (t) => {
    let looked!: () => void;
    const firstLook = new Promise<void>((ok) => (looked = ok));
    const fp: Fingerprint = { files: 'f1', ownership: 'o1', activity: 'a1' };
    for (const slowRefresh of [false, true]) {
      let release!: () => void;
      const refreshHeld = new Promise<void>((ok) => (release = ok));
      let collects = 0;
      const h = harness({
        // The first look (a `plesk db` call) is slow; later ones answer at once.
        fingerprint: async () => {
          await firstLook;
          return { ...fp };
        },
        collect: async () => {
          collects++;
          if (slowRefresh) await refreshHeld;
          return fakeSnapshot();
        },
      });
      t.after(() => h.cache.stop());
      h.cache.start();
      assert.equal(collects, 1, 'the refresh started before the first look answered');
      if (!slowRefresh) await waitFor('the first diagnosis', () => h.cache.current() !== null);
      looked();
      await new Promise((r) => setTimeout(r, 60));   // polls with nothing changed
      release();
      await waitFor('the first diagnosis', () => h.cache.current() !== null);
      await new Promise((r) => setTimeout(r, 60));
      assert.equal(collects, 1, `made once (refresh ${slowRefresh ? 'slower' : 'faster'} than the first look)`);
      fp.files = 'f2';
      await waitFor('the second diagnosis', () => h.cache.current()?.generation === 2);
      fp.files = 'f1';
      h.cache.stop();
    }
  });

  it('serves the previous diagnosis while a new one is made, reporting progress', async (t) => {
    const h = harness();
    t.after(() => h.cache.stop());
    h.cache.start();
    await waitFor('the first diagnosis', () => h.cache.current() !== null);
    h.hold(true);
    h.fp.files = 'f2';
    await waitFor('a refresh to start', () => h.held.length === 1);
    assert.equal(h.cache.current()!.generation, 1);
    assert.ok(h.cache.refreshing());
    await waitFor('progress events', () => h.events.filter((x) => x.e.type === 'scan' && x.e.state === 'running').length >= 4);
    // Subscription 11 turns out to be leaking in the new diagnosis.
    const doc = fakeDiagnosis();
    doc.subscriptions.find((s) => s.id === 11)!.cause = 'script';
    h.held[0]!.resolve(fakeSnapshot({ doc }));
    await waitFor('the new diagnosis', () => h.cache.current()?.generation === 2);
    assert.equal(h.cache.refreshing(), null);
    const findings = h.events.filter((x) => x.e.type === 'finding' && x.e.generation === 2);
    assert.deepEqual(findings.map((x) => x.id), [11], 'only the subscription that changed is announced, to those who see it');
    assert.ok(h.events.some((x) => x.e.type === 'scan' && x.e.state === 'done' && x.id === null));
  });

  it('keeps the previous diagnosis when a refresh fails, and says so', async (t) => {
    const h = harness();
    t.after(() => h.cache.stop());
    h.cache.start();
    await waitFor('the first diagnosis', () => h.cache.current() !== null);
    h.hold(true);
    h.fp.files = 'f2';
    await waitFor('a refresh to start', () => h.held.length === 1);
    h.held[0]!.reject(new Error('disk on fire'));
    await waitFor('the failure event', () => h.events.some((x) => x.e.type === 'scan' && x.e.state === 'failed'));
    assert.equal(h.cache.current()!.generation, 1);
    const failed = h.events.find((x) => x.e.type === 'scan' && x.e.state === 'failed')!.e;
    assert.match(failed.type === 'scan' ? failed.message ?? '' : '', /could not be refreshed/);
  });

  it('does not report a refresh ended by shutdown as a failure', async (t) => {
    const errors: string[] = [];
    const h = harness({ log: { info: () => undefined, warn: () => undefined, error: (_o, msg) => void errors.push(msg) } });
    t.after(() => h.cache.stop());
    h.cache.start();
    await waitFor('the first diagnosis', () => h.cache.current() !== null);
    h.hold(true);
    h.fp.files = 'f2';
    await waitFor('a refresh to start', () => h.held.length === 1);
    await h.cache.stop();
    // What the worker pool's shutdown does to a running refresh.
    h.held[0]!.reject(new Error('the snapshot worker exited with code 1 before answering'));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(errors, []);
    assert.ok(!h.events.some((x) => x.e.type === 'scan' && x.e.state === 'failed'), 'no failure event either');
  });

  it('reloads authorization as soon as psa ownership changes, without waiting for the diagnosis', async (t) => {
    const h = harness();
    t.after(() => h.cache.stop());
    h.cache.start();
    await waitFor('the first diagnosis', () => h.cache.current() !== null);
    assert.ok(h.cache.ownership()!.canSee(ID.c1, 10));
    // A refresh starts (a log grew) and reads psa before the subscription changes hands.
    h.hold(true);
    h.fp.files = 'f2';
    await waitFor('a refresh to start', () => h.held.length === 1);
    const moved = fakeSnapshot().ownership;
    h.setOwners({ ...moved, subscriptions: moved.subscriptions.map((s) => (s.id === 10 ? { ...s, ownerId: 5 } : s)) });
    h.fp.ownership = 'o2';
    await waitFor('the new ownership', () => !h.cache.ownership()!.canSee(ID.c1, 10));
    assert.ok(h.cache.ownership()!.canSee(ID.c2, 10));
    assert.equal(h.cache.current()!.generation, 1, 'the diagnosis itself is still being redone');
    // The diagnosis that read psa before the change must not bring the old owner back.
    h.held[0]!.resolve(fakeSnapshot());
    await waitFor('the new diagnosis', () => h.cache.current()?.generation === 2);
    assert.ok(!h.cache.ownership()!.canSee(ID.c1, 10), 'an older read of psa does not replace a newer one');
  });

  it('does not start diagnoses more often than the minimum interval', async (t) => {
    const h = harness({ minIntervalMs: 300 });
    t.after(() => h.cache.stop());
    h.cache.start();
    await waitFor('the first diagnosis', () => h.cache.current() !== null);
    const started = Date.now();
    h.fp.files = 'f2';
    await waitFor('the second diagnosis', () => h.cache.current()?.generation === 2);
    h.fp.files = 'f3';
    await waitFor('the third diagnosis', () => h.cache.current()?.generation === 3);
    assert.ok(Date.now() - started >= 300, 'two refreshes after a change are at least the interval apart');
    assert.equal(h.collects(), 3);
  });
});
