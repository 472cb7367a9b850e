import type { Address, PublicClient } from 'viem';

/** The node's refusals of a nonce another sender of the account used first (anvil, geth). */
const NONCE_TAKEN =
  /nonce provided for the transaction .* lower than|nonce too low|replacement transaction underpriced/i;
const NONCE_ATTEMPTS = 5;

/**
 * Numbers the transactions of each account locally. One account's submissions are serialised
 * (so nonces are consecutive and never reused) but only for the moment it takes to sign and
 * hand a transaction to the node: waiting for it to be mined happens outside, so one party can
 * have a transaction in flight for each of its games at once. A failed submission forgets the local
 * count, so a nonce that was never used is not skipped; one another process took first is
 * numbered again from the chain's count.
 */
export class AccountNonces {
  private readonly nextNonce = new Map<string, number>();
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly reader: Pick<PublicClient, 'getTransactionCount'>) {}

  next<T>(address: Address, submit: (nonce: number) => Promise<T>): Promise<T> {
    const key = address.toLowerCase();
    const run = async () => {
      for (let attempt = 1; ; attempt++) {
        // Another client (a deploy script, a second process) may have used the account too: never
        // go below the chain's own pending count.
        const pending = await this.reader.getTransactionCount({ address, blockTag: 'pending' });
        const nonce = Math.max(this.nextNonce.get(key) ?? 0, pending);
        try {
          const result = await submit(nonce);
          this.nextNonce.set(key, nonce + 1);
          return result;
        } catch (error) {
          this.nextNonce.delete(key);
          // Another process sending from this account took the nonce between the count and the
          // submission (several gateway instances share one agent key): numbered again.
          if (attempt < NONCE_ATTEMPTS && NONCE_TAKEN.test(String((error as Error)?.message))) continue;
          throw error;
        }
      }
    };
    const result = (this.tails.get(key) ?? Promise.resolve()).then(run, run);
    this.tails.set(
      key,
      result.catch(() => {}),
    );
    return result;
  }
}
