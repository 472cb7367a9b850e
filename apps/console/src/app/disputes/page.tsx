'use client';
import type { ClaimHistory, DisputeHistory } from '@stoa/sdk';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { BisectionStrip } from '../../client/bisection-strip';
import { DisputeGraph } from '../../client/dispute-graph';
import { ScrollTable } from '../../client/scroll-table';
import { QueryState } from '../../client/status';
import { useTRPC } from '../../client/trpc';

const ether = (wei: string) => `${(Number(BigInt(wei)) / 1e18).toString()} ETH`;
const time = (seconds: number) => new Date(seconds * 1000).toISOString().slice(11, 19);
const short = (hex: string) => `${hex.slice(0, 10)}…`;

function Dispute({ d, modelId, clockSeconds }: { d: DisputeHistory; modelId: string; clockSeconds: number }) {
  const last = d.events.at(-1);
  const [onGraph, setOnGraph] = useState(false);
  return (
    <section className="panel" aria-label={`Dispute ${d.disputeId}`}>
      <h3>
        Dispute #{d.disputeId}:{' '}
        {d.resolved ? (d.resolved.challengerWon ? 'challenger won' : 'claimant won') : 'in play'}
      </h3>
      <dl className="facts">
        <dt>Challenger</dt>
        <dd className="mono">{d.challenger}</dd>
        <dt>Claimant</dt>
        <dd className="mono">{d.claimant}</dd>
        <dt>Opened</dt>
        <dd>
          {time(d.openedAt)} (tx <span className="mono">{short(d.openTx)}</span>)
        </dd>
        <dt>Clock per move</dt>
        <dd>
          {clockSeconds} s{!d.resolved && last ? `, last move ${time(last.at)}` : ''}
        </dd>
        {d.resolved ? (
          <>
            <dt>Verdict</dt>
            <dd data-testid="verdict">
              {d.resolved.reason} at {time(d.resolved.at)} (tx{' '}
              <span className="mono">{short(d.resolved.txHash)}</span>)
            </dd>
          </>
        ) : null}
        {d.slashed ? (
          <>
            <dt>Slashed</dt>
            <dd data-testid="slashed">
              {ether(d.slashed.amountWei)} from <span className="mono">{short(d.slashed.node)}</span>{' '}
              (challenger reward {ether(d.slashed.rewardWei)})
            </dd>
          </>
        ) : null}
      </dl>
      {d.traceSpan ? (
        <>
          <h4>
            Bisection over the trace (steps {d.traceSpan.lo}–{d.traceSpan.hi - 1})
          </h4>
          <BisectionStrip span={d.traceSpan} rounds={d.rounds} />
          <button
            type="button"
            className="secondary"
            aria-expanded={onGraph}
            onClick={() => setOnGraph(!onGraph)}
          >
            {onGraph ? 'Hide the hypergraph' : 'Show on the hypergraph'}
          </button>
          {onGraph ? (
            <DisputeGraph disputeId={d.disputeId} modelId={modelId} span={d.traceSpan} rounds={d.rounds} />
          ) : null}
        </>
      ) : null}
      <ScrollTable label={`Timeline of dispute ${d.disputeId}`}>
        <table>
          <caption>Timeline: every move on chain</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Event</th>
              <th scope="col">Details</th>
              <th scope="col">Transaction</th>
            </tr>
          </thead>
          <tbody>
            {d.events.map((e) => (
              <tr key={`${e.block}-${e.logIndex}`}>
                <td>{time(e.at)}</td>
                <td>{e.name}</td>
                <td className="mono small">{describe(e.name, e.args)}</td>
                <td className="mono">{short(e.txHash)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollTable>
    </section>
  );
}

/** The arguments worth reading, shortened (hashes cut), without the dispute id repeated. */
function describe(name: string, args: Record<string, unknown>): string {
  if (name === 'ChildPicked')
    return `picked node ${args.index} at level ${args.level}: steps ${Number(args.index) * 2 ** Number(args.level)}–${(Number(args.index) + 1) * 2 ** Number(args.level) - 1}`;
  return Object.entries(args)
    .filter(([k]) => k !== 'disputeId')
    .map(
      ([k, v]) =>
        `${k} ${typeof v === 'string' && v.length > 20 ? short(v) : JSON.stringify(v).slice(0, 60)}`,
    )
    .join(', ');
}

function Claim({ c, clockSeconds }: { c: ClaimHistory; clockSeconds: number }) {
  return (
    <>
      {c.disputes.map((d) => (
        <Dispute key={d.disputeId} d={d} modelId={c.modelId} clockSeconds={clockSeconds} />
      ))}
    </>
  );
}

export default function Disputes() {
  const trpc = useTRPC();
  const history = useQuery({ ...trpc.dispute.history.queryOptions(), refetchInterval: 5_000 });
  const data = history.data;
  const disputed = data?.claims.filter((c) => c.disputes.length > 0) ?? [];
  return (
    <>
      <h1>Disputes</h1>
      <QueryState error={history.error} loading={history.isPending}>
        {data === null ? (
          <p>No local chain for this project yet: run `stoa dev`, or deploy.</p>
        ) : data ? (
          <>
            <p>
              Chain {data.rpcUrl}: claim bond {ether(data.bonds.claimBondWei)}, challenge bond{' '}
              {ether(data.bonds.challengeBondWei)}, {data.bonds.clockSeconds} s per move.
            </p>
            <h2>Claims</h2>
            <ScrollTable label="Claims">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Claim</th>
                    <th scope="col">Node</th>
                    <th scope="col">Receipts</th>
                    <th scope="col">Posted</th>
                    <th scope="col">State</th>
                    <th scope="col">Disputes</th>
                    <th scope="col">Transaction</th>
                  </tr>
                </thead>
                <tbody>
                  {data.claims.map((c) => (
                    <tr key={c.claimId}>
                      <td>#{c.claimId}</td>
                      <td className="mono">{short(c.node)}</td>
                      <td>{c.receipts}</td>
                      <td>{time(c.postedAt)}</td>
                      <td>{c.state}</td>
                      <td>{c.disputes.length}</td>
                      <td className="mono">{short(c.txHash)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollTable>
            <h2>Games</h2>
            {disputed.length === 0 ? <p>No claim has been challenged.</p> : null}
            {disputed.map((c) => (
              <Claim key={c.claimId} c={c} clockSeconds={data.bonds.clockSeconds} />
            ))}
          </>
        ) : null}
      </QueryState>
    </>
  );
}
