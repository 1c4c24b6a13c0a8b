// Every action goes the same way: a dry run (nothing changes) whose result
// the confirmation dialog shows, then — only on the user's click — the real
// run. Results are read defensively: `result` is the CLI's JSON, typed loosely.
import { useState } from 'preact/hooks';
import type { ActionResponse } from '../../service/http/contract.ts';

export type Phase = 'checking' | 'ready' | 'running' | 'done' | 'error';

export type Flow = {
  phase: Phase;
  dry: ActionResponse | null;
  done: ActionResponse | null;
  error: unknown;
  check(): Promise<void>;
  go(): Promise<ActionResponse | null>;
};

export function useActionFlow(run: (dryRun: boolean) => Promise<ActionResponse>): Flow {
  const [s, set] = useState<{ phase: Phase; dry: ActionResponse | null; done: ActionResponse | null; error: unknown }>({ phase: 'checking', dry: null, done: null, error: null });
  return {
    ...s,
    async check() {
      set({ phase: 'checking', dry: null, done: null, error: null });
      try {
        set({ phase: 'ready', dry: await run(true), done: null, error: null });
      } catch (error) {
        set({ phase: 'error', dry: null, done: null, error });
      }
    },
    async go() {
      set((x) => ({ ...x, phase: 'running', error: null }));
      try {
        const done = await run(false);
        set((x) => ({ ...x, phase: 'done', done }));
        return done;
      } catch (error) {
        set((x) => ({ ...x, phase: 'error', error }));
        return null;
      }
    },
  };
}

export const str = (r: Record<string, unknown> | undefined, k: string): string | null => (typeof r?.[k] === 'string' ? (r[k] as string) : null);
export const num = (r: Record<string, unknown> | undefined, k: string): number | null => (typeof r?.[k] === 'number' ? (r[k] as number) : null);

export type AccountResult = { kind: string; name: string; ok: boolean; password: string | null; error: string | null };

/** reset-passwords' `accounts`, each checked field by field. */
export function accountsOf(r: Record<string, unknown> | undefined): AccountResult[] {
  const list = r?.['accounts'];
  if (!Array.isArray(list)) return [];
  const out: AccountResult[] = [];
  for (const a of list) {
    if (typeof a !== 'object' || a === null) continue;
    const o = a as Record<string, unknown>;
    if (typeof o['kind'] !== 'string' || typeof o['name'] !== 'string') continue;
    out.push({ kind: o['kind'], name: o['name'], ok: o['ok'] === true, password: str(o, 'password'), error: str(o, 'error') });
  }
  return out;
}
