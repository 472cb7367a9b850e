'use client';
import { DeployRun } from '../../client/deploy-run';
import { EconomicsCalculator } from '../../client/economics';
import { Quotes } from '../../client/quotes';

export default function Deploy() {
  return (
    <>
      <h1>Deploy</h1>
      <Quotes />
      <EconomicsCalculator />
      <DeployRun />
    </>
  );
}
