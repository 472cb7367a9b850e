'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { CreatedKey } from './created-key';
import { useTRPC } from './trpc';

const numberOr = (form: FormData, field: string) => {
  const value = String(form.get(field) ?? '').trim();
  return value === '' ? undefined : Number(value);
};

/** Create an API key with its limits (all optional: unlimited where left empty). */
export function KeyForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [problem, setProblem] = useState<string>();
  const create = useMutation(
    trpc.apiKey.create.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.apiKey.list.queryKey() }),
      onError: (e) => setProblem(e.message),
    }),
  );
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setProblem(undefined);
    const form = new FormData(event.currentTarget);
    const models = String(form.get('models') ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean);
    const limits = {
      rateLimitPerSec: numberOr(form, 'rate'),
      burst: numberOr(form, 'burst'),
      monthlyQuota: numberOr(form, 'quota'),
      spendCapUsd: numberOr(form, 'cap'),
      expiresInDays: numberOr(form, 'days'),
    };
    create.mutate({
      name: String(form.get('name')),
      ...(models.length ? { allowedModels: models } : {}),
      ...Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)),
    });
  }
  const field = (id: string, label: string, props: Record<string, string> = {}) => (
    <>
      <label htmlFor={id}>{label}</label>
      <input id={id} name={id} inputMode="decimal" {...props} />
    </>
  );
  return (
    <>
      <form className="form" onSubmit={submit} aria-label="Create an API key">
        {field('name', 'Name', { required: 'required', placeholder: 'production' })}
        {field('models', 'Models it may call (comma-separated; empty: all)', { inputMode: 'text' })}
        {field('rate', 'Requests per second')}
        {field('burst', 'Burst')}
        {field('quota', 'Requests per month')}
        {field('cap', 'Spend cap, USD per month')}
        {field('days', 'Expires in (days)')}
        <button type="submit" disabled={create.isPending}>
          Create key
        </button>
      </form>
      {problem ? (
        <p role="alert" className="error">
          {problem}
        </p>
      ) : null}
      {create.data ? <CreatedKey name={create.data.name} secret={create.data.key} /> : null}
    </>
  );
}
