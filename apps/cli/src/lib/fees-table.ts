import type { DeploymentFees, NodeFees } from '@stoa/sdk';
import { table } from './output.js';

const short = (s: string) => (s.length > 12 ? `${s.slice(0, 8)}…${s.slice(-3)}` : s);

const ether = (wei: string) => `${(Number(wei) / 1e18).toFixed(6)} ETH`;

const row = (n: NodeFees) => [
  n.node === '*' ? 'all nodes' : short(n.node),
  String(n.metered),
  String(n.claimed),
  String(n.finalized),
  String(n.paid),
  ether(n.paidWei),
];

/**
 * The fee reconciliation of each deployment as text: a table per deployment (metered, claimed,
 * finalized, paid, per node and in all), then each node's reasons where the columns differ.
 */
export function feesLines(reports: readonly DeploymentFees[]): string[] {
  const lines: string[] = [];
  for (const r of reports) {
    lines.push('');
    if ('error' in r) {
      lines.push(r.error);
      continue;
    }
    const e = r.escrow;
    lines.push(
      `Fees of deployment ${r.deploymentId}: escrow ${short(e.address)} #${e.deploymentId}, ` +
        `${ether(e.pricePerReceiptWei)} a receipt, paid ${ether(e.paidWei)} of the ${ether(e.capWei)} cap ` +
        `(${ether(e.availableWei)} available, ${ether(e.reservedWei)} reserved)`,
    );
    lines.push(
      ...table([
        ['NODE', 'METERED', 'CLAIMED', 'FINALIZED', 'PAID', 'PAID ETH'],
        ...r.nodes.map(row),
        row(r.total),
      ]),
    );
    for (const n of r.nodes)
      if (n.explanation.length > 0) lines.push(`  ${short(n.node)}: ${n.explanation.join('; ')}`);
  }
  return lines;
}
