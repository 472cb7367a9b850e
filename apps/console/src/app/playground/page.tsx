'use client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { DigitCanvas, type DigitCanvasHandle } from '../../client/digit-canvas';
import { QueryState } from '../../client/status';
import { useTRPC } from '../../client/trpc';

const argmax = (values: readonly number[]) =>
  values.reduce((best, v, i) => (v > values[best]! ? i : best), 0);

export default function Playground() {
  const trpc = useTRPC();
  const target = useQuery(trpc.playground.target.queryOptions());
  const canvas = useRef<DigitCanvasHandle>(null);
  const [apiKey, setApiKey] = useState('');
  const [model, setModel] = useState<string>();
  const infer = useMutation(trpc.playground.infer.mutationOptions());
  const verify = useMutation(trpc.playground.verify.mutationOptions());
  const challenge = useMutation(trpc.playground.challenge.mutationOptions());
  const answer = infer.data;
  const reset = () => {
    verify.reset();
    challenge.reset();
  };
  return (
    <>
      <h1>Playground</h1>
      <QueryState error={target.error} loading={target.isPending}>
        {target.data === null ? (
          <p>No gateway for this project: run `stoa dev` to start one.</p>
        ) : (
          <div className="split">
            <section aria-label="Draw a digit">
              <p>
                Through the gateway at <span className="mono">{target.data?.gatewayUrl}</span>.
              </p>
              <label>
                Model{' '}
                <select
                  value={model ?? target.data?.model ?? ''}
                  onChange={(e) => {
                    setModel(e.target.value);
                    infer.reset();
                    reset();
                  }}
                >
                  {(target.data?.models ?? []).map((name) => (
                    <option key={name}>{name}</option>
                  ))}
                </select>
              </label>
              <DigitCanvas ref={canvas} />
              <div className="row">
                <button type="button" onClick={() => canvas.current?.sample()}>
                  Draw a sample 7
                </button>
                <button type="button" onClick={() => canvas.current?.clear()}>
                  Clear
                </button>
              </div>
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  reset();
                  infer.mutate({
                    apiKey,
                    pixels: canvas.current!.pixels(),
                    ...(model ? { model } : {}),
                  });
                }}
              >
                <label>
                  API key{' '}
                  <input
                    type="password"
                    autoComplete="off"
                    value={apiKey}
                    onChange={(e) => setApiKey(e.target.value)}
                    required
                  />
                </label>
                <button type="submit" disabled={infer.isPending}>
                  Run inference
                </button>
              </form>
            </section>
            <section aria-label="Answer" aria-live="polite">
              {infer.error ? (
                <p role="alert" className="error">
                  {infer.error.message}
                </p>
              ) : null}
              {answer ? (
                <>
                  <h2>
                    Prediction: <span data-testid="prediction">{argmax(answer.outputs[0]!.data)}</span>
                  </h2>
                  <p>
                    Answered by node <span className="mono">{answer.receipt.node}</span> on {answer.network},
                    request <span className="mono">{answer.id}</span>.
                  </p>
                  <p className="mono small">
                    logits [{answer.outputs[0]!.data.map((v) => v.toFixed(2)).join(', ')}]
                  </p>
                  <details>
                    <summary>Receipt</summary>
                    <pre className="small">{JSON.stringify(answer.receipt, null, 2)}</pre>
                  </details>
                  <div className="row">
                    <button
                      type="button"
                      onClick={() =>
                        verify.mutate({
                          receipt: answer.receipt as unknown as Record<string, unknown>,
                          modelId: answer.modelId,
                        })
                      }
                    >
                      Verify receipt
                    </button>
                    <button type="button" onClick={() => challenge.mutate({ apiKey, id: answer.id })}>
                      Challenge
                    </button>
                  </div>
                  {verify.data ? (
                    <p role="status" className={verify.data.ok ? 'ok' : 'error'} data-testid="verify-result">
                      {verify.data.ok
                        ? `Receipt verified: signed by ${answer.receipt.node} for model ${answer.modelId.slice(0, 10)}…`
                        : `Receipt does not verify: ${verify.data.reason}`}
                    </p>
                  ) : null}
                  {challenge.data ? (
                    <p role="status" data-testid="challenge-result">
                      Challenge: {challenge.data.outcome}
                      {challenge.data.checkNetwork ? ` (replayed on ${challenge.data.checkNetwork})` : ''}.{' '}
                      {challenge.data.detail}
                    </p>
                  ) : null}
                  {(verify.error ?? challenge.error) ? (
                    <p role="alert" className="error">
                      {(verify.error ?? challenge.error)!.message}
                    </p>
                  ) : null}
                </>
              ) : (
                <p>Draw a digit, enter an API key, run the inference.</p>
              )}
            </section>
          </div>
        )}
      </QueryState>
    </>
  );
}
