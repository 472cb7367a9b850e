import type { FeeReport, NodeFees } from '@stoa/sdk';
import { describe, expect, it } from 'vitest';
import { feesLines } from './fees-table.js';

const node = (over: Partial<NodeFees>): NodeFees => ({
  node: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8',
  metered: 0,
  vouched: 0,
  claimed: 0,
  pending: 0,
  finalized: 0,
  rejected: 0,
  settled: 0,
  paid: 0,
  paidWei: '0',
  unvouched: 0,
  capped: 0,
  explanation: [],
  ...over,
});

const honest = node({
  metered: 120,
  claimed: 120,
  finalized: 120,
  settled: 120,
  paid: 120,
  paidWei: '120000000000000',
});
const liar = node({
  node: '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc',
  claimed: 120,
  finalized: 120,
  settled: 120,
  unvouched: 120,
  explanation: ['claimed 120, paid 0', '120 settled with no gateway voucher (or paid before): paid nothing'],
});
const report: FeeReport = {
  deploymentId: 'dep-1',
  escrow: {
    address: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512',
    deploymentId: '1',
    modelId: '0x01',
    pricePerReceiptWei: '1000000000000',
    capWei: '1000000000000000',
    paidWei: '120000000000000',
    availableWei: '880000000000000',
    reservedWei: '0',
  },
  total: node({
    node: '*',
    metered: 120,
    claimed: 240,
    finalized: 240,
    settled: 240,
    paid: 120,
    paidWei: '120000000000000',
  }),
  nodes: [honest, liar],
};

describe('stoa usage: the fees table', () => {
  it('shows metered, claimed, finalized and paid per node and in all, then why a node was not paid', () => {
    const lines = feesLines([
      report,
      { deploymentId: 'dep-2', error: 'fees of deployment dep-2 unread: down' },
    ]);
    expect(lines).toContain('NODE          METERED  CLAIMED  FINALIZED  PAID  PAID ETH');
    expect(lines).toContain('0x709979…9c8  120      120      120        120   0.000120 ETH');
    expect(lines).toContain('0x3c44cd…3bc  0        120      120        0     0.000000 ETH');
    expect(lines).toContain('all nodes     120      240      240        120   0.000120 ETH');
    expect(lines).toContain(
      '  0x3c44cd…3bc: claimed 120, paid 0; 120 settled with no gateway voucher (or paid before): paid nothing',
    );
    expect(lines.join('\n')).toMatch(
      /escrow 0xe7f172…512 #1, 0\.000001 ETH a receipt, paid 0\.000120 ETH of/,
    );
    expect(lines.at(-1)).toBe('fees of deployment dep-2 unread: down');
    for (const line of lines.filter((l) => !l.startsWith('  ') && !l.startsWith('Fees')))
      expect(line.length).toBeLessThanOrEqual(80);
  });
});
