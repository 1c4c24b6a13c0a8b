import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LINE, MaillogLineParser, createMaillogEvent, type MaillogEvent } from '../../service/sources/maillog-line.ts';

const REF = Date.UTC(2022, 1, 10);     // files "written" on 2022-02-10

/** Parses lines in order as one file; returns [result, copy of the event] per line. */
function parseAll(lines: string[], opts: { zone?: string; ref?: number } = {}): Array<{ r: number; e: MaillogEvent }> {
  const p = new MaillogLineParser(opts.zone ?? 'UTC');
  p.startFile(opts.ref ?? REF);
  const ev = createMaillogEvent();
  return lines.map((line) => {
    const buf = Buffer.from(`xx${line}yy`, 'latin1');   // parse a range inside a bigger buffer, as the reader does
    const r = p.parse(buf, 2, buf.length - 2, ev);
    return { r, e: { ...ev } };
  });
}

function one(line: string, opts: { zone?: string; ref?: number } = {}): { r: number; e: MaillogEvent } {
  return parseAll([line], opts)[0]!;
}

function event(line: string, opts: { zone?: string; ref?: number } = {}): MaillogEvent {
  const { r, e } = one(line, opts);
  assert.equal(r, LINE.event, `an event from: ${line}`);
  return e;
}

describe('maillog line: Postfix messages', () => {
  it('reads a pickup line (local submission by a Unix user)', () => {
    const e = event('Apr 11 09:22:01 mail postfix/pickup[11234]: 4A3B2C1D0E: uid=10001 from=<noreply@example.jp>');
    assert.equal(e.kind, 'pickup');
    assert.equal(e.qid, '4A3B2C1D0E');
    assert.equal(e.uid, 10001);
    assert.equal(e.from, 'noreply@example.jp');
  });

  it('reads an smtpd client line with and without SASL, from any syslog_name', () => {
    const a = event('Jun  3 10:40:57 mail postfix/submission/smtpd[9708]: 4AA091855DA0: client=some.domain.name[1.2.3.4], sasl_method=PLAIN, sasl_username=user@sender.com');
    assert.deepEqual([a.kind, a.qid, a.clientIp, a.sasl], ['client', '4AA091855DA0', '1.2.3.4', 'user@sender.com']);
    const b = event('Feb  8 21:28:47 mx postfix-out/smtpd[1036]: DE81A2E2DAA: client=unknown[2a02:168:636a::15e2]');
    assert.deepEqual([b.clientIp, b.sasl, b.origQid], ['2a02:168:636a::15e2', '', '']);
    const c = event('Oct 13 16:40:42 ucs postfix/smtpd[18581]: ED01244770: client=localhost[127.0.0.1], orig_queue_id=4F5C64474F, orig_client=unknown[28.55.140.112]');
    assert.equal(c.origQid, '4F5C64474F');
  });

  it('reads qmgr lines: queued (size, nrcpt) and expired', () => {
    const q = event('Jan 20 19:48:05 teupos postfix/qmgr[1937864]: B9996EABB6: from=<sender@internal.org>, size=2239, nrcpt=2 (queue active)');
    assert.deepEqual([q.kind, q.from, q.size, q.nrcpt], ['queued', 'sender@internal.org', 2239, 2]);
    assert.equal(event('Jun  3 10:40:59 mail postfix/qmgr[1005]: A48191855DA0: from=<>, size=3147, nrcpt=1 (queue active)').from, '');
    const x = event('Sep 30 20:46:08 node postfix-239.58.50.50/qmgr[31214]: 23EBE3D5C0: from=<a@b.com>, status=expired, returned to sender');
    assert.deepEqual([x.kind, x.from], ['expired', 'a@b.com']);
  });

  it('reads delivery lines of every agent, and a content filter\'s `queued as`', () => {
    const sent = event('Jun  3 10:40:57 mail postfix/smtp[9710]: 4AA091855DA0: to=<x@example.com>, relay=127.0.0.1[127.0.0.1]:10024, delay=0.23, delays=0.15/0/0/0.08, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 776E41855DB2)');
    assert.deepEqual([sent.kind, sent.status, sent.queuedAs], ['delivery', 'sent', '776E41855DB2']);
    const agents: Array<[string, string]> = [
      ['postfix/lmtp[1]', 'sent'], ['postfix/local[1]', 'sent'], ['postfix/virtual[1]', 'sent'], ['postfix/pipe[1]', 'sent'],
      ['postfix/error[1]', 'bounced'], ['postfix/discard[1]', 'sent'], ['postfix-out/smtp[1]', 'deferred'], ['postfix/relay/smtp[1]', 'bounced'],
    ];
    for (const [prog, status] of agents) {
      const e = event(`Jan 10 16:15:30 mail ${prog}: 0B73130001FB: to=<r@example.com>, relay=x, delay=0.1, delays=0/0/0/0, dsn=2.0.0, status=${status} (whatever)`);
      assert.equal(e.status, status, prog);
      assert.equal(e.queuedAs, '');
    }
  });

  it('reads removed (qmgr and postsuper)', () => {
    assert.equal(event('Jun  3 10:40:57 mail postfix/qmgr[1005]: 4AA091855DA0: removed').kind, 'removed');
    assert.equal(event('Jun  3 10:40:57 mail postfix/postsuper[77]: 4AA091855DA0: removed').kind, 'removed');
  });

  it('reads refusals: OMC\'s limit milter-reject, a RCPT reject, NOQUEUE rejects', () => {
    // Verbatim from Plesk's KB [V] (reference/plesk.md §1.7).
    const omc = event("Feb  3 22:15:01 host postfix/cleanup[7018]: AE16288F80: milter-reject: END-OF-MESSAGE from localhost[::1]: 5.7.0 Your message could not be sent. The limit on the number of allowed outgoing messages was exceeded. Try again later.; from=<user@test.tld> to=<> proto=ESMTP helo=<webmail.test.tld>");
    assert.deepEqual([omc.kind, omc.qid, omc.milter, omc.limit, omc.commandLevel, omc.from], ['reject', 'AE16288F80', true, true, false, 'user@test.tld']);
    const rcpt = event('Feb  8 21:28:47 mx postfix/smtps/smtpd[1036]: DE81A2E2DAA: reject: RCPT from unknown[2a02:168:636a::15e2]: 550 5.1.1 <a@b.com>: Recipient address rejected: User unknown; from=<h@x.com> to=<a@b.com> proto=ESMTP helo=<x>');
    assert.deepEqual([rcpt.milter, rcpt.limit, rcpt.commandLevel, rcpt.from], [false, false, true, 'h@x.com']);
    const nq = event('Feb  3 22:15:01 host postfix/smtpd[7015]: NOQUEUE: milter-reject: RCPT from localhost[::1]: 554 5.7.0 Your message could not be sent. The limit on the number of allowed outgoing messages was exceeded. Try again later.; from=<u@t.tld> to=<r@x.tld> proto=ESMTP helo=<w>');
    assert.deepEqual([nq.kind, nq.qid, nq.limit], ['reject', '', true]);
    assert.equal(one('Dec 19 19:42:14 sm02 postfix/submission/smtpd[21379]: NOQUEUE: filter: RCPT from unknown[30.207.11.100]: <>: Sender address triggers FILTER smtp-amavis:[127.0.0.1]:10026').r, LINE.info);
  });

  it('reads header_checks WARN/INFO lines for X-PHP-Originating-Script', () => {
    const w = event('Feb  3 22:15:01 host postfix/cleanup[2345]: 5E3A1B2C3D: warning: header X-PHP-Originating-Script: 10001:mail.php from local; from=<www@example.jp> to=<v@example.com>');
    assert.deepEqual([w.kind, w.qid, w.name, w.value], ['header', '5E3A1B2C3D', 'X-PHP-Originating-Script', '10001:mail.php']);
    const i = event('Feb  3 22:15:01 host postfix/cleanup[2345]: 5E3A1B2C3D: info: header X-PHP-Originating-Script: 33:contact form.php from localhost[127.0.0.1]; from=<a@b> to=<c@d> proto=ESMTP helo=<x>');
    assert.equal(i.value, '33:contact form.php');
  });

  it('treats other Postfix chatter as informational, not as unparsed', () => {
    for (const msg of [
      'connect from unknown[1.2.3.4]', 'disconnect from unknown[1.2.3.4] ehlo=1 quit=1 commands=2',
      'Anonymous TLS connection established from x[1.2.3.4]: TLSv1.2', 'statistics: max cache size 1 at Jan 28 16:54:26',
      'warning: hostname x does not resolve to address 1.2.3.4', 'B37FD2E05B9: message-id=<a@b>',
      '776E41855DB2: sender non-delivery notification: A48191855DA0', 'daemon started -- version 3.4.14, configuration /etc/postfix',
    ]) {
      assert.equal(one(`Jan 28 06:33:59 mail postfix/smtpd[1]: ${msg}`).r, LINE.info, msg);
    }
  });

  it('counts a Postfix line with a known keyword but broken fields as unparsed', () => {
    for (const msg of [
      '9F2A3B4C5D: to=<x@y>, rela', '9F2A3B4C5D: uid=abc from=<x>', '9F2A3B4C5D: from=<x@y> size=12', '9F2A3B4C5D: client=nobrackets',
      '9F2A3B4C5D: from=<x@y>, status=unknown', '',
    ]) {
      assert.equal(one(`Jan 28 06:33:59 mail postfix/qmgr[1]: ${msg}`).r, LINE.unparsed, msg);
    }
  });

  it('counts lines without a readable syslog header as unparsed: garbage, NUL bytes, a broken continuation', () => {
    for (const line of ['total garbage', '\0\0\0\0Feb  3 22:15:01 host postfix/pickup[1]: 4A3B2C1D0E: uid=1 from=<a>', 'ir/)',
      'Feb 31 22:15:01 host postfix/pickup[1]: x', 'Foo  3 22:15:01 host postfix/pickup[1]: x', 'Feb  3 25:15:01 host postfix/pickup[1]: x',
      '\xff\xfe\xfd invalid utf-8 \xc3']) {
      assert.equal(one(line).r, LINE.unparsed, JSON.stringify(line));
    }
  });

  it('leaves other programs alone: counted lines, neither events nor unparsed', () => {
    for (const line of [
      'Jun  3 10:40:57 mail amavis[2279]: (02279-04) Passed CLEAN, Queue-ID: 4AA091855DA0, queued_as: 776E41855DB2',
      'Jan 27 06:36:56 mail dovecot: imap-login: Login: user=<h@x.com>, method=LOGIN',
      'Feb  1 13:17:02 mail opendmarc[893]: 08ACF1541B01: SPF(mailfrom): h@x.com pass',
      'Feb  1 13:17:02 mail last message repeated 3 times',
    ]) {
      assert.equal(one(line).r, LINE.other, line);
    }
    assert.equal(one('').r, LINE.other);
  });

  it('keeps invalid UTF-8 in an address readable instead of dropping the line', () => {
    const e = event('Jun  3 10:40:57 mail postfix/smtpd[1]: 4AA091855DA0: client=x[1.2.3.4], sasl_method=PLAIN, sasl_username=us\xffer@x.jp');
    assert.equal(e.sasl, 'us\ufffder@x.jp');
  });
});

