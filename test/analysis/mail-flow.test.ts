import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMailFlow, type MailFlow, type MailFlowOptions, type SenderStats } from '../../service/analysis/mail-flow.ts';
import { LINE, MaillogLineParser, createMaillogEvent } from '../../service/sources/maillog-line.ts';

// Log lines are the readable way to write events; the parser turns them into
// the events the accumulator gets (one reused object, as in production).
function flowOf(lines: string[], options: MailFlowOptions = {}): MailFlow {
  const parser = new MaillogLineParser('UTC');
  parser.startFile(Date.UTC(2022, 11, 31));
  const flow = createMailFlow(options);
  const ev = createMaillogEvent();
  for (const line of lines) {
    const b = Buffer.from(line);
    const r = parser.parse(b, 0, b.length, ev);
    assert.notEqual(r, LINE.unparsed, line);
    if (r === LINE.event) flow.add(ev);
  }
  return flow.finish();
}

function sender(flow: MailFlow, key: string): SenderStats {
  const s = flow.senders.get(key);
  assert.ok(s, `sender ${key} in ${[...flow.senders.keys()].join(', ')}`);
  return s;
}

const counts = (s: SenderStats) => ({ messages: s.messages, recipients: s.recipients, sent: s.sent, deferred: s.deferred, bounced: s.bounced, rejected: s.rejected, limitRejected: s.limitRejected });

/** A script message: pickup, qmgr, one delivery per status, removed. */
function scriptMessage(qid: string, uid: number, time: string, statuses: string[] = ['sent'], extra: string[] = []): string[] {
  return [
    `Feb  3 ${time} h postfix/pickup[1]: ${qid}: uid=${uid} from=<www@site${uid}.jp>`,
    ...extra,
    `Feb  3 ${time} h postfix/qmgr[2]: ${qid}: from=<www@site${uid}.jp>, size=900, nrcpt=${statuses.length} (queue active)`,
    ...statuses.map((st, i) => `Feb  3 ${time} h postfix/smtp[3]: ${qid}: to=<r${i}@example.com>, relay=mx[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=${st} (ok)`),
    `Feb  3 ${time} h postfix/qmgr[2]: ${qid}: removed`,
  ];
}

