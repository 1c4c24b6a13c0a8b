// A value loaded from the API, as a signal: the last good data stays visible
// while a newer load runs or after it fails (a refresh that fails must not
// blank the page), and an answer to an older request never overwrites a newer one.
import { signal, type Signal } from '@preact/signals';

export type Loadable<T> = { status: 'idle' | 'loading' | 'ok' | 'error'; data: T | null; error: unknown; key: string | null };

export type Resource<T> = {
  state: Signal<Loadable<T>>;
  /** Loads under `key` (e.g. the subscription id); data of another key is dropped at once rather than shown as this one's. */
  load(key: string, fn: () => Promise<T>): Promise<T | null>;
  set(key: string, data: T): void;
  reset(): void;
};

export function createResource<T>(): Resource<T> {
  const state = signal<Loadable<T>>({ status: 'idle', data: null, error: null, key: null });
  let seq = 0;
  return {
    state,
    async load(key, fn) {
      const mine = ++seq;
      const keep = state.value.key === key ? state.value.data : null;
      state.value = { status: 'loading', data: keep, error: null, key };
      try {
        const data = await fn();
        if (mine === seq) state.value = { status: 'ok', data, error: null, key };
        return data;
      } catch (error) {
        if (mine === seq) state.value = { status: 'error', data: keep, error, key };
        return null;
      }
    },
    set(key, data) {
      seq++;
      state.value = { status: 'ok', data, error: null, key };
    },
    reset() {
      seq++;
      state.value = { status: 'idle', data: null, error: null, key: null };
    },
  };
}