describe('maillog line: Plesk', () => {
  it('reads psa-pc-remote handler verdicts; only refusals become events', () => {
    // Verbatim from Plesk's KB [V]; the path is /usr/lib64/plesk-9.0/ on 64-bit RPM systems.
    const r = event("Feb  3 22:15:01 host /usr/lib64/plesk-9.0/psa-pc-remote[5977]: REJECT during call 'limit-out' handler");
    assert.deepEqual([r.kind, r.value, r.name, r.qid], ['handler', 'REJECT', 'limit-out', '']);
    assert.equal(event("Feb  3 22:15:01 host /usr/lib/plesk-9.0/psa-pc-remote[13591]: DEFER during call 'grey' handler").value, 'DEFER');
    assert.equal(one("Mar 21 10:29:11 vps /usr/lib/plesk-9.0/psa-pc-remote[13591]: PASS during call 'limit-out' handler").r, LINE.info);
    assert.equal(one('Mar 21 10:29:11 vps /usr/lib/plesk-9.0/psa-pc-remote[13591]: handlers_stderr: SKIP').r, LINE.info);
    assert.equal(one("Mar 21 10:29:11 vps /usr/lib/plesk-9.0/psa-pc-remote[13591]: MAYBE during call 'limit-out' handler").r, LINE.unparsed);
  });

  it('reads plesk-sendmail: a limit refusal or a handler verdict', () => {
    const e = event('Feb  3 22:15:01 host plesk-sendmail[3207]: S3207: The limit on the number of allowed outgoing messages was exceeded. Try again later.');
    assert.deepEqual([e.kind, e.limit, e.qid], ['reject', true, '']);
    assert.equal(event("Feb  3 22:15:01 host plesk-sendmail[3207]: REJECT during call 'limit-out' handler").name, 'limit-out');
    assert.equal(one('Feb  3 22:15:01 host plesk-sendmail[3207]: S3207: Unable to prepare arguments for mail handlers.').r, LINE.info);
  });
});

