'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { KeyForm } from '../../client/key-form';
import { ScrollTable } from '../../client/scroll-table';
import { QueryState } from '../../client/status';
import { useTRPC } from '../../client/trpc';

function limitsOf(k: {
  rateLimitPerSec: number | null;
  burst: number | null;
  monthlyQuota: number | null;
  spendCapUsd: number | null;
  expiresAt: Date | null;
}): string {
  const parts = [
    k.rateLimitPerSec !== null ? `${k.rateLimitPerSec}/s` : '',
    k.burst !== null ? `burst ${k.burst}` : '',
    k.monthlyQuota !== null ? `${k.monthlyQuota}/month` : '',
    k.spendCapUsd !== null ? `$${k.spendCapUsd}/month` : '',
    k.expiresAt ? `until ${k.expiresAt.toISOString().slice(0, 10)}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'none';
}

export default function Keys() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.apiKey.list.queryOptions());
  const revoke = useMutation(
    trpc.apiKey.revoke.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.apiKey.list.queryKey() }),
    }),
  );
  return (
    <>
      <h1>API keys</h1>
      <KeyForm />
      <h2>Keys</h2>
      <QueryState error={keys.error ?? revoke.error} loading={keys.isPending}>
        <ScrollTable label="API keys">
          <table>
            <thead>
              <tr>
                <th scope="col">Prefix</th>
                <th scope="col">Name</th>
                <th scope="col">Models</th>
                <th scope="col">Limits</th>
                <th scope="col">Created</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data?.map((k) => (
                <tr key={k.id}>
                  <td className="mono">{k.prefix}…</td>
                  <td>{k.name}</td>
                  <td>{k.allowedModels.length ? k.allowedModels.join(', ') : 'all'}</td>
                  <td>{limitsOf(k)}</td>
                  <td>{k.createdAt.toISOString().slice(0, 16).replace('T', ' ')}</td>
                  <td>{k.state}</td>
                  <td>
                    {k.state === 'active' ? (
                      <button
                        type="button"
                        className="danger"
                        onClick={() =>
                          window.confirm(`Revoke ${k.name} (${k.prefix}…)?`) && revoke.mutate({ id: k.id })
                        }
                      >
                        Revoke<span className="sr-only"> {k.name}</span>
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      </QueryState>
    </>
  );
}
