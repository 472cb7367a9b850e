'use client';
import type { DeploymentFees, NodeFees } from '@stoa/sdk';
import { useQuery } from '@tanstack/react-query';
import { ScrollTable } from '../../client/scroll-table';
import { QueryState } from '../../client/status';
import { useTRPC } from '../../client/trpc';

const ether = (wei: string) => `${(Number(wei) / 1e18).toFixed(9)} ETH`;

function NodeRow({ fees }: { fees: NodeFees }) {
  return (
    <tr>
      <td className="mono">{fees.node === '*' ? 'All nodes' : fees.node}</td>
      <td data-testid="fees-metered">{fees.metered}</td>
      <td>{fees.claimed}</td>
      <td>{fees.finalized}</td>
      <td data-testid="fees-paid">{fees.paid}</td>
      <td>{ether(fees.paidWei)}</td>
      <td>{fees.explanation.length === 0 ? 'reconciled' : fees.explanation.join('; ')}</td>
    </tr>
  );
}

function DeploymentFeesTable({ report }: { report: DeploymentFees }) {
  if ('error' in report) return <p role="alert">{report.error}</p>;
  const e = report.escrow;
  return (
    <ScrollTable label={`Fees of deployment ${report.deploymentId}`}>
      <table>
        <caption>
          Deployment <span className="mono">{report.deploymentId}</span>: escrow{' '}
          <span className="mono">{e.address}</span> #{e.deploymentId}, {ether(e.pricePerReceiptWei)} a
          receipt, paid {ether(e.paidWei)} of the {ether(e.capWei)} budget cap
        </caption>
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">Metered</th>
            <th scope="col">Claimed</th>
            <th scope="col">Finalized</th>
            <th scope="col">Paid</th>
            <th scope="col">Paid (ETH)</th>
            <th scope="col">Why they differ</th>
          </tr>
        </thead>
        <tbody>
          {report.nodes.map((n) => (
            <NodeRow key={n.node} fees={n} />
          ))}
          <NodeRow fees={report.total} />
        </tbody>
      </table>
    </ScrollTable>
  );
}

/**
 * Fees per deployment and node: what the gateway metered, what nodes claimed on chain, what
 * finalized and what the FeeEscrow paid, with the reasons where they differ (the SDK's
 * `projectFeeReports`, the same report as `stoa usage`).
 */
export function FeesSection() {
  const trpc = useTRPC();
  const fees = useQuery({ ...trpc.usage.fees.queryOptions(), refetchInterval: 10_000 });
  return (
    <>
      <h2>Fees paid to nodes</h2>
      <QueryState error={fees.error} loading={fees.isPending}>
        {(fees.data ?? []).length === 0 ? (
          <p>No deployment of this project pays its nodes through a fee escrow yet.</p>
        ) : (
          (fees.data ?? []).map((r) => <DeploymentFeesTable key={r.deploymentId} report={r} />)
        )}
      </QueryState>
    </>
  );
}