describe('maillog line: time', () => {
  it('reads classic timestamps in the configured zone', () => {
    const e = event('Feb  3 22:15:01 host postfix/qmgr[1]: 4A3B2C1D0E: removed', { zone: 'Asia/Tokyo' });
    assert.equal(new Date(e.ts).toISOString(), '2022-02-03T13:15:01.000Z');
    const z = event('Feb 03 22:15:01 host postfix/qmgr[1]: 4A3B2C1D0E: removed', { zone: 'UTC' });
    assert.equal(new Date(z.ts).toISOString(), '2022-02-03T22:15:01.000Z');
  });

  it('reads RFC 3339 timestamps with fraction and offset, or Z', () => {
    const a = event('2022-02-03T22:15:01.123456+09:00 host postfix/qmgr[1]: 4A3B2C1D0E: removed');
    assert.equal(new Date(a.ts).toISOString(), '2022-02-03T13:15:01.123Z');
    const b = event('2022-01-08T19:42:13.583442+00:00 mail postfix/qmgr[659]: 1F5A2194AA9: removed', { zone: 'Asia/Tokyo' });
    assert.equal(new Date(b.ts).toISOString(), '2022-01-08T19:42:13.583Z');
    const c = event('2022-01-08T19:42:13Z mail postfix/qmgr[659]: 1F5A2194AA9: removed');
    assert.equal(new Date(c.ts).toISOString(), '2022-01-08T19:42:13.000Z');
    assert.equal(one('2022-01-08T19:42:13 mail postfix/qmgr[659]: 1F5A2194AA9: removed').r, LINE.unparsed);   // no zone
  });

  it('infers the year: a month after the reference month is last year', () => {
    const ref = Date.UTC(2023, 0, 5);      // file last written 2023-01-05
    const dec = event('Dec 31 23:59:59 host postfix/qmgr[1]: 4A3B2C1D0E: removed', { ref });
    assert.equal(new Date(dec.ts).toISOString(), '2022-12-31T23:59:59.000Z');
    const jan = event('Jan  4 08:00:00 host postfix/qmgr[1]: 4A3B2C1D0E: removed', { ref });
    assert.equal(new Date(jan.ts).toISOString(), '2023-01-04T08:00:00.000Z');
  });

  it('moves to the next year when the months wrap Dec → Jan while reading forward', () => {
    const lines = ['Nov 30 10:00:00', 'Dec 31 23:59:58', 'Dec 31 23:59:59', 'Jan  1 00:00:00', 'Dec 31 23:59:59', 'Jan  1 00:00:01', 'Feb  2 00:00:00']
      .map((t) => `${t} host postfix/qmgr[1]: 4A3B2C1D0E: removed`);
    const got = parseAll(lines, { ref: Date.UTC(2023, 1, 3) }).map((x) => new Date(x.e.ts).toISOString().slice(0, 19));
    assert.deepEqual(got, [
      '2022-11-30T10:00:00', '2022-12-31T23:59:58', '2022-12-31T23:59:59', '2023-01-01T00:00:00',
      '2022-12-31T23:59:59',          // a late line from the old year after the first January line
      '2023-01-01T00:00:01', '2023-02-02T00:00:00',
    ]);
  });

  it('starts over with each file: the reference of the next file decides its year', () => {
    const p = new MaillogLineParser('UTC');
    const ev = createMaillogEvent();
    const at = (line: string) => {
      const b = Buffer.from(line);
      assert.equal(p.parse(b, 0, b.length, ev), LINE.event);
      return new Date(ev.ts).toISOString().slice(0, 10);
    };
    p.startFile(Date.UTC(2021, 11, 31));
    assert.equal(at('Dec 30 10:00:00 h postfix/qmgr[1]: 4A3B2C1D0E: removed'), '2021-12-30');
    p.startFile(Date.UTC(2022, 0, 31));
    assert.equal(at('Jan 30 10:00:00 h postfix/qmgr[1]: 4A3B2C1D0E: removed'), '2022-01-30');
  });
});

