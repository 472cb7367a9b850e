'use client';
import type { ReactNode } from 'react';

/** What a page shows while its data loads or when a call failed (the server's message). */
export function QueryState({
  error,
  loading,
  children,
}: {
  error: unknown;
  loading: boolean;
  children: ReactNode;
}) {
  if (error)
    return (
      <p role="alert" className="error">
        {(error as Error).message}
      </p>
    );
  if (loading) return <p aria-live="polite">Loading…</p>;
  return <>{children}</>;
}
