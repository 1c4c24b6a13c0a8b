// After an action: did the source stop? "0 messages since 22:15" or "still
// sending: 140 in the last 10 minutes". Pure: the audit records and the mail
// flow's per-sender series in, one verdict per action out; `now` is given.
//
// A series counts messages in buckets (a minute, an hour). Only buckets that
// start at or after the action count as "since": the bucket the action falls
// in also holds messages from before it, so `since` is the first instant
// that is counted in full, and the report says so by naming it.
import type { MailFlow } from './mail-flow.ts';
import { MINUTE, HOUR, wallClock } from '../time.ts';

export type SenderSeries = {
  resolutionMs: number;
  buckets: Map<number, number>;       // bucket start (epoch ms) → messages
  /** First instant the series covers (a minute series exists only for a recent window); null: all of the data. */
  from: number | null;
};

export type ActionToVerify = { at: number; action: string; target: string; watch: string[]; dryRun: boolean; result: string };

export type Verification = {
  action: string;
  target: string;
  at: number;
  watched: string | null;             // the series used (the most specific with data)
  status: 'stopped' | 'still-sending' | 'quiet-now' | 'unknown';
  since: number;                      // first instant counted in full
  messagesSince: number;
  lastWindow: { minutes: number; messages: number };
  text: { en: string; ja: string };
};

const hhmm = (ms: number, zone: string) => {
  const w = wallClock(ms, zone);
  return `${String(w.h).padStart(2, '0')}:${String(w.mi).padStart(2, '0')}`;
};

/** Per-sender series from a mail flow, finest first: minutes where the flow kept them (pickups per UID), hours always. */
export function seriesFromMailFlow(flow: MailFlow, minuteWindow: { from: number } | null): Map<string, SenderSeries[]> {
  const out = new Map<string, SenderSeries[]>();
  for (const [key, s] of flow.senders) out.set(key, [{ resolutionMs: HOUR, buckets: s.hourly, from: null }]);
  if (minuteWindow) {
    for (const [uid, minutes] of flow.minuteByUid) {
      const key = `uid:${uid}`;
      out.set(key, [{ resolutionMs: MINUTE, buckets: minutes, from: minuteWindow.from }, ...(out.get(key) ?? [])]);
    }
  }
  return out;
}

function sum(s: SenderSeries, from: number, to: number): number {
  let n = 0;
  for (const [start, c] of s.buckets) if (start >= from && start < to) n += c;
  return n;
}

export function verifyActions(input: {
  now: number;
  zone: string;
  actions: ActionToVerify[];
  series: Map<string, SenderSeries[]>;
  /** The last instant the mail log covers (MailFlow.lastTs); null: nothing read. */
  dataUntil: number | null;
  windowMinutes?: number;
}): Verification[] {
  const windowMs = (input.windowMinutes ?? 10) * MINUTE;
  const out: Verification[] = [];
  for (const a of input.actions) {
    if (a.dryRun || a.result === 'refused' || a.result === 'failed' || a.watch.length === 0) continue;
    // The first watched key the flow knows (a key it does not know sent nothing),
    // in its finest series that reaches back to the action.
    const key = a.watch.find((k) => input.series.has(k)) ?? null;
    const s = key ? input.series.get(key)!.find((x) => x.from === null || x.from <= a.at) ?? null : null;
    const res = s?.resolutionMs ?? MINUTE;
    const since = Math.ceil(a.at / res) * res;
    const windowStart = Math.max(since, Math.floor((input.now - windowMs) / res) * res);
    const messagesSince = s ? sum(s, since, input.now + 1) : 0;
    const recent = s ? sum(s, windowStart, input.now + 1) : 0;
    const minutes = Math.max(0, Math.round((input.now - windowStart) / MINUTE));
    const covered = input.dataUntil;
    const t = hhmm(since, input.zone);
    let status: Verification['status'];
    let en: string;
    let ja: string;
    if (covered === null || covered < since) {
      status = 'unknown';
      en = `not known yet: the mail log has nothing after ${t}`;
      ja = `まだ不明: ${t} 以降のメールログがありません`;
    } else if (messagesSince === 0) {
      status = 'stopped';
      en = `0 messages since ${t}`;
      ja = `${t} 以降 0 通`;
    } else if (recent > 0) {
      status = 'still-sending';
      en = `still sending: ${recent} in the last ${minutes} minutes (${messagesSince} since ${t})`;
      ja = `まだ送信中: 直近 ${minutes} 分で ${recent} 通 (${t} 以降 ${messagesSince} 通)`;
    } else {
      status = 'quiet-now';
      en = `${messagesSince} messages since ${t}, none in the last ${minutes} minutes`;
      ja = `${t} 以降 ${messagesSince} 通、直近 ${minutes} 分は 0 通`;
    }
    out.push({ action: a.action, target: a.target, at: a.at, watched: key, status, since, messagesSince, lastWindow: { minutes, messages: recent }, text: { en, ja } });
  }
  return out;
}
