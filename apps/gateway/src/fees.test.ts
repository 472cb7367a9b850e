import { describe } from 'vitest';
import { defineFeeReconciliation } from './testing/fee-reconciliation.js';

/**
 * Requests of the reconciled run: 10,000 by default (issue 19's must-show), more or fewer with
 * `STOA_FEES_RECONCILE_REQUESTS`.
 */
const REQUESTS = Number(process.env.STOA_FEES_RECONCILE_REQUESTS ?? 10_000);

describe('fees reconcile with the gateway’s metering', () => {
  defineFeeReconciliation(REQUESTS);
});
