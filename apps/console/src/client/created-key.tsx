'use client';
import { useState } from 'react';

/** A new API key, shown this once, with a copy button. */
export function CreatedKey({ name, secret }: { name: string; secret: string }) {
  const [copied, setCopied] = useState<string>();
  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('Copied.');
    } catch {
      setCopied('Copy failed: select the key and copy it by hand.');
    }
  }
  return (
    <section className="panel" aria-label="New API key">
      <p>
        <strong>{name}</strong>: this key is shown once. Only a keyed hash of it is stored.
      </p>
      <div className="row">
        <code data-testid="new-key">{secret}</code>
        <button type="button" onClick={copy}>
          Copy key
        </button>
      </div>
      <p aria-live="polite">{copied}</p>
    </section>
  );
}
