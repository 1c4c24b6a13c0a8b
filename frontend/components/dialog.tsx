// A modal on the platform's <dialog>: focus moves in and is trapped by the
// browser, Escape closes (unless an action is running), focus returns to
// the button that opened it.
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

type Props = { title: string; onClose: () => void; busy?: boolean; children: ComponentChildren; footer?: ComponentChildren; wide?: boolean };

export function Dialog({ title, onClose, busy = false, children, footer, wide = false }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  const busyRef = useRef(busy);
  busyRef.current = busy;
  // What had the focus when the dialog was asked for, read during the first render: by the time effects run
  // (after paint, children's first) something inside may already have moved it, and it would return nowhere.
  const opener = useRef(document.activeElement as HTMLElement | null).current;
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (!el.open) el.showModal();
    const closeAndReturnFocus = () => {
      if (el.open) el.close();
      opener?.focus?.();
    };
    const onCancel = (e: Event) => {
      e.preventDefault();
      if (busyRef.current) return;
      // Closed here, at once: the browser does not always let a page keep its dialog open on Escape (the cancel
      // event is not always cancelable), and closing by itself it left the focus on the page's body until the
      // re-render ran the cleanup below (~10 ms, seen in test/panel/keyboard.test.ts).
      closeAndReturnFocus();
      onClose();
    };
    el.addEventListener('cancel', onCancel);
    return () => {
      el.removeEventListener('cancel', onCancel);
      closeAndReturnFocus();
    };
  }, []);
  return (
    <dialog ref={ref} class={`st-dialog${wide ? ' st-dialog--wide' : ''}`} aria-labelledby={`${id}-t`} aria-busy={busy}>
      <h2 id={`${id}-t`} class="st-dialog__title">
        {title}
      </h2>
      <div class="st-dialog__body">{children}</div>
      {footer && <div class="st-dialog__footer">{footer}</div>}
    </dialog>
  );
}
