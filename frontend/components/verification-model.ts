// "Did it stop?" after an action. The sidecar's own verdict (verify.ts, which
// knows how far the mail log reaches) is used when the detail carries one;
// until the API has it, the same rule is applied here to the timeline's
// minute steps (pickups of the subscription's system user): only whole
// minutes after the action count, "recent" is the last 10 minutes.
import type { TimelineResponse } from '../../service/http/contract.ts';

export type VerifyStatus = 'stopped' | 'still-sending' | 'quiet-now' | 'unknown';
export type VerificationView = { status: VerifyStatus; since: number; count: number; recent: number; minutes: number };

/** Shape of service/analysis/verify.ts's Verification as the API would send it (instants as ISO text). */
export type ServerVerification = {
  action: string; target: string; at: string; status: VerifyStatus; since: string; messagesSince: number;
  lastWindow: { minutes: number; messages: number };
};

const MINUTE = 60_000;

export function fromServer(v: ServerVerification): VerificationView {
  return { status: v.status, since: Date.parse(v.since), count: v.messagesSince, recent: v.lastWindow.messages, minutes: v.lastWindow.minutes };
}

/** `dataUntil`: the last instant the minute series covers (the timeline's `to`). */
export function verifyFromMinutes(at: number, timeline: Pick<TimelineResponse, 'points' | 'to'>, windowMinutes = 10): VerificationView {
  const since = Math.ceil(at / MINUTE) * MINUTE;
  const until = Date.parse(timeline.to);
  const windowStart = Math.max(since, Math.floor((until - windowMinutes * MINUTE) / MINUTE) * MINUTE);
  let count = 0;
  let recent = 0;
  for (const p of timeline.points) {
    const t = Date.parse(p.t);
    if (t < since || p.submitted === null) continue;
    count += p.submitted;
    if (t >= windowStart) recent += p.submitted;
  }
  const minutes = Math.max(0, Math.round((until - windowStart) / MINUTE));
  const status: VerifyStatus = !Number.isFinite(until) || until < since ? 'unknown' : count === 0 ? 'stopped' : recent > 0 ? 'still-sending' : 'quiet-now';
  return { status, since, count, recent, minutes };
}
