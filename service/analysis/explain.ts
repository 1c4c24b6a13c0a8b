// Plain sentences for a worried customer, in English and Japanese, built from
// the data of one diagnosis (never canned text for one scenario).
import type { Finding } from './attribute.ts';
import type { OmcReading } from './omc.ts';
import { wallClock } from '../time.ts';

export type ExplainInput = {
  name: string;
  omc: OmcReading;
  limits: { subscription: number | null; domain: number | null; mailbox: number | null };
  top: Finding | null;             // the finding (confidence ≥ 0.5) or null
  leak: { since: number; perHour: number; source: string; oldestData: boolean } | null;
  messages24h: number;
  now: number;
  zone: string;
};

type Lang = 'en' | 'ja';
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const n = (v: number) => Math.round(v).toLocaleString('en-US');
const p2 = (v: number) => String(v).padStart(2, '0');

export function when(ms: number, now: number, zone: string, lang: Lang): string {
  const w = wallClock(ms, zone);
  const t = wallClock(now, zone);
  const time = `${p2(w.h)}:${p2(w.mi)}`;
  const sameDay = w.y === t.y && w.mo === t.mo && w.d === t.d;
  if (lang === 'ja') return sameDay ? `本日 ${time}` : `${w.y !== t.y ? `${w.y}年` : ''}${w.mo}月${w.d}日 ${time}`;
  return sameDay ? `${time} today` : `${MON[w.mo - 1]} ${w.d}${w.y !== t.y ? `, ${w.y}` : ''}, ${time}`;
}

function sourceName(f: Finding): string {
  return f.path ?? f.address ?? (f.login ? `${f.login} (UID ${f.uid})` : `UID ${f.uid}`);
}

function status(x: ExplainInput, lang: Lang): string {
  const { omc, limits } = x;
  const lh = omc.lastHour;
  const limit = lh.limit ?? limits.subscription;
  const last = lh.from === 'none' ? '' : lang === 'en'
    ? ` In the last hour ${n(lh.passed)} messages passed and ${n(lh.rejected)} were rejected.`
    : `直近1時間では ${n(lh.passed)} 通が送信され、${n(lh.rejected)} 通が拒否されました。`;
  if (omc.status === 'not-sending' && omc.blockedSince !== null) {
    const since = when(omc.blockedSince, x.now, x.zone, lang);
    if (lang === 'en') return `Outgoing mail of ${x.name} has been blocked since ${since} because the subscription's limit${limit !== null ? ` of ${n(limit)} messages per hour` : ''} was exceeded; every mailbox of the subscription gets "554 5.7.0 … limit … exceeded" until the hour's count falls back under the limit.${last}`;
    return `${x.name} のメール送信は ${since} から止められています。契約全体の送信上限${limit !== null ? `（1時間あたり ${n(limit)} 通）` : ''}を超えたためで、上限を下回るまで契約内のすべてのメールアドレスで「554 5.7.0 … limit … exceeded」エラーになります。${last}`;
  }
  if (omc.blockedLevel === 'mailbox' || omc.blockedLevel === 'domain') {
    const what = omc.blockedLevel === 'mailbox' ? (lang === 'en' ? 'a mailbox' : 'メールアドレス') : (lang === 'en' ? 'a domain' : 'ドメイン');
    return lang === 'en'
      ? `The subscription can send, but ${what} of it is over its own hourly limit and its mail is being rejected.${last}`
      : `契約全体は送信できますが、${what}が個別の送信上限を超えており、そのメールは拒否されています。${last}`;
  }
  if (x.top || x.leak) return lang === 'en' ? `Mail is going out, under Plesk's limits — so Plesk shows nothing wrong.${last}` : `メールは Plesk の上限内で送信されているため、Plesk の画面には異常が表示されません。${last}`;
  return lang === 'en'
    ? `No sign of outgoing spam: ${n(x.messages24h)} messages in the last 24 hours, from expected senders.`
    : `迷惑メール送信の兆候はありません（直近24時間の送信 ${n(x.messages24h)} 通、いずれも通常の送信元）。`;
}

