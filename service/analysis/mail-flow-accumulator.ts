// The streaming accumulator: maillog events in (one at a time, in log order),
// a MailFlow out at finish(). Memory stays bounded on a log of any size: a
// message is tallied and dropped soon after `removed`, at most `maxOpen`
// messages are open at once (the oldest are tallied early and counted in
// `evicted`), and every per-sender map is capped.
import type { MaillogEvent } from '../sources/maillog-event.ts';
import { MINUTE } from '../time.ts';
import { LimitRejectCounter } from './limit-reject-counter.ts';
import type { MailFlow, MailFlowOptions } from './mail-flow.ts';
import { createFlowMessage, rootOf, submittedAt, type FlowMessage } from './mail-flow-message.ts';
import { createTally, sendersOf, tallyMessage } from './mail-flow-tally.ts';
import { RecentHandoffs } from './recent-handoffs.ts';

export type LineCounts = { lines: number; unparsed: number; unparsedExamples: string[] };
export type MailFlowAccumulator = { add(event: MaillogEvent): void; finish(counts?: LineCounts): MailFlow };

export function createMailFlow(options: MailFlowOptions = {}): MailFlowAccumulator {
  const maxOpen = options.maxOpen ?? 200_000;
  const { since, until } = options;
  // A message is tallied as soon as it is removed: a content filter's reply
  // (`queued as` its copy) is logged the moment the copy is queued, long before
  // the copy can be delivered and removed, so no removed message is needed later.
  const open = new Map<string, FlowMessage>();
  const handoffs = new RecentHandoffs(64, 10 * MINUTE, (m) => {
    if (m.closed && m.pendingHandoffs === 0) finalize(m);
  });
  const tally = createTally();
  const limits = new LimitRejectCounter();
  let firstTs: number | null = null;
  let lastTs: number | null = null;
  let reinjections = 0;
  let evicted = 0;
  let done = false;

  const finalize = (m: FlowMessage) => tallyMessage(tally, m, options);

  function link(child: FlowMessage, parent: FlowMessage): boolean {
    if (child === parent || child.parent || child.finalized) return false;
    // Only an unauthenticated SMTP client can be a content filter's re-injection: a
    // remote server's reply text must not fold a local user's message into another sender.
    if (child.kind === 'uid' || child.kind === 'sasl') return false;
    if (child.firstTs + MINUTE < submittedAt(parent) || rootOf(parent) === child) return false;
    child.parent = parent;
    reinjections++;
    return true;
  }

  function create(qid: string, ts: number): FlowMessage {
    const m = createFlowMessage(qid, ts);
    open.set(qid, m);
    if (open.size > maxOpen) evictOldest();
    return m;
  }

  /** Tallies the oldest tenth of the open messages in one pass (a Map iterates in insertion order). */
  function evictOldest(): void {
    let n = Math.max(1, Math.floor(maxOpen / 10));
    for (const m of open.values()) {
      if (n-- === 0) break;
      open.delete(m.qid);
      evicted++;
      finalize(m);
    }
  }

  function close(m: FlowMessage): void {
    open.delete(m.qid);
    m.closed = true;
    if (m.pendingHandoffs === 0) finalize(m);
  }

  /** A message first seen without an origin line may be the copy behind an earlier unknown `queued as`. */
  function adoptCopy(m: FlowMessage): void {
    const h = handoffs.take(m.qid, m.firstTs);
    if (!h) return;
    // Those lines were counted as deliveries; they were handoffs to a content filter.
    if (link(m, h.parent) && !h.parent.finalized) {
      h.parent.sent -= h.lines;
      h.parent.finals -= h.lines;
    }
    handoffs.forget(h.parent);
  }

  function touch(e: MaillogEvent): FlowMessage {
    const known = open.get(e.qid);
    if (known) return known;
    const m = create(e.qid, e.ts);
    adoptCopy(m);
    return m;
  }

  /** A pickup or smtpd client line: the start of a message life. */
  function origin(e: MaillogEvent): FlowMessage {
    let m = open.get(e.qid);
    // A second origin line for an open ID: its `removed` line is missing; a new life begins.
    if (m && m.kind !== null) {
      close(m);
      m = undefined;
    }
    m ??= create(e.qid, e.ts);
    m.originTs = e.ts;
    return m;
  }

  function delivered(m: FlowMessage, e: MaillogEvent): void {
    if (e.status === 'deferred') m.deferred++;
    else if (e.status === 'bounced' || e.status === 'expired') {
      m.bounced++;
      m.finals++;
    } else if (e.status === 'sent') {
      const q = e.queuedAs;
      const copy = q ? open.get(q) : undefined;
      // Handed to a content filter that queued it again as `q`: not a delivery.
      // (An unknown `q` is another server's ID: a real delivery.)
      if (copy && (copy.parent === m || link(copy, m))) return;
      m.sent++;
      m.finals++;
      if (q && !copy) handoffs.remember(q, m, e.ts);
    }
  }

  function add(e: MaillogEvent): void {
    if (done) throw new Error('mail flow already finished');
    if (until !== undefined && e.ts > until) return;
    const inWindow = since === undefined || e.ts >= since;
    if (inWindow) {
      if (firstTs === null || e.ts < firstTs) firstTs = e.ts;
      if (lastTs === null || e.ts > lastTs) lastTs = e.ts;
    }
    switch (e.kind) {
      case 'pickup': {
        const m = origin(e);
        m.kind = 'uid';
        m.uid = e.uid;
        m.from ??= e.from;
        return;
      }
      case 'client': {
        const m = origin(e);
        m.kind = e.sasl ? 'sasl' : 'client';
        m.id = e.sasl || e.clientIp;
        m.clientIp = e.clientIp;
        const orig = e.origQid ? open.get(e.origQid) : undefined;
        if (orig) link(m, orig);
        return;
      }
      case 'queued': {
        const m = touch(e);
        if (!m.queued) {
          m.queued = true;
          m.nrcpt = e.nrcpt;
          m.from = e.from;
        }
        return;
      }
      case 'expired':
        touch(e).bounced++;
        return;
      case 'delivery':
        delivered(touch(e), e);
        return;
      case 'removed': {
        const m = open.get(e.qid);
        if (m) close(m);
        return;
      }
      case 'reject': {
        if (e.limit && inWindow) limits.rejectLine(e.ts, e.from);
        if (e.qid === '') return;       // NOQUEUE: refused before a message existed; nobody to charge
        const m = touch(e);
        if (e.commandLevel) m.commandRejects++;
        else m.rejected = true;
        if (e.limit) m.limit = true;
        return;
      }
      case 'header':
        if (e.name.toLowerCase() === 'x-php-originating-script') touch(e).script = e.value;
        return;
      case 'handler':
        if (e.value === 'REJECT' && e.name === 'limit-out' && inWindow) limits.handlerLine(e.ts);
        return;
    }
  }

  function finish(counts: LineCounts = { lines: 0, unparsed: 0, unparsedExamples: [] }): MailFlow {
    done = true;
    handoffs.clear();
    for (const m of open.values()) finalize(m);
    open.clear();
    const { messages, minuteByUid, totals, unattributed, droppedSenders } = tally;
    return {
      ...counts, messages, senders: sendersOf(tally), minuteByUid, totals, unattributed, droppedSenders,
      firstTs, lastTs, limitRejects: limits.result(), reinjections, evicted,
    };
  }

  return { add, finish };
}
