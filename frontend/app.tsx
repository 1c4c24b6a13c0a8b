// The frame: navigation, the current view, and where focus goes on a view change.
import { useEffect, useRef } from 'preact/hooks';
import { useApp } from './components/context.ts';
import { hrefOf, type Route } from './route.ts';
import { AuditView } from './views/audit.tsx';
import { DiagnosisView } from './views/diagnosis.tsx';
import { OverviewView } from './views/overview.tsx';
import { QuarantineView } from './views/quarantine.tsx';
import { SettingsView } from './views/settings.tsx';

function View({ r }: { r: Route }) {
  switch (r.view) {
    case 'overview': return <OverviewView />;
    case 'diagnosis': return <DiagnosisView id={r.id} />;
    case 'settings': return <SettingsView id={r.id} />;
    case 'audit': return <AuditView />;
    case 'quarantine': return <QuarantineView />;
  }
}

export function App() {
  const app = useApp();
  const { i18n } = app;
  const r = app.route.value;
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    // A new view: screen readers and keyboards start at its top, not on the link that was clicked.
    if (first.current) first.current = false;
    else main.current?.focus();
  }, [hrefOf(r)]);
  const current = (v: Route['view']) => (r.view === v || (v === 'overview' && (r.view === 'diagnosis' || r.view === 'settings')) ? 'page' : undefined);
  return (
    <div class="st-app" lang={i18n.lang}>
      <a class="st-skip" href="#st-main" onClick={(e) => { e.preventDefault(); main.current?.focus(); }}>{i18n.t('app.skip')}</a>
      <header class="st-top">
        <p class="st-brand">{i18n.t('app.title')}</p>
        <nav class="st-nav" aria-label={i18n.t('nav.label')}>
          <a href={hrefOf({ view: 'overview' })} aria-current={current('overview')}>{i18n.t('nav.overview')}</a>
          <a href={hrefOf({ view: 'quarantine' })} aria-current={current('quarantine')}>{i18n.t('nav.quarantine')}</a>
          <a href={hrefOf({ view: 'audit' })} aria-current={current('audit')}>{i18n.t('nav.audit')}</a>
        </nav>
      </header>
      <main id="st-main" ref={main} tabIndex={-1} class="st-main">
        <View r={r} />
      </main>
    </div>
  );
}
