import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type SignedReceipt, verifyReceipt } from '@stoa/ir';
import type { DevChain } from '@stoa/sdk';
import { stoaCommand } from '../lib/command.js';
import { openProject } from '../lib/context.js';
import { CliError, EXIT } from '../lib/exit-codes.js';
import { activeDeployment } from './status.js';

type WireReceipt = Omit<SignedReceipt, 'nonce'> & { nonce: string };

function readInput(args: { input?: string; file?: string; cwd?: string }): unknown {
  if (args.input && args.file) throw new CliError('give --input or --file, not both', EXIT.usage);
  const text = args.file ? readFileSync(resolve(args.cwd ?? process.cwd(), args.file), 'utf8') : args.input;
  if (!text) throw new CliError('give the input as --input <json> or --file <path>', EXIT.usage);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${args.file ?? '--input'}: not JSON (${(error as Error).message})`, EXIT.usage);
  }
  // A bare array of numbers is one input tensor.
  if (Array.isArray(value) && value.every((x) => typeof x === 'number')) return { inputs: [value] };
  if (typeof value === 'object' && value !== null && Array.isArray((value as { inputs?: unknown }).inputs)) {
    return { inputs: (value as { inputs: unknown[] }).inputs };
  }
  throw new CliError(
    `${args.file ?? '--input'}: expected {"inputs": [[...]]} or an array of numbers`,
    EXIT.usage,
  );
}

export const infer = stoaCommand({
  name: 'infer',
  description: "send one input to a replica; print the outputs and the node's signed receipt",
  args: {
    input: { type: 'string', description: 'input as JSON: {"inputs": [[...]]} or [...]' },
    file: { type: 'string', description: 'read the input JSON from a file' },
    verify: {
      type: 'boolean',
      description: "check the receipt's signature against the chain",
      default: false,
    },
  },
  async run(args, out) {
    const body = readInput(args);
    const ctx = await openProject(out, args.cwd);
    try {
      const { replicas } = await activeDeployment(ctx);
      // Until the gateway exists, infer calls a node directly: the first replica that answers.
      const candidates = replicas.filter((r) => r.state === 'running' && r.endpoint);
      let answer: { endpoint: string; outputs: unknown; receipt: WireReceipt } | undefined;
      const refusals: string[] = [];
      for (const row of candidates) {
        try {
          const response = await fetch(`${row.endpoint}/v1/infer`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(30_000),
          });
          const json = (await response.json()) as {
            outputs?: unknown;
            receipt?: WireReceipt;
            error?: string;
          };
          if (response.ok && json.receipt) {
            answer = { endpoint: row.endpoint!, outputs: json.outputs, receipt: json.receipt };
            break;
          }
          refusals.push(`${row.adapterId}: HTTP ${response.status} ${json.error ?? ''}`.trim());
        } catch (error) {
          refusals.push(`${row.adapterId}: ${(error as Error).message}`);
        }
      }
      if (!answer) throw new CliError(`no replica answered: ${refusals.join('; ')}`, EXIT.failure);
      let verified: boolean | undefined;
      if (args.verify) {
        const chain = JSON.parse(readFileSync(join(ctx.stoaDir, 'chain.json'), 'utf8')) as DevChain;
        const receipt = { ...answer.receipt, nonce: BigInt(answer.receipt.nonce) } as SignedReceipt;
        verified = await verifyReceipt(receipt, {
          chainId: chain.addresses.chainId,
          verifyingContract: chain.addresses.claimRegistry,
        });
      }
      out.result(
        {
          endpoint: answer.endpoint,
          outputs: answer.outputs,
          receipt: answer.receipt,
          ...(args.verify ? { verified } : {}),
        },
        () => [
          `answered by ${answer.endpoint}`,
          `outputs  ${JSON.stringify(answer.outputs).slice(0, 200)}`,
          `receipt  signed by ${answer.receipt.node}, nonce ${answer.receipt.nonce}`,
          `         traceRoot ${answer.receipt.traceRoot}`,
          ...(args.verify
            ? [verified ? 'verified: the signature recovers to the node, for this chain' : 'NOT VERIFIED']
            : []),
        ],
      );
      if (verified === false) process.exitCode = EXIT.verification;
    } finally {
      await ctx.close();
    }
  },
});
