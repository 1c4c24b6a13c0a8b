// Per-subscription settings: thresholds, what to do on detection, allowed
// scripts, who is told. Errors from the API appear next to their field.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { SettingsDocument } from '../../service/http/contract.ts';
import { ApiError, type Issue } from '../api.ts';
import { useApp } from '../components/context.ts';
import { ErrorNotice, Loading } from '../components/error-notice.tsx';
import type { MessageKey } from '../i18n/index.ts';
import { loadRoute } from '../state.ts';
import { fieldOfIssue, fromForm, toForm, type Field, type SettingsForm } from './settings-form.ts';
import { SubscriptionHeader } from './subscription-header.tsx';

type Problems = Partial<Record<Field, string>>;

function Row({ id, label, help, error, children }: { id: string; label: string; help?: string; error?: string | undefined; children: ComponentChildren }) {
  return (
    <div class={`st-form-row${error ? ' st-form-row--error' : ''}`}>
      <label for={id}>{label}</label>
      {children}
      {help && <p id={`${id}-help`} class="st-muted">{help}</p>}
      {error && <p id={`${id}-err`} class="st-field-error">{error}</p>}
    </div>
  );
}

function Form({ id, doc }: { id: number; doc: SettingsDocument }) {
  const app = useApp();
  const { i18n } = app;
  const [f, setF] = useState<SettingsForm>(() => toForm(doc.settings));
  const [problems, setProblems] = useState<Problems>({});
  const [allAtFields, setAllAtFields] = useState(false);
  const [state, setState] = useState<{ phase: 'idle' | 'saving' | 'saved' | 'error'; error: unknown }>({ phase: 'idle', error: null });
  useEffect(() => setF(toForm(doc.settings)), [doc.revision]);
  const set = (patch: Partial<SettingsForm>) => setF({ ...f, ...patch });
  const a11y = (field: Field, help = false) => ({ 'aria-invalid': problems[field] ? true : undefined, 'aria-describedby': [help ? `st-${field}-help` : '', problems[field] ? `st-${field}-err` : ''].join(' ').trim() || undefined });
  const save = async (e: Event) => {
    e.preventDefault();
    const { settings, errors } = fromForm(f);
    const local: Problems = {};
    for (const [k, v] of Object.entries(errors)) local[k as Field] = i18n.t(v as MessageKey);
    setProblems(local);
    if (!settings) return setState({ phase: 'error', error: null });
    setState({ phase: 'saving', error: null });
    try {
      const saved = await app.api.saveSettings(id, { settings, revision: doc.revision });
      app.settings.set(String(id), saved);
      setState({ phase: 'saved', error: null });
    } catch (err) {
      const fromApi: Problems = {};
      for (const issue of err instanceof ApiError ? err.issues : ([] as Issue[])) {
        const field = fieldOfIssue(issue.where);
        if (field) fromApi[field] = [fromApi[field], issue.message].filter(Boolean).join('; ');
      }
      setProblems(fromApi);
      setState({ phase: 'error', error: err });
      setAllAtFields(err instanceof ApiError && err.issues.length > 0 && err.issues.every((i) => fieldOfIssue(i.where) !== null));
    }
  };
  const n = (field: 'scriptPerHour' | 'leakPerHour' | 'minConfidence', label: MessageKey, help?: MessageKey) => (
    <Row id={`st-${field}`} label={i18n.t(label)} help={help && i18n.t(help)} error={problems[field]}>
      <input id={`st-${field}`} name={field} inputMode={field === 'minConfidence' ? 'decimal' : 'numeric'} value={f[field]} onInput={(e) => set({ [field]: (e.target as HTMLInputElement).value })} {...a11y(field, !!help)} />
    </Row>
  );
  return (
    <form class="st-card st-form" onSubmit={save} noValidate data-testid="settings-form">
      <p class="st-muted">{doc.revision === 0 ? i18n.t('settings.defaults') : i18n.t('settings.revision', { revision: doc.revision, time: i18n.dateTime(doc.updatedAt ?? ''), by: doc.updatedBy ?? '—' })}</p>
      <fieldset class="st-fieldset">
        <legend>{i18n.t('settings.thresholds')}</legend>
        {n('scriptPerHour', 'settings.scriptPerHour', 'settings.emptyOff')}
        {n('leakPerHour', 'settings.leakPerHour', 'settings.emptyOff')}
        {n('minConfidence', 'settings.minConfidence')}
      </fieldset>
      <fieldset class="st-fieldset" {...a11y('onDetection')}>
        <legend>{i18n.t('settings.onDetection')}</legend>
        {(['alert', 'quarantine'] as const).map((v) => (
          <label key={v} class="st-check"><input type="radio" name="onDetection" checked={f.onDetection === v} onChange={() => set({ onDetection: v })} /> {i18n.t(`settings.onDetection.${v}`)}</label>
        ))}
        {problems.onDetection && <p class="st-field-error">{problems.onDetection}</p>}
      </fieldset>
      <fieldset class="st-fieldset">
        <legend>{i18n.t('settings.allowList')}</legend>
        <p class="st-muted">{i18n.t('settings.allowList.help')}</p>
        {f.allowList.length === 0 && <p class="st-muted">{i18n.t('settings.allowList.empty')}</p>}
        {f.allowList.map((e, i) => (
          <div key={i} class="st-allow">
            <label>{i18n.t('settings.allowList.path')} <input value={e.path} onInput={(ev) => set({ allowList: f.allowList.map((x, j) => (j === i ? { ...x, path: (ev.target as HTMLInputElement).value } : x)) })} /></label>
            <label>{i18n.t('settings.allowList.sha')} <input value={e.sha256} class="st-mono" onInput={(ev) => set({ allowList: f.allowList.map((x, j) => (j === i ? { ...x, sha256: (ev.target as HTMLInputElement).value } : x)) })} /></label>
            <button type="button" class="st-btn st-btn--small" onClick={() => set({ allowList: f.allowList.filter((_, j) => j !== i) })}>{i18n.t('settings.allowList.remove')}</button>
          </div>
        ))}
        {problems.allowList && <p class="st-field-error">{problems.allowList}</p>}
        <button type="button" class="st-btn st-btn--small" onClick={() => set({ allowList: [...f.allowList, { path: '', sha256: '' }] })}>{i18n.t('settings.allowList.add')}</button>
      </fieldset>
      <fieldset class="st-fieldset">
        <legend>{i18n.t('settings.notify')}</legend>
        <label class="st-check"><input type="checkbox" checked={f.notifyOwner} onChange={() => set({ notifyOwner: !f.notifyOwner })} /> {i18n.t('settings.notify.owner')}</label>
        <Row id="st-emails" label={i18n.t('settings.notify.emails')} error={problems.emails}>
          <textarea id="st-emails" name="emails" rows={3} value={f.emails} onInput={(e) => set({ emails: (e.target as HTMLTextAreaElement).value })} {...a11y('emails')} />
        </Row>
      </fieldset>
      {state.phase === 'error' && (state.error ? <ErrorNotice error={state.error} title="action" hideIssues={allAtFields} /> : <p class="st-alert st-alert--error" role="alert">{i18n.t('settings.invalid')}</p>)}
      <p class="st-row">
        <button type="submit" class="st-btn st-btn--primary" disabled={state.phase === 'saving'}>{state.phase === 'saving' ? i18n.t('settings.saving') : i18n.t('settings.save')}</button>
        <span role="status" class="st-result">{state.phase === 'saved' ? i18n.t('settings.saved') : ''}</span>
      </p>
    </form>
  );
}

export function SettingsView({ id }: { id: number }) {
  const app = useApp();
  const s = app.settings.state.value;
  const d = app.detail.state.value;
  const doc = s.key === String(id) ? s.data : null;
  const detail = d.key === String(id) ? d.data : null;
  if (s.status === 'error' && !doc) return <ErrorNotice error={s.error} onRetry={() => void loadRoute(app)} />;
  if (!doc || !detail) return d.status === 'error' ? <ErrorNotice error={d.error} onRetry={() => void loadRoute(app)} /> : <Loading />;
  return (
    <section aria-labelledby="st-title">
      <SubscriptionHeader sub={detail.subscription} now={detail.snapshot.now} tab="settings" />
      <Form id={id} doc={doc} />
    </section>
  );
}
