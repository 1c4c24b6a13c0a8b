// Previous / page n of m / next.
import { useApp } from './context.ts';

export function Pager({ page, pages, onPage }: { page: number; pages: number; onPage: (p: number) => void }) {
  const { i18n } = useApp();
  if (pages <= 1) return null;
  return (
    <nav class="st-pager" aria-label={i18n.t('pager.label')}>
      <button type="button" class="st-btn st-btn--small" disabled={page <= 1} onClick={() => onPage(page - 1)}>{i18n.t('pager.prev')}</button>
      <span aria-live="polite">{i18n.t('pager.page', { page: i18n.num(page), pages: i18n.num(pages) })}</span>
      <button type="button" class="st-btn st-btn--small" disabled={page >= pages} onClick={() => onPage(page + 1)}>{i18n.t('pager.next')}</button>
    </nav>
  );
}
