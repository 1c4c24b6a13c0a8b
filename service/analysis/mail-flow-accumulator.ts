// The streaming accumulator: maillog events in (one at a time, in log order),
// a MailFlow out at finish(). Memory stays bounded on a log of any size: a
// message is tallied and dropped soon after `removed`, at most `maxOpen`
// messages are open at once (the oldest are tallied early and counted in
// `evicted`), and every per-sender map is capped.
import type { MaillogEventFields } from '../sources/maillog-event.ts';
import { NO_QUEUE, type QueueKey } from '../sources/queue-key.ts';
import { TextCache } from '../sources/text-cache.ts';
import { isText, LIMIT_OUT, REJECT, SCRIPT_HEADER, sameText } from './event-text.ts';
import { MINUTE } from '../time.ts';
import { LimitRejectCounter } from './limit-reject-counter.ts';
import { OpenMessages } from './open-messages.ts';
import type { MailFlow, MailFlowOptions } from './mail-flow.ts';
import { createFlowMessage, rootOf, submittedAt, type FlowMessage } from './mail-flow-message.ts';
import { createTally, sendersOf, tallyMessage } from './mail-flow-tally.ts';
import { RecentHandoffs } from './recent-handoffs.ts';

export type LineCounts = { lines: number; unparsed: number; unparsedExamples: string[] };
export type MailFlowAccumulator = { add(event: MaillogEventFields): void; finish(counts?: LineCounts): MailFlow };

export function createMailFlow(options: MailFlowOptions = {}): MailFlowAccumulator {
  const maxOpen = options.maxOpen ?? 200_000;
  const { since, until } = options;
  // A message is tallied as soon as it is removed: a content filter's reply
  // (`queued as` its copy) is logged the moment the copy is queued, long before
  // the copy can be delivered and removed, so no removed message is needed later.
  const open = new OpenMessages<FlowMessage>();
  const text = new TextCache();
  const handoffs = new RecentHandoffs(64, 10 * MINUTE, (m) => {
    if (m.closed && m.pendingHandoffs === 0) finalize(m);
  });
  const tally = createTally();
  const limits = new LimitRejectCounter();
  // An object's number fields are updated in place; a closure's `let` would box a new number per event.
  const span = { first: Infinity, last: -Infinity };
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

  function create(qkey: QueueKey, ts: number): FlowMessage {
    const m = createFlowMessage(qkey, ts);
    open.add(m);
    if (open.size > maxOpen) evictOldest();
    return m;
  }

  /** Tallies the oldest tenth of the open messages in one pass. */
  function evictOldest(): void {
    for (const m of open.oldest(Math.max(1, Math.floor(maxOpen / 10)))) {
      open.delete(m.qkey);
      evicted++;
      finalize(m);
    }
  }

  function close(m: FlowMessage): void {
    open.delete(m.qkey);
    m.closed = true;
    if (m.pendingHandoffs === 0) finalize(m);
  }

  /** A message first seen without an origin line may be the copy behind an earlier unknown `queued as`. */
  function adoptCopy(m: FlowMessage): void {
    const h = handoffs.take(m.qkey, m.firstTs);
    if (!h) return;
    // Those lines were counted as deliveries; they were handoffs to a content filter.
    if (link(m, h.parent) && !h.parent.finalized) {
      h.parent.sent -= h.lines;
      h.parent.finals -= h.lines;
    }
    handoffs.forget(h.parent);
  }

  function touch(e: MaillogEventFields): FlowMessage {
    const known = open.get(e.qkey);
    if (known) return known;
    const m = create(e.qkey, e.ts);
    adoptCopy(m);
    return m;
  }

  /** A pickup or smtpd client line: the start of a message life. */
  function origin(e: MaillogEventFields): FlowMessage {
    let m = open.get(e.qkey);
    // A second origin line for an open ID: its `removed` line is missing; a new life begins.
    if (m && m.kind !== null) {
      close(m);
      m = undefined;
    }
    m ??= create(e.qkey, e.ts);
    m.originTs = e.ts;
    return m;
  }

  function delivered(m: FlowMessage, e: MaillogEventFields): void {
    if (e.status === 'deferred') m.deferred++;
    else if (e.status === 'bounced' || e.status === 'expired') {
      m.bounced++;
      m.finals++;
    } else if (e.status === 'sent') {
      const q = e.queuedAsKey;
      const copy = q !== NO_QUEUE ? open.get(q) : undefined;
      // Handed to a content filter that queued it again as `q`: not a delivery.
      // (An unknown `q` is another server's ID: a real delivery.)
      if (copy && (copy.parent === m || link(copy, m))) return;
      m.sent++;
      m.finals++;
      if (q !== NO_QUEUE && !copy) handoffs.remember(q, m, e.ts);
    }
  }

  function add(e: MaillogEventFields): void {
    if (done) throw new Error('mail flow already finished');
    if (until !== undefined && e.ts > until) return;
    const inWindow = since === undefined || e.ts >= since;
    if (inWindow) {
      if (e.ts < span.first) span.first = e.ts;
      if (e.ts > span.last) span.last = e.ts;
    }
    switch (e.kind) {
      case 'pickup': {
        const m = origin(e);
        m.kind = 'uid';
        m.uid = e.uid;
        m.from ??= e.fromText ?? text.utf8(e.buf, e.fromS, e.fromE);
        return;
      }
      case 'client': {
        const m = origin(e);
        const ip = e.ipText ?? text.latin1(e.buf, e.ipS, e.ipE);
        const sasl = e.saslE > e.saslS;
        m.kind = sasl ? 'sasl' : 'client';
        m.id = sasl ? (e.saslText ?? text.utf8(e.buf, e.saslS, e.saslE)) : ip;
        m.clientIp = ip;
        const orig = e.origKey !== NO_QUEUE ? open.get(e.origKey) : undefined;
        if (orig) link(m, orig);
        return;
      }
      case 'queued': {
        const m = touch(e);
        if (!m.queued) {
          m.queued = true;
          m.nrcpt = e.nrcpt;
          // Usually the pickup's address again: kept without decoding it twice.
          if (e.fromText !== null) m.from = e.fromText;
          else if (m.from === null || !sameText(m.from, e.buf, e.fromS, e.fromE)) m.from = text.utf8(e.buf, e.fromS, e.fromE);
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
        const m = open.get(e.qkey);
        if (m) close(m);
        return;
      }
      case 'reject': {
        if (e.limit && inWindow) limits.rejectLine(e.ts, e.fromText ?? text.utf8(e.buf, e.fromS, e.fromE));
        if (e.qkey === NO_QUEUE) return;       // NOQUEUE: refused before a message existed; nobody to charge
        const m = touch(e);
        if (e.commandLevel) m.commandRejects++;
        else m.rejected = true;
        if (e.limit) m.limit = true;
        return;
      }
      case 'header':
        if (isText(e.buf, e.nameS, e.nameE, SCRIPT_HEADER, true)) {
          touch(e).script = (e.valueText ?? text.utf8(e.buf, e.valueS, e.valueE)).slice(0, 300);
        }
        return;
      case 'handler':
        if (inWindow && isText(e.buf, e.valueS, e.valueE, REJECT, false) && isText(e.buf, e.nameS, e.nameE, LIMIT_OUT, false)) limits.handlerLine(e.ts);
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
      firstTs: span.first === Infinity ? null : span.first, lastTs: span.last === -Infinity ? null : span.last, limitRejects: limits.result(), reinjections, evicted,
    };
  }

  return { add, finish };
}