describe('mail flow', () => {
  it('counts a script message for its UID with its recipients and outcomes', () => {
    const f = flowOf(scriptMessage('1A2B3C4D5E', 10001, '22:15:01', ['sent', 'bounced', 'deferred', 'sent']));
    assert.equal(f.messages, 1);
    assert.deepEqual(counts(sender(f, 'uid:10001')), { messages: 1, recipients: 4, sent: 2, deferred: 1, bounced: 1, rejected: 0, limitRejected: 0 });
    const s = sender(f, 'uid:10001');
    assert.deepEqual([...s.fromAddresses], [['www@site10001.jp', 1]]);
    assert.equal(s.firstSeen, Date.UTC(2022, 1, 3, 22, 15, 1));
  });

  it('folds a content filter re-injection into the original message and its sender', () => {
    const f = flowOf([
      'Feb  3 10:40:57 m postfix/submission/smtpd[1]: 4AA091855DA0: client=c[1.2.3.4], sasl_method=PLAIN, sasl_username=user@sender.com',
      'Feb  3 10:40:57 m postfix/qmgr[2]: 4AA091855DA0: from=<user@sender.com>, size=391, nrcpt=1 (queue active)',
      'Feb  3 10:40:57 m postfix/smtpd[3]: 776E41855DB2: client=localhost[127.0.0.1]',
      'Feb  3 10:40:57 m postfix/qmgr[2]: 776E41855DB2: from=<user@sender.com>, size=1111, nrcpt=1 (queue active)',
      'Feb  3 10:40:57 m postfix/smtp[4]: 4AA091855DA0: to=<x@example.com>, relay=127.0.0.1[127.0.0.1]:10024, delay=0.2, delays=0/0/0/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 776E41855DB2)',
      'Feb  3 10:40:57 m postfix/qmgr[2]: 4AA091855DA0: removed',
      'Feb  3 10:40:59 m postfix/smtp[5]: 776E41855DB2: to=<x@example.com>, relay=mx[11.22.33.44]:25, delay=1.9, delays=0/0/1.5/0.4, dsn=5.1.1, status=bounced (User unknown)',
      'Feb  3 10:40:59 m postfix/qmgr[2]: 776E41855DB2: removed',
    ]);
    assert.equal(f.messages, 1);
    assert.equal(f.reinjections, 1);
    assert.deepEqual([...f.senders.keys()], ['sasl:user@sender.com']);
    assert.deepEqual(counts(sender(f, 'sasl:user@sender.com')), { messages: 1, recipients: 1, sent: 0, deferred: 0, bounced: 1, rejected: 0, limitRejected: 0 });
  });

  it('links a copy named by orig_queue_id (amavis with XFORWARD)', () => {
    const f = flowOf([
      'Oct 13 16:40:40 u postfix/smtpd[1]: 4F5C64474F: client=unknown[28.55.140.112]',
      'Oct 13 16:40:40 u postfix/qmgr[2]: 4F5C64474F: from=<>, size=1315, nrcpt=1 (queue active)',
      'Oct 13 16:40:42 u postfix/smtpd[3]: ED01244770: client=localhost[127.0.0.1], orig_queue_id=4F5C64474F, orig_client=unknown[28.55.140.112]',
      'Oct 13 16:40:43 u postfix/lmtp[4]: ED01244770: to=<a@b.com>, relay=127.0.0.1[127.0.0.1]:2003, delay=0.4, delays=0/0/0/0.3, dsn=2.1.5, status=sent (250 Ok)',
    ]);
    assert.equal(f.messages, 1);
    assert.deepEqual(counts(sender(f, 'client:28.55.140.112')), { messages: 1, recipients: 1, sent: 1, deferred: 0, bounced: 0, rejected: 0, limitRejected: 0 });
  });

  it('counts a reused queue ID as a new message after `removed`', () => {
    const f = flowOf([...scriptMessage('BABABABABA', 10001, '10:00:00'), ...scriptMessage('BABABABABA', 10002, '10:05:00', ['deferred'])]);
    assert.equal(f.messages, 2);
    assert.equal(sender(f, 'uid:10001').sent, 1);
    assert.equal(sender(f, 'uid:10002').deferred, 1);
    assert.equal(sender(f, 'uid:10002').sent, 0);
  });

  it('starts a new message when an open queue ID gets a second origin line (its `removed` was lost)', () => {
    const first = scriptMessage('CACACACACA', 10001, '10:00:00').slice(0, -1);     // no removed line
    const f = flowOf([...first, ...scriptMessage('CACACACACA', 10001, '11:00:00')]);
    assert.equal(sender(f, 'uid:10001').messages, 2);
    assert.equal(sender(f, 'uid:10001').hourly.size, 2);
  });

  it('refuses to fold a SASL or UID message into another sender because of a remote server\'s `queued as`', () => {
    const f = flowOf([
      'Feb  3 10:00:00 m postfix/smtpd[1]: AAAAAAAAAA: client=c[1.2.3.4], sasl_method=PLAIN, sasl_username=victim@x.jp',
      'Feb  3 10:00:00 m postfix/qmgr[2]: AAAAAAAAAA: from=<victim@x.jp>, size=1, nrcpt=1 (queue active)',
      ...scriptMessage('BBBBBBBBBB', 10001, '10:00:01').slice(0, 2),
      'Feb  3 10:00:02 m postfix/smtp[4]: BBBBBBBBBB: to=<x@evil.example>, relay=mx.evil[192.0.2.66]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok: queued as AAAAAAAAAA)',
    ]);
    assert.equal(f.reinjections, 0);
    assert.equal(sender(f, 'sasl:victim@x.jp').messages, 1);
    assert.equal(sender(f, 'uid:10001').sent, 1);
  });

  it('charges an OMC limit refusal to the sender and counts it with the handler lines per hour', () => {
    const limit = '5.7.0 Your message could not be sent. The limit on the number of allowed outgoing messages was exceeded. Try again later.';
    const lines: string[] = [];
    for (let i = 0; i < 3; i++) {
      const qid = `AE16288F8${i}`;
      lines.push(
        `Feb  3 22:1${i}:01 host postfix/smtpd[7015]: ${qid}: client=localhost[::1], sasl_method=LOGIN, sasl_username=info@example.jp`,
        `Feb  3 22:1${i}:01 host /usr/lib64/plesk-9.0/psa-pc-remote[5977]: REJECT during call 'limit-out' handler`,
        `Feb  3 22:1${i}:01 host postfix/cleanup[7018]: ${qid}: milter-reject: END-OF-MESSAGE from localhost[::1]: ${limit}; from=<info@example.jp> to=<a@b.c> proto=ESMTP helo=<w>`,
      );
    }
    lines.push(`Feb  3 23:00:00 host /usr/lib64/plesk-9.0/psa-pc-remote[5977]: REJECT during call 'limit-out' handler`);
    lines.push(`Feb  3 23:00:00 host postfix/smtpd[7015]: NOQUEUE: milter-reject: RCPT from localhost[::1]: 554 ${limit}; from=<other@example.jp> to=<a@b.c> proto=ESMTP helo=<w>`);
    lines.push(`Feb  3 23:00:01 host /usr/lib64/plesk-9.0/psa-pc-remote[5977]: REJECT during call 'limit-out' handler`);
    lines.push(`Feb  3 23:00:01 host /usr/lib64/plesk-9.0/psa-pc-remote[5977]: REJECT during call 'spf' handler`);
    const f = flowOf(lines);
    const s = sender(f, 'sasl:info@example.jp');
    assert.deepEqual(counts(s), { messages: 3, recipients: 0, sent: 0, deferred: 0, bounced: 0, rejected: 3, limitRejected: 3 });
    assert.deepEqual([...s.limitRejectedHourly], [[Date.UTC(2022, 1, 3, 22), 3]]);
    assert.deepEqual([...s.hourly], [[Date.UTC(2022, 1, 3, 22), 3]]);
    assert.equal(f.limitRejects.total, 4);
    assert.equal(f.limitRejects.handlerRejects, 5);
    assert.deepEqual([...f.limitRejects.hourly], [[Date.UTC(2022, 1, 3, 22), 3], [Date.UTC(2022, 1, 3, 23), 2]]);
    assert.deepEqual([...f.limitRejects.byFrom], [['info@example.jp', 3], ['other@example.jp', 1]]);
    assert.equal(f.limitRejects.first, Date.UTC(2022, 1, 3, 22, 10, 1));
    assert.equal(f.totals.limitRejected, 3);
  });

  it('counts a message refused only if it never got queued after a recipient was rejected', () => {
    const rcptReject = (qid: string) => `Feb  3 10:00:00 m postfix/smtpd[1]: ${qid}: reject: RCPT from c[1.2.3.4]: 550 5.1.1 <n@x>: Recipient address rejected; from=<a@b> to=<n@x> proto=ESMTP helo=<x>`;
    const f = flowOf([
      'Feb  3 10:00:00 m postfix/smtpd[1]: 1111111111: client=c[1.2.3.4]', rcptReject('1111111111'),
      'Feb  3 10:00:00 m postfix/smtpd[1]: 2222222222: client=c[1.2.3.4]', rcptReject('2222222222'),
      'Feb  3 10:00:01 m postfix/qmgr[2]: 2222222222: from=<a@b>, size=1, nrcpt=1 (queue active)',
      'Feb  3 10:00:02 m postfix/smtp[3]: 2222222222: to=<ok@x>, relay=r[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (ok)',
    ]);
    assert.deepEqual(counts(sender(f, 'client:1.2.3.4')), { messages: 2, recipients: 1, sent: 1, deferred: 0, bounced: 0, rejected: 1, limitRejected: 0 });
  });

  it('counts X-PHP-Originating-Script headers per sender', () => {
    const hdr = (qid: string, v: string) => `Feb  3 22:15:01 h postfix/cleanup[9]: ${qid}: warning: header X-PHP-Originating-Script: ${v} from local; from=<a@b> to=<c@d>`;
    const f = flowOf([
      ...scriptMessage('1000000001', 10001, '22:15:01', ['sent'], [hdr('1000000001', '10001:mail.php')]),
      ...scriptMessage('1000000002', 10001, '22:15:02', ['sent'], [hdr('1000000002', '10001:mail.php')]),
      ...scriptMessage('1000000003', 10001, '22:15:03', ['sent'], [hdr('1000000003', '10001:form.php')]),
    ]);
    assert.deepEqual([...sender(f, 'uid:10001').scripts], [['10001:mail.php', 2], ['10001:form.php', 1]]);
  });

  it('cuts by since/until and buckets hours and minutes', () => {
    const lines = [
      ...scriptMessage('1000000001', 10001, '09:59:59'),
      ...scriptMessage('1000000002', 10001, '10:00:00'),
      ...scriptMessage('1000000003', 10001, '10:00:30'),
      ...scriptMessage('1000000004', 10001, '10:01:10'),
      ...scriptMessage('1000000005', 10001, '11:30:00'),
      ...scriptMessage('1000000006', 10001, '12:00:01'),
    ];
    const at = (h: number, m = 0) => Date.UTC(2022, 1, 3, h, m);
    const f = flowOf(lines, { since: at(10), until: at(12), minuteWindow: { from: at(10), to: at(11) } });
    const s = sender(f, 'uid:10001');
    assert.equal(s.messages, 4);
    assert.deepEqual([...s.hourly], [[at(10), 3], [at(11), 1]]);
    assert.deepEqual(s.peakHour, { start: at(10), messages: 3 });
    assert.deepEqual([...f.minuteByUid.get(10001)!], [[at(10, 0), 2], [at(10, 1), 1]]);
    assert.equal(f.firstTs, at(10));
    assert.equal(f.lastTs, Date.UTC(2022, 1, 3, 11, 30));
  });

  it('stays bounded: with few open slots, never-removed messages are counted early, none lost', () => {
    const lines: string[] = [];
    for (let i = 0; i < 500; i++) lines.push(...scriptMessage(`${(0x1000000 + i).toString(16).toUpperCase()}`, 10001 + (i % 3), '10:00:00').slice(0, -1));
    const f = flowOf(lines, { maxOpen: 50 });
    assert.ok(f.evicted > 400, `evicted ${f.evicted}`);
    assert.equal(f.messages, 500);
    assert.equal([...f.senders.values()].reduce((a, s) => a + s.messages, 0), 500);
    assert.equal(f.totals.sent, 500);
  });

  it('keeps the most frequent envelope senders when a sender uses endless random ones', () => {
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) {
      const qid = (0x2000000 + i).toString(16).toUpperCase();
      const from = i % 3 === 0 ? 'steady@example.jp' : `rnd${i}@spam.example`;
      lines.push(`Feb  3 10:00:00 h postfix/pickup[1]: ${qid}: uid=10001 from=<${from}>`, `Feb  3 10:00:00 h postfix/qmgr[2]: ${qid}: from=<${from}>, size=1, nrcpt=1 (queue active)`, `Feb  3 10:00:00 h postfix/qmgr[2]: ${qid}: removed`);
    }
    const s = sender(flowOf(lines), 'uid:10001');
    assert.ok(s.fromAddresses.size <= 20);
    assert.equal([...s.fromAddresses.keys()][0], 'steady@example.jp');
    assert.ok(s.fromAddresses.get('steady@example.jp')! >= 100);
  });
});