function culprit(f: Finding, x: ExplainInput, lang: Lang): string[] {
  const out: string[] = [];
  const name = sourceName(f);
  const b = f.facts.bots;
  if (f.kind === 'script') {
    const why: string[] = [];
    if (f.facts.phpMailCalls) why.push(lang === 'en' ? `PHP's mail log names it (${n(f.facts.phpMailCalls)} mail() calls)` : `PHP のメールログに記録があります（mail() 呼び出し ${n(f.facts.phpMailCalls)} 回）`);
    if (f.facts.header) why.push(lang === 'en' ? `the messages carry X-PHP-Originating-Script: ${f.facts.header}` : `メールに X-PHP-Originating-Script: ${f.facts.header} が付いています`);
    if (b && b.score >= 0.5) why.push(lang === 'en'
      ? `it is run by bots (${n(b.ips)} IP addresses POSTing to it${b.blindShare > 0.8 ? ', no form page visited first' : ''}${b.noReferrerShare > 0.8 ? ', no referrer' : ''})`
      : `ボットが実行しています（${n(b.ips)} 個の IP アドレスから POST${b.blindShare > 0.8 ? '、フォームのページを開かずに直接送信' : ''}${b.noReferrerShare > 0.8 ? '、リファラなし' : ''}）`);
    else if (f.facts.correlation !== undefined) why.push(lang === 'en' ? 'requests to it coincide with the mail going out' : 'このファイルへのアクセスと送信のタイミングが一致しています');
    const code = f.facts.code ?? [];
    if (code.includes('input-to-recipient') || code.includes('input-to-headers')) why.push(lang === 'en' ? 'its code lets the request choose recipients or headers' : 'コードがリクエストの内容で宛先やヘッダーを決めています（踏み台にされる作り）');
    if (code.includes('obfuscation') || code.includes('long-base64')) why.push(lang === 'en' ? 'its code is obfuscated' : 'コードが難読化されています');
    if (code.includes('uploads-folder')) why.push(lang === 'en' ? 'it sits in an uploads folder' : 'アップロード用フォルダーに置かれています');
    if (f.facts.library) why.push(lang === 'en' ? `it calls the mail library ${f.facts.library}` : `メールライブラリ ${f.facts.library} を呼び出しています`);
    out.push(lang === 'en'
      ? `The mail comes from ${name}${why.length ? `: ${why.join('; ')}` : ''}.`
      : `送信元は ${name} です${why.length ? `。根拠: ${why.join('、')}` : ''}。`);
    if (x.omc.blockedLevel === 'subscription' || x.omc.status === 'not-sending') out.push(lang === 'en'
      ? 'Mail sent by scripts through sendmail is counted against the subscription only, which is why no mailbox or domain is over its limit — changing mailbox passwords will not help.'
      : 'スクリプトが sendmail で送るメールは契約単位でのみ数えられるため、メールアドレスやドメインは上限を超えていません。メールアドレスのパスワードを変えても止まりません。');
    out.push(lang === 'en' ? 'What to do: quarantine this script (reversible, one click), then watch the count fall to 0.' : '対処: このスクリプトを隔離してください（元に戻せます）。その後、送信数が 0 になることを確認します。');
  } else if (f.kind === 'mailbox') {
    out.push(lang === 'en'
      ? `The mail is sent with the password of ${name}, from ${n(f.facts.ips ?? 0)} different IP addresses — the password is most likely stolen.`
      : `${name} のパスワードで ${n(f.facts.ips ?? 0)} 個の異なる IP アドレスから送信されています。パスワードが盗まれている可能性が高いです。`);
    out.push(lang === 'en' ? `What to do: reset the password of ${name} and purge its queued mail; scripts are not involved.` : `対処: ${name} のパスワードを変更し、キューに残った送信待ちメールを削除してください。スクリプトは関係ありません。`);
  } else {
    out.push(lang === 'en'
      ? `The mail is submitted locally by the subscription's system user ${name} (cron job, SSH session or a script whose file is not known yet).`
      : `契約のシステムユーザー ${name} がサーバー内部から送信しています（cron、SSH、またはまだ特定できていないスクリプト）。`);
    out.push(lang === 'en' ? "What to do: reset the system user's (FTP/SSH) password and check its cron jobs; turn on PHP's mail log to name the script." : '対処: システムユーザー（FTP/SSH）のパスワードを変更し、cron を確認してください。PHP のメールログを有効にするとスクリプトを特定できます。');
  }
  return out;
}

function leakSentence(x: ExplainInput, lang: Lang): string {
  const l = x.leak!;
  const since = when(l.since, x.now, x.zone, lang);
  if (lang === 'en') return `This source has been sending about ${n(l.perHour)} messages an hour, day and night, since ${since}${l.oldestData ? ' (the oldest data read)' : ''} — under the limit, so Plesk never warned.`;
  return `この送信元は ${since}${l.oldestData ? '（読み取れた最も古いデータ）' : ''} から、昼夜を問わず1時間あたり約 ${n(l.perHour)} 通を送り続けています。上限未満のため Plesk からは警告が出ませんでした。`;
}

export function explain(x: ExplainInput): { en: string; ja: string } {
  const build = (lang: Lang) => {
    const parts = [status(x, lang)];
    if (x.top) parts.push(...culprit(x.top, x, lang));
    else if (x.omc.status === 'not-sending') parts.push(lang === 'en'
      ? 'The source could not be named from the data read; turn on PHP\'s mail log (mail.log) for this subscription to name the script.'
      : '読み取れたデータからは送信元を特定できませんでした。この契約で PHP のメールログ（mail.log）を有効にするとスクリプトを特定できます。');
    if (x.leak) parts.push(leakSentence(x, lang));
    return parts.join(lang === 'en' ? ' ' : '');
  };
  return { en: build('en'), ja: build('ja') };
}
