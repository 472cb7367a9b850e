'use client';
import { useQuery } from '@tanstack/react-query';
import dynamic from 'next/dynamic';
import { useParams } from 'next/navigation';
import { useState } from 'react';
import { ScrollTable } from '../../../client/scroll-table';
import { QueryState } from '../../../client/status';
import { StepTiles } from '../../../client/step-tiles';
import { useTRPC } from '../../../client/trpc';

// React Flow and ELK load only on this page, after its data.
const HypergraphView = dynamic(() => import('../../../client/hypergraph-view'), {
  ssr: false,
  loading: () => <p>Loading the graph view…</p>,
});

const percent = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);

export default function ModelPage() {
  const { id } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const model = useQuery(trpc.model.get.queryOptions({ id }));
  const modelId = model.data?.modelId;
  const graph = useQuery({
    ...trpc.model.graph.queryOptions({ modelId: modelId ?? '' }),
    enabled: !!modelId,
  });
  const [step, setStep] = useState<number>();
  return (
    <QueryState error={model.error ?? graph.error} loading={model.isPending}>
      <h1>Model {model.data?.name}</h1>
      <dl className="panel">
        <dt>modelId</dt>
        <dd className="mono">{modelId}</dd>
        <dt>weightsRoot</dt>
        <dd className="mono">{model.data?.weightsRoot}</dd>
        <dt>Accuracy (float / integer)</dt>
        <dd>
          {percent(model.data?.floatAccuracy ?? null)} / {percent(model.data?.intAccuracy ?? null)}
        </dd>
      </dl>
      <h2>Hypergraph</h2>
      {graph.data ? (
        <div className="graph-layout">
          <HypergraphView view={graph.data} onSelect={setStep} />
          <div>
            {modelId && step !== undefined ? (
              <StepTiles modelId={modelId} step={step} />
            ) : (
              <p>Select a step to see its tiles.</p>
            )}
          </div>
        </div>
      ) : (
        <p>Loading the graph…</p>
      )}
      {graph.data ? (
        <>
          <h2>Steps</h2>
          <ScrollTable label="Steps">
            <table>
              <thead>
                <tr>
                  <th scope="col">Step</th>
                  <th scope="col">Op</th>
                  <th scope="col">Output</th>
                  <th scope="col">Tiles</th>
                </tr>
              </thead>
              <tbody>
                {graph.data.steps.map((s) => {
                  const out = graph.data.tensors[s.outputs[0]!]!;
                  return (
                    <tr key={s.step}>
                      <td>{s.step}</td>
                      <td>
                        {s.op} <span className="muted">{s.name}</span>
                      </td>
                      <td className="mono">
                        {out.dtype}
                        {out.shape} × {out.scale}
                      </td>
                      <td>
                        <button type="button" className="secondary" onClick={() => setStep(s.step)}>
                          {s.tiles} tile{s.tiles === 1 ? '' : 's'}
                          <span className="sr-only"> of step {s.step}</span>
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </ScrollTable>
        </>
      ) : null}
    </QueryState>
  );
}
