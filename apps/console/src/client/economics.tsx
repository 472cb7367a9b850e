'use client';
import { useQuery } from '@tanstack/react-query';
import { useDeferredValue, useState } from 'react';
import { useTRPC } from './trpc';

const FIELDS = [
  ['stake', 'Stake per node', '1 eth'],
  ['slash', 'Slashed per lost dispute', ''],
  ['claimBond', 'Claim bond', '0.01 eth'],
  ['challengeBond', 'Challenge bond', '0.1 eth'],
  ['costPerRequest', 'Cost of one honest request', '1000 gwei'],
] as const;

const eth = (wei: string | number) => `${(Number(wei) / 1e18).toPrecision(4)} ETH`;

/** Verification parameters with libs/dispute's economics calculator answering as they change. */
export function EconomicsCalculator() {
  const trpc = useTRPC();
  const [values, setValues] = useState<Record<string, string>>({});
  const [auditRate, setAuditRate] = useState('');
  const input = useDeferredValue({
    ...Object.fromEntries(Object.entries(values).filter(([, v]) => v.trim() !== '')),
    ...(auditRate.trim() !== '' ? { auditRate: Number(auditRate) } : {}),
  });
  const check = useQuery({
    ...trpc.economics.check.queryOptions(input),
    placeholderData: (previous) => previous,
  });
  return (
    <section aria-label="Verification parameters">
      <h2>3. Verification and economics</h2>
      <p className="muted">Empty fields keep the value from stoa.config.ts.</p>
      <div className="form">
        {FIELDS.map(([field, label, example]) => (
          <div key={field} className="form">
            <label htmlFor={field}>{label}</label>
            <input
              id={field}
              placeholder={example}
              value={values[field] ?? ''}
              onChange={(e) => setValues({ ...values, [field]: e.target.value })}
            />
          </div>
        ))}
        <label htmlFor="auditRate">Audit rate (0–1)</label>
        <input
          id="auditRate"
          inputMode="decimal"
          placeholder="0.05"
          value={auditRate}
          onChange={(e) => setAuditRate(e.target.value)}
        />
      </div>
      <div aria-live="polite" className="panel">
        {check.error ? <p className="error">{check.error.message}</p> : null}
        {check.data ? (
          <>
            <p>
              A cheating node gains {eth(check.data.gainIfUnnoticedWei)} per request unnoticed and loses{' '}
              {eth(check.data.lossIfCaughtWei)} when caught; expected gain at audit rate{' '}
              {check.data.auditRate}: {eth(check.data.expectedGainWei)}. Break-even audit rate:{' '}
              {check.data.breakEvenAuditRate.toExponential(2)}.
            </p>
            {check.data.problems.length ? (
              <ul className="error">
                {check.data.problems.map((p) => (
                  <li key={p.path}>
                    {p.path}: {p.message}
                  </li>
                ))}
              </ul>
            ) : (
              <p className="ok">Cheating does not pay under these parameters.</p>
            )}
          </>
        ) : null}
      </div>
    </section>
  );
}
