import type { ReactNode } from 'react';

/** A table that scrolls sideways on narrow screens; focusable so the keyboard can scroll it too. */
export function ScrollTable({
  label,
  tall,
  children,
}: {
  label: string;
  tall?: boolean;
  children: ReactNode;
}) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (WCAG 2.1.1)
    <section className={tall ? 'table-wrap tiles' : 'table-wrap'} tabIndex={0} aria-label={label}>
      {children}
    </section>
  );
}
