import { describe, it } from 'vitest';

/**
 * Requests of the reconciled run (`STOA_FEES_RECONCILE_REQUESTS`; 10000 for the recorded run).
 * The suite runs only when it is set: booting its stack costs ≈ 35 s, past the CI budget, so
 * its imports load only then.
 */
const REQUESTS = Number(process.env.STOA_FEES_RECONCILE_REQUESTS ?? 0);

if (REQUESTS > 0) {
  describe('fees reconcile with the gateway’s metering', async () => {
    const { defineFeeReconciliation } = await import('./testing/fee-reconciliation.js');
    defineFeeReconciliation(REQUESTS);
  });
} else {
  it.skip('fees reconcile with the gateway’s metering (set STOA_FEES_RECONCILE_REQUESTS to run)');
}
