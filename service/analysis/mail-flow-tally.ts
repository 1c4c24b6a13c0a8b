// A finished message → its sender's numbers and the totals. Called exactly
// once per message life; a re-injected copy adds its delivery outcomes to the
// sender of the message it stands for, but is not a message of its own.
import { HOUR, MINUTE } from '../time.ts';
import type { MailFlow, MailFlowOptions, SenderStats } from './mail-flow.ts';
import { bumpCount, rootOf, submittedAt, type FlowMessage } from './mail-flow-message.ts';
import type { BucketCounts } from './counters.ts';
import { HourLog } from './hour-log.ts';
import { LazyMap } from './lazy-map.ts';
import { SenderAcc } from './sender-acc.ts';
import { SubmitLog } from './submit-log.ts';

export type Tally = Pick<MailFlow, 'messages' | 'totals' | 'unattributed' | 'droppedSenders'> & {
  minuteByUid: Map<number, Map<number, number>>;
  // One map per kind, uid by number: no `${kind}:${id}` string per message.
  uid: Map<number, SenderAcc>;
  named: { sasl: Map<string, SenderAcc>; client: Map<string, SenderAcc> };
  senderCount: number;
  /** Each message's `submitted`, applied grouped by sender (flushed before the senders are read). */
  submits: SubmitLog;
  /** Each sender's messages per hour, by its creation number (`SenderAcc.ord`). */
  hours: HourLog;
};

export function createTally(): Tally {
  return {
    messages: 0, minuteByUid: new Map(), unattributed: 0, droppedSenders: 0,
    totals: { recipients: 0, sent: 0, deferred: 0, bounced: 0, rejected: 0, limitRejected: 0 },
    uid: new Map(), named: { sasl: new Map(), client: new Map() }, senderCount: 0, submits: new SubmitLog(), hours: new HourLog(),
  };
}

function senderOf(t: Tally, root: FlowMessage, maxSenders: number): SenderAcc | null {
  const kind = root.kind;
  if (!kind) return null;
  let s = kind === 'uid' ? t.uid.get(root.uid) : t.named[kind].get(root.id);
  if (!s) {
    if (t.senderCount >= maxSenders) return null;
    s = new SenderAcc(kind, kind === 'uid' ? String(root.uid) : root.id, t.senderCount);
    if (kind === 'uid') t.uid.set(root.uid, s);
    else t.named[kind].set(root.id, s);
    t.senderCount++;
  }
  return s;
}

/**
 * The senders of a finished tally, as MailFlow's map (key `${kind}:${id}`):
 * each sender's SenderStats is built when first read. The `senders` document
 * reads every sender's numbers straight from its accumulator (accumulators()),
 * without building them: on a 1 GB log, building them all was ~90 ms of the
 * serial end of the run (docs/decisions/020).
 */
export class TallySenders extends LazyMap<string, SenderStats> {
  constructor(private readonly accs: readonly SenderAcc[], private readonly hours: readonly BucketCounts[]) {
    super(accs.map((a) => `${a.kind}:${a.id}`), (i) => accs[i]!.toStats(hours[accs[i]!.ord]!));
  }

  /** Each sender's accumulator (settled) and its messages per hour, in the map's order. */
  * accumulators(): Generator<[SenderAcc, BucketCounts]> {
    for (const acc of this.accs) {
      acc.settle();
      yield [acc, this.hours[acc.ord]!];
    }
  }
}

export function sendersOf(t: Tally): TallySenders {
  t.submits.flush();
  const hours = t.hours.bySender(t.senderCount, HOUR);
  const accs: SenderAcc[] = [];
  for (const map of [t.uid, t.named.sasl, t.named.client] as Array<Map<unknown, SenderAcc>>) for (const acc of map.values()) accs.push(acc);
  return new TallySenders(accs, hours);
}

export function tallyMessage(t: Tally, m: FlowMessage, options: MailFlowOptions): void {
  if (m.finalized) return;
  m.finalized = true;
  const root = rootOf(m);
  const at = submittedAt(root);
  if (options.since !== undefined && at < options.since) return;
  const s = senderOf(t, root, options.maxSenders ?? 200_000);
  if (m === root) {
    const recipients = m.nrcpt >= 0 ? m.nrcpt : m.finals;
    t.messages++;
    t.totals.recipients += recipients;
    if (!m.kind) t.unattributed++;
    else if (!s) t.droppedSenders++;
    if (s) {
      // Counted here, in the order messages end (nearly time order), not in the submissions' grouped order.
      t.hours.add(s.ord, Math.floor(at / HOUR));
      t.submits.add(s, at, recipients, m.from, m.clientIp);
    }
    const w = options.minuteWindow;
    if (m.kind === 'uid' && w && at >= w.from && at < w.to) {
      let perMinute = t.minuteByUid.get(m.uid);
      if (!perMinute) t.minuteByUid.set(m.uid, (perMinute = new Map()));
      bumpCount(perMinute, Math.floor(at / MINUTE) * MINUTE);
    }
  }
  // A root seen only from its handoff line (the log starts after its qmgr line): its copy knows the recipients.
  if (m !== root && root.nrcpt < 0 && !root.copyRecipients) {
    root.copyRecipients = true;
    const recipients = m.nrcpt >= 0 ? m.nrcpt : m.finals;
    t.totals.recipients += recipients;
    if (s) s.recipients += recipients;
  }
  t.totals.sent += m.sent;
  t.totals.deferred += m.deferred;
  t.totals.bounced += m.bounced;
  if (s) {
    s.sent += m.sent;
    s.deferred += m.deferred;
    s.bounced += m.bounced;
    if (m.script !== null) s.script(m.script);
  }
  // Refused as a whole, or every recipient refused before qmgr ever saw it; charged once per original message.
  const refused = m.rejected || (m.commandRejects > 0 && !m.queued);
  if (refused && !root.rejectCounted) {
    root.rejectCounted = true;
    t.totals.rejected++;
    if (m.limit) t.totals.limitRejected++;
    if (s) {
      s.rejected++;
      if (m.limit) s.limitRefused(at);
    }
  }
}
