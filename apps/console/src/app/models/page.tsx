'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { ModelImportForm } from '../../client/model-import-form';
import { ScrollTable } from '../../client/scroll-table';
import { QueryState } from '../../client/status';
import { useTRPC } from '../../client/trpc';

const percent = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);

export default function Models() {
  const trpc = useTRPC();
  const models = useQuery(trpc.model.list.queryOptions());
  return (
    <>
      <h1>Models</h1>
      <QueryState error={models.error} loading={models.isPending}>
        {models.data?.length ? (
          <ScrollTable label="Models">
            <table>
              <caption className="muted">Compiled integer hypergraphs of this project</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">modelId</th>
                  <th scope="col">Float acc.</th>
                  <th scope="col">Integer acc.</th>
                </tr>
              </thead>
              <tbody>
                {models.data.map((m) => (
                  <tr key={m.id}>
                    <td>
                      <Link href={`/models/${m.id}`}>{m.name}</Link>
                    </td>
                    <td className="mono">{m.modelId.slice(0, 18)}…</td>
                    <td>{percent(m.floatAccuracy)}</td>
                    <td>{percent(m.intAccuracy)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollTable>
        ) : (
          <p>No models yet: import one below.</p>
        )}
      </QueryState>
      <ModelImportForm />
    </>
  );
}
