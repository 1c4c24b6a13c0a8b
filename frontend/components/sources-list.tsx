// The sources, most responsible first, each expandable to its evidence: the
// POSTing IPs, the mail.log lines, the code signals — grouped by signal.
import type { SubscriptionDiagnosis } from '../../service/http/contract.ts';
import { useApp } from './context.ts';
import { signalLabel } from './labels.ts';

type Source = SubscriptionDiagnosis['sources'][number];

export function sourceLabel(s: Source): string {
  return s.path ?? s.address ?? (s.login ? `${s.login}${s.uid !== undefined ? ` (UID ${s.uid})` : ''}` : `UID ${s.uid ?? '?'}`);
}

function group(evidence: Source['evidence']): Array<[string, string[]]> {
  const m = new Map<string, string[]>();
  for (const e of evidence) {
    const list = m.get(e.signal);
    if (list) list.push(e.detail);
    else m.set(e.signal, [e.detail]);
  }
  return [...m];
}

function SourceItem({ s, open, now }: { s: Source; open: boolean; now: string | null }) {
  const { i18n } = useApp();
  return (
    <li class={s.confidence < 0.5 ? 'st-source st-source--lead' : 'st-source'}>
      <details open={open}>
        <summary>
          <span class="st-tag">{i18n.t(`kind.${s.kind}`)}</span> <code class="st-path">{sourceLabel(s)}</code>
          <span class="st-source__facts">
            {i18n.t('sources.messages', { count: i18n.num(s.messages) })}
            {s.perHour !== undefined && <> · {i18n.t('sources.perHour', { count: i18n.num(Math.round(s.perHour)) })}</>}
            {' · '}
            {i18n.t('sources.confidence', { pct: i18n.pct(s.confidence) })}
            {s.confidence < 0.5 && <> · <em>{i18n.t('sources.lead')}</em></>}
          </span>
        </summary>
        <div class="st-source__body">
          {s.firstSeen && s.lastSeen && <p class="st-muted">{i18n.t('sources.seen', { first: i18n.when(s.firstSeen, now), last: i18n.when(s.lastSeen, now) })}</p>}
          {s.file && (
            <p class="st-muted st-break">
              {i18n.t('sources.file', { size: i18n.num(s.file.size), mtime: i18n.dateTime(s.file.mtime), uid: s.file.uid, mode: s.file.mode, sha: s.file.sha256 })}
            </p>
          )}
          <h3 class="st-h4">{i18n.t('sources.evidence', { count: s.evidence.length })}</h3>
          <dl class="st-evidence">
            {group(s.evidence).map(([signal, details]) => (
              <div key={signal}>
                <dt>{signalLabel(i18n, signal)}</dt>
                {details.map((d, j) => (
                  <dd key={j}>
                    <code class="st-break">{d}</code>
                  </dd>
                ))}
              </div>
            ))}
          </dl>
        </div>
      </details>
    </li>
  );
}

/** Findings first, the first one open; leads (confidence < 0.5) folded away when there is a finding. */
export function SourcesList({ sources, now }: { sources: Source[]; now: string | null }) {
  const { i18n } = useApp();
  if (sources.length === 0) return <p class="st-muted">{i18n.t('sources.none')}</p>;
  const findings = sources.filter((s) => s.confidence >= 0.5);
  const leads = sources.filter((s) => s.confidence < 0.5);
  const key = (s: Source) => `${s.kind}:${sourceLabel(s)}`;
  const list = (items: Source[], openFirst: boolean) => (
    <ol class="st-sources">{items.map((s, i) => <SourceItem key={key(s)} s={s} open={openFirst && i === 0} now={now} />)}</ol>
  );
  if (findings.length === 0) return list(leads, false);
  return (
    <>
      {list(findings, true)}
      {leads.length > 0 && (
        <details class="st-leads">
          <summary>{i18n.t('sources.leads', { count: leads.length })}</summary>
          {list(leads, false)}
        </details>
      )}
    </>
  );
}
