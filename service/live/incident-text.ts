// What an incident says, in English and Japanese: built from its figures
// (never canned text for one scenario), with times in the server's zone.
import { when } from '../analysis/explain.ts';
import type { Incident } from './incident.ts';

const n = (v: number) => Math.round(v).toLocaleString('en-US');

export function reasonOf(inc: Incident, now: number, zone: string): { en: string; ja: string } {
  const f = inc.figures;
  const src = inc.source?.label ?? 'an unknown sender';
  const sub = inc.subscription ?? 'no known subscription';
  const at = (ms: number, lang: 'en' | 'ja') => when(ms, now, zone, lang);
  let en: string;
  let ja: string;
  switch (inc.kind) {
    case 'burst': {
      const base = f.baselinePerMinute !== null && f.baselinePerMinute > 0 ? ` (its usual rate: ${f.baselinePerMinute.toFixed(1)}/min)` : ' (it usually sends nothing)';
      const baseJa = f.baselinePerMinute !== null && f.baselinePerMinute > 0 ? `（通常は毎分 ${f.baselinePerMinute.toFixed(1)} 通）` : '（通常は送信なし）';
      const reach = f.reachesLimitAt !== null && f.limit !== null && f.limit > 0
        ? (f.reachesLimitAt <= now ? ` The subscription has reached its limit of ${n(f.limit)} messages per hour.` : ` At this rate the subscription reaches its limit of ${n(f.limit)} messages per hour at ${at(f.reachesLimitAt, 'en')}; then every mailbox of it is refused.`)
        : '';
      const reachJa = f.reachesLimitAt !== null && f.limit !== null && f.limit > 0
        ? (f.reachesLimitAt <= now ? ` サブスクリプションは 1 時間あたり ${n(f.limit)} 通の上限に達しています。` : ` このままでは ${at(f.reachesLimitAt, 'ja')} にサブスクリプションの上限（1 時間あたり ${n(f.limit)} 通）に達し、すべてのメールボックスから送信できなくなります。`)
        : '';
      en = `${src} of ${sub} is sending ${n(f.perMinute)} messages per minute${base}.${reach}`;
      ja = `${sub} の ${src} が毎分 ${n(f.perMinute)} 通を送信しています${baseJa}。${reachJa}`;
      break;
    }
    case 'block':
      en = `Plesk is refusing outgoing mail of ${sub}: ${n(f.count)} messages refused over its limit${f.limit !== null && f.limit > 0 ? ` of ${n(f.limit)} per hour` : ''}${inc.source ? `; the busiest sender is ${src}` : ''}. Every mailbox of the subscription gets "554 5.7.0 … limit … exceeded".`;
      ja = `${sub} の送信メールが上限${f.limit !== null && f.limit > 0 ? `（1 時間あたり ${n(f.limit)} 通）` : ''}を超えたため拒否されています（${n(f.count)} 通）${inc.source ? `。最も多く送信しているのは ${src} です` : ''}。サブスクリプションのすべてのメールボックスで「554 5.7.0 … limit … exceeded」となります。`;
      break;
    case 'slow-leak':
      en = `${src} of ${sub} has been sending about ${n(f.perHour ?? 0)} messages an hour, through the night, since ${at(f.since ?? now, 'en')}: a person or a newsletter does not do that.`;
      ja = `${sub} の ${src} が ${at(f.since ?? now, 'ja')} から夜間も休まず 1 時間あたり約 ${n(f.perHour ?? 0)} 通を送信し続けています。人やメールマガジンの送信ではありません。`;
      break;
    case 'probing':
      en = `${inc.source?.id ?? 'A site'} is being probed: ${n(f.perMinute)} requests a minute for .php files that do not exist (bots looking for a script to abuse).`;
      ja = `${inc.source?.id ?? 'サイト'} が探索されています：存在しない .php ファイルへのリクエストが毎分 ${n(f.perMinute)} 件（悪用できるスクリプトを探すボット）。`;
      break;
  }
  if (inc.state === 'resolved' && inc.resolvedAt !== null) {
    en = `Resolved at ${at(inc.resolvedAt, 'en')}: ${inc.history.at(-1)?.note ?? ''}. Was: ${en}`;
    ja = `${at(inc.resolvedAt, 'ja')} に収束しました。経緯：${ja}`;
  }
  return { en, ja };
}
