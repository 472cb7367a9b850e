'use client';
import { type FormEvent, useState } from 'react';

/** Email + password sign-in through better-auth; on success, back to the page that sent us here. */
export default function Login() {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(undefined);
    const response = await fetch('/api/auth/sign-in/email', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: form.get('email'), password: form.get('password') }),
    });
    setBusy(false);
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { message?: string };
      setError(body.message ?? `sign-in failed (${response.status})`);
      return;
    }
    const next = new URLSearchParams(window.location.search).get('next') ?? '/';
    window.location.assign(next.startsWith('/') && !next.startsWith('//') ? next : '/');
  }
  return (
    <>
      <h1>Sign in</h1>
      <form onSubmit={submit} className="form narrow">
        <label htmlFor="email">Email</label>
        <input id="email" name="email" type="email" autoComplete="username" required />
        <label htmlFor="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error ? (
          <p role="alert" className="error">
            {error}
          </p>
        ) : null}
      </form>
    </>
  );
}
