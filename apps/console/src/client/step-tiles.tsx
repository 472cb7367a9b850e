'use client';
import { useQuery } from '@tanstack/react-query';
import { ScrollTable } from './scroll-table';
import { QueryState } from './status';
import { useTRPC } from './trpc';

/** One step's canonical tiles: the output ranges a dispute bisects down to. */
export function StepTiles({ modelId, step }: { modelId: string; step: number }) {
  const trpc = useTRPC();
  const tiles = useQuery(trpc.model.tiles.queryOptions({ modelId, step }));
  return (
    <section aria-live="polite" aria-label={`Tiles of step ${step}`}>
      <h3>
        Step {step}: {tiles.data?.op}
      </h3>
      <QueryState error={tiles.error} loading={tiles.isPending}>
        <p>
          {tiles.data?.total} tiles
          {tiles.data && tiles.data.total > tiles.data.tiles.length
            ? ` (first ${tiles.data.tiles.length} shown)`
            : ''}
        </p>
        <ScrollTable label="Tiles" tall>
          <table>
            <thead>
              <tr>
                <th scope="col">Tile</th>
                <th scope="col">Output range</th>
                <th scope="col">Work</th>
              </tr>
            </thead>
            <tbody>
              {tiles.data?.tiles.map((t) => (
                <tr key={t.index}>
                  <td>{t.index}</td>
                  <td className="mono">
                    [{t.start}, {t.end})
                  </td>
                  <td>{t.work}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      </QueryState>
    </section>
  );
}
