// The first thing a worried customer reads: the plain-language explanation
// from diagnose, coloured by the state, and what to do now.
import type { SubscriptionDiagnosis } from '../../service/http/contract.ts';
import { useApp } from './context.ts';
import { splitExplanation } from './explanation.ts';

export function StatusBanner({ sub }: { sub: SubscriptionDiagnosis }) {
  const { i18n } = useApp();
  const text = sub.explanation[i18n.lang] || sub.explanation.en;
  const { body, todo } = splitExplanation(text, sub.explanation[i18n.lang] ? i18n.lang : 'en');
  const tone = sub.status === 'not-sending' ? 'danger' : sub.cause !== 'none' || sub.blockedLevel ? 'warning' : 'ok';
  return (
    <section class={`st-banner st-banner--${tone}`} aria-labelledby="st-banner-t" data-testid="banner">
      <p id="st-banner-t" class="st-banner__text">{body}</p>
      <div class="st-banner__todo">
        <h2 class="st-h3">{i18n.t('diag.whatToDo')}</h2>
        <p>{todo ? todo.charAt(0).toUpperCase() + todo.slice(1) : i18n.t(`diag.todo.${sub.cause}`)}</p>
      </div>
      {sub.rejectedTotal > 0 && <p class="st-muted">{i18n.t('diag.rejectedTotal', { count: i18n.num(sub.rejectedTotal) })}</p>}
    </section>
  );
}