describe('maillog line: the reused event', () => {
  // One line of every kind, each with every optional field it can carry.
  const LINES = [
    'Apr 11 09:22:01 mail postfix/pickup[11234]: 4A3B2C1D0E: uid=10001 from=<noreply@example.jp>',
    'Jun  3 10:40:57 mail postfix/smtpd[9708]: 4AA091855DA0: client=a.example[1.2.3.4], sasl_method=PLAIN, sasl_username=user@sender.com, orig_queue_id=4F5C64474F',
    'Jan 20 19:48:05 t postfix/qmgr[1937864]: B9996EABB6: from=<sender@internal.org>, size=2239, nrcpt=2 (queue active)',
    'Sep 30 20:46:08 n postfix/qmgr[31214]: 23EBE3D5C0: from=<a@b.com>, status=expired, returned to sender',
    'Jun  3 10:40:57 mail postfix/smtp[9710]: 4AA091855DA0: to=<x@example.com>, relay=r[127.0.0.1]:10024, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 776E41855DB2)',
    'Jun  3 10:40:58 mail postfix/smtp[9710]: 4AA091855DA0: to=<x@example.com>, relay=none, dsn=4.4.1, status=deferred (connect timed out)',
    'Jun  3 10:40:59 mail postfix/qmgr[1005]: 4AA091855DA0: removed',
    'Feb  3 22:15:01 host postfix/cleanup[4133]: 52DB01F6A: milter-reject: END-OF-MESSAGE from localhost[127.0.0.1]: 5.7.0 The limit on the number of allowed outgoing messages was exceeded; from=<info@example.jp> to=<x@y.jp> proto=ESMTP helo=<h>',
    'Feb  3 22:15:01 host postfix/smtpd[4133]: NOQUEUE: reject: RCPT from u[5.6.7.8]: 554 5.7.1 <x@y.jp>: Relay access denied; from=<spam@bad.example> to=<x@y.jp> proto=ESMTP helo=<h>',
    'Feb  3 22:15:01 host postfix/cleanup[4133]: 52DB01F6A: warning: header X-PHP-Originating-Script: 10001:mail.php from local; from=<a@b.jp> to=<c@d.jp>',
    "Feb  3 22:15:01 host /usr/lib64/plesk-9.0/psa-pc-remote[5977]: REJECT during call 'limit-out' handler",
    'Feb  3 22:15:01 host plesk-sendmail[3207]: S3207: The limit on the number of allowed outgoing messages was exceeded. Try again later.',
  ];

  it('keeps nothing of the line before: every pair of kinds reads as the second line alone', () => {
    const fresh = LINES.map((line) => one(line));
    for (const f of fresh) assert.equal(f.r, LINE.event);
    for (let b = 0; b < LINES.length; b++) {
      for (let a = 0; a < LINES.length; a++) {
        // (The instant may differ: the first line moves the year inference on.)
        const [, after] = parseAll([LINES[a]!, LINES[b]!]);
        assert.deepEqual({ ...after!.e, ts: 0 }, { ...fresh[b]!.e, ts: 0 }, `${fresh[b]!.e.kind} after ${fresh[a]!.e.kind}`);
      }
    }
  });
});
