import { createHmac, timingSafeEqual } from 'node:crypto';
import { type Hex, recoverMessageAddress } from 'viem';

/**
 * Who may read a receipt's inputs (docs/decisions.md, "Who reads a client's inputs"):
 *
 * - **the client that received the receipt**: every answer carries an `inputsToken`, an HMAC of
 *   the trace root under a key derived from the node's own signing key, which the client (or the gateway
 *   for it) presents as `Authorization: Bearer <token>`. Tokens need no storage and survive
 *   restarts; that key itself never leaves the node.
 * - **the challenger of an open dispute on that receipt**: it signs
 *   `challengeAccessMessage(...)` with its account and sends `x-stoa-dispute` and
 *   `x-stoa-signature`; the node checks that the dispute is open against this node on that
 *   trace root and that the signer is its challenger on chain.
 *
 * Everyone else gets 403. A node may opt in to public inputs (`STOA_PUBLIC_INPUTS=true`) where
 * its clients agree to be audited by any watcher, as on a test network.
 */
export interface InputsAccess {
  /**
   * The token of an execution's inputs. With `named`, it also names the execution
   * (`<key>.<hmac>`): an on-demand receipt's trace root is zero, so the token says which inputs.
   */
  tokenFor(traceRoot: Hex, named?: boolean): string;
  /** Undefined when the request may read the inputs, else why not. */
  check(traceRoot: Hex, header: (name: string) => string | undefined): Promise<string | undefined>;
}

export interface OpenDispute {
  readonly traceRoot: Hex;
  readonly challenger: Hex;
}

const BEARER = /^Bearer (?:([0-9a-f]{64})\.)?([0-9a-f]{64})$/i;

/** The execution a named inputs token (`tokenFor(key, true)`) names, if the request carries one. */
export function executionNamedBy(header: (name: string) => string | undefined): Hex | undefined {
  const named = BEARER.exec(header('authorization') ?? '')?.[1];
  return named ? (`0x${named.toLowerCase()}` as Hex) : undefined;
}

export function challengeAccessMessage(traceRoot: Hex, disputeId: bigint, node: Hex): string {
  return `stoa: read the inputs of ${traceRoot.toLowerCase()} for dispute ${disputeId} against ${node.toLowerCase()}`;
}

export function inputsAccess(options: {
  readonly nodeKey: Hex;
  readonly node: Hex;
  readonly publicInputs: boolean;
  /** The open dispute with this id against this node, if there is one. */
  readonly openDispute: (disputeId: bigint) => Promise<OpenDispute | undefined>;
}): InputsAccess {
  const key = createHmac('sha256', Buffer.from(options.nodeKey.slice(2), 'hex'))
    .update('stoa.inputs-access-key.v1')
    .digest();
  const mac = (traceRoot: Hex) => createHmac('sha256', key).update(traceRoot.toLowerCase()).digest('hex');
  return {
    tokenFor: (traceRoot, named = false) =>
      (named ? `${traceRoot.slice(2).toLowerCase()}.` : '') + mac(traceRoot),
    async check(traceRoot, header) {
      if (options.publicInputs) return undefined;
      const bearer = BEARER.exec(header('authorization') ?? '');
      if (bearer) {
        const given = Buffer.from(bearer[2]!.toLowerCase(), 'hex');
        return timingSafeEqual(given, Buffer.from(mac(traceRoot), 'hex'))
          ? undefined
          : 'the inputs token is not the one issued with this receipt';
      }
      const disputeHeader = header('x-stoa-dispute');
      const signature = header('x-stoa-signature');
      if (!disputeHeader || !signature)
        return "a receipt's inputs are readable by the client it was issued to (Authorization: Bearer <inputsToken>) or by the challenger of an open dispute on it (x-stoa-dispute, x-stoa-signature)";
      if (!/^\d{1,30}$/.test(disputeHeader) || !/^0x[0-9a-fA-F]{130}$/.test(signature))
        return 'x-stoa-dispute must be a dispute id and x-stoa-signature a 65-byte hex signature';
      const disputeId = BigInt(disputeHeader);
      const dispute = await options.openDispute(disputeId);
      if (!dispute || dispute.traceRoot.toLowerCase() !== traceRoot.toLowerCase())
        return `no open dispute ${disputeId} against this node on ${traceRoot}`;
      const signer = await recoverMessageAddress({
        message: challengeAccessMessage(traceRoot, disputeId, options.node),
        signature: signature as Hex,
      }).catch(() => undefined);
      return signer?.toLowerCase() === dispute.challenger.toLowerCase()
        ? undefined
        : `the signature is not dispute ${disputeId}'s challenger's`;
    },
  };
}
