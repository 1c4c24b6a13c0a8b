import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createResource } from '../../frontend/resource.ts';

const later = <T>(value: T, ms: number) => new Promise<T>((ok) => setTimeout(() => ok(value), ms));

describe('loaded values', () => {
  it('never lets an older answer overwrite a newer one', async () => {
    const r = createResource<string>();
    const slow = r.load('1', () => later('old', 30));
    const fast = r.load('1', () => later('new', 1));
    await Promise.all([slow, fast]);
    assert.equal(r.state.value.data, 'new');
    assert.equal(r.state.value.status, 'ok');
  });

  it('keeps showing the last good data of the same key when a refresh fails', async () => {
    const r = createResource<string>();
    await r.load('1', async () => 'good');
    await r.load('1', async () => { throw new Error('down'); });
    assert.equal(r.state.value.status, 'error');
    assert.equal(r.state.value.data, 'good');
  });

  it("drops another key's data at once rather than showing it as this one's", async () => {
    const r = createResource<string>();
    await r.load('1', async () => 'subscription 1');
    const pending = r.load('2', () => later('subscription 2', 10));
    assert.equal(r.state.value.data, null);
    assert.equal(r.state.value.key, '2');
    await pending;
    assert.equal(r.state.value.data, 'subscription 2');
  });
});
