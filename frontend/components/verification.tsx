// After an action: "0 messages since 22:15 — fixed" or "still sending …",
// announced when it changes (the page refreshes it by itself).
import { useApp } from './context.ts';
import { actionLabel } from './labels.ts';

const TONE = { stopped: 'ok', 'still-sending': 'danger', 'quiet-now': 'warning', unknown: 'info' } as const;

export function VerificationPanel({ id }: { id: number }) {
  const app = useApp();
  const { i18n } = app;
  const last = app.lastAction.value;
  const v = app.verification.state.value.data;
  if (!last || !v || last.subscriptionId !== id || app.verification.state.value.key !== String(id)) return null;
  const now = app.detail.state.value.data?.snapshot.now ?? null;
  const time = i18n.when(v.since, now);
  const text =
    v.status === 'stopped' ? i18n.t('verify.stopped', { count: i18n.num(v.count), time })
    : v.status === 'still-sending' ? i18n.t('verify.still', { recent: i18n.num(v.recent), minutes: v.minutes, count: i18n.num(v.count), time })
    : v.status === 'quiet-now' ? i18n.t('verify.quiet', { count: i18n.num(v.count), time, minutes: v.minutes })
    : i18n.t('verify.unknown', { time });
  return (
    <section class={`st-verify st-verify--${TONE[v.status]}`} aria-labelledby="st-verify-t" data-testid="verification" data-status={v.status}>
      <h2 id="st-verify-t" class="st-h2">{i18n.t('verify.title')}</h2>
      <p class="st-muted">{i18n.t('verify.after', { action: actionLabel(i18n, last.action), time: i18n.when(last.at, now) })}</p>
      <p class="st-verify__text" aria-live="polite" aria-atomic="true">{text}</p>
    </section>
  );
}
