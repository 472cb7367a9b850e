import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { receiptDomainOf } from '@stoa/contracts';
import { type SignedReceipt, verifyReceipt } from '@stoa/ir';
import type { DevChain } from '@stoa/sdk';
import { stoaCommand } from '../lib/command.js';
import { openProject } from '../lib/context.js';
import { CliError, EXIT } from '../lib/exit-codes.js';
import { DESCRIPTIONS } from './descriptions.js';
import { activeDeployment } from './status.js';

type ReplicaRow = Awaited<ReturnType<typeof activeDeployment>>['replicas'][number];

type WireReceipt = Omit<SignedReceipt, 'nonce'> & { nonce: string };

/** Who answered (a gateway names the network it routed to), what, and the node's receipt. */
interface Answer {
  readonly answeredBy: string;
  readonly outputs: unknown;
  readonly receipt: WireReceipt;
}

/**
 * The project's gateway: `--gateway`, else STOA_GATEWAY_URL, else the gateway of a `stoa dev`
 * serving this project (.stoa/dev.json). None: the replicas are called directly.
 */
function gatewayUrl(flag: string | undefined, stoaDir: string): string | undefined {
  const given = flag ?? process.env.STOA_GATEWAY_URL;
  if (given) return given.replace(/\/+$/, '');
  const devStack = join(stoaDir, 'dev.json');
  if (!existsSync(devStack)) return undefined;
  return (JSON.parse(readFileSync(devStack, 'utf8')) as { gatewayUrl?: string }).gatewayUrl;
}

/** Through the gateway, as every API client calls: the API key from STOA_API_KEY, never a flag (shell history). */
async function inferThroughGateway(gateway: string, model: string, body: unknown): Promise<Answer> {
  const key = process.env.STOA_API_KEY;
  if (!key)
    throw new CliError(
      `the deployment is served by the gateway at ${gateway}: set STOA_API_KEY to one of its API keys ('stoa keys create' makes one)`,
      EXIT.usage,
    );
  let response: Response;
  try {
    response = await fetch(`${gateway}/v1/models/${encodeURIComponent(model)}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new CliError(`the gateway at ${gateway} did not answer: ${(error as Error).message}`, EXIT.failure);
  }
  const json = (await response.json().catch(() => ({}))) as {
    outputs?: unknown;
    receipt?: WireReceipt;
    network?: string;
    error?: { message?: string; code?: string };
  };
  if (!response.ok || !json.receipt) {
    const why = json.error?.message ?? 'no receipt in the answer';
    throw new CliError(`the gateway refused (HTTP ${response.status}): ${why}`, EXIT.failure);
  }
  return {
    answeredBy: `${gateway} (${json.network ?? 'a replica'})`,
    outputs: json.outputs,
    receipt: json.receipt,
  };
}

/** Straight to the replicas (no gateway runs for the project): the first running one that answers. */
async function inferDirect(replicas: readonly ReplicaRow[], body: unknown): Promise<Answer> {
  const refusals: string[] = [];
  let gatewayOnly = false;
  for (const row of replicas.filter((r) => r.state === 'running' && r.endpoint)) {
    try {
      const response = await fetch(`${row.endpoint}/v1/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const json = (await response.json()) as { outputs?: unknown; receipt?: WireReceipt; error?: string };
      if (response.ok && json.receipt)
        return { answeredBy: row.endpoint!, outputs: json.outputs, receipt: json.receipt };
      gatewayOnly ||= response.status === 401;
      refusals.push(`${row.adapterId}: HTTP ${response.status} ${json.error ?? ''}`.trim());
    } catch (error) {
      refusals.push(`${row.adapterId}: ${(error as Error).message}`);
    }
  }
  const hint = gatewayOnly
    ? " (this deployment's nodes take inference only from its gateway: give --gateway <url> or STOA_GATEWAY_URL, and STOA_API_KEY)"
    : '';
  throw new CliError(`no replica answered: ${refusals.join('; ') || 'none is running'}${hint}`, EXIT.failure);
}

/** The text of `--file`; a file that cannot be read is the flag's error, naming the path tried. */
function readInputFile(path: string, given: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : (error as Error).message;
    throw new CliError(`--file ${given}: cannot read ${path} (${why})`, EXIT.usage);
  }
}

function readInput(args: { input?: string; file?: string; cwd?: string }): unknown {
  if (args.input && args.file) throw new CliError('give --input or --file, not both', EXIT.usage);
  const text = args.file
    ? readInputFile(resolve(args.cwd ?? process.cwd(), args.file), args.file)
    : args.input;
  if (!text) throw new CliError('give the input as --input <json> or --file <path>', EXIT.usage);
  const source = args.file ? `--file ${args.file}` : '--input';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${source}: not JSON (${(error as Error).message})`, EXIT.usage);
  }
  // A bare array of numbers is one input tensor.
  if (Array.isArray(value) && value.every((x) => typeof x === 'number')) return { inputs: [value] };
  if (typeof value === 'object' && value !== null && Array.isArray((value as { inputs?: unknown }).inputs)) {
    return { inputs: (value as { inputs: unknown[] }).inputs };
  }
  throw new CliError(`${source}: expected {"inputs": [[...]]} or an array of numbers`, EXIT.usage);
}

export const infer = stoaCommand({
  name: 'infer',
  description: DESCRIPTIONS.infer,
  args: {
    input: { type: 'string', description: 'input as JSON: {"inputs": [[...]]} or [...]' },
    file: { type: 'string', description: 'read the input JSON from a file' },
    model: {
      type: 'string',
      description:
        "the deployed model to call through the gateway, by name or modelId (default: this project's deployment)",
    },
    gateway: {
      type: 'string',
      description:
        "the gateway's URL (default: STOA_GATEWAY_URL, else a running `stoa dev`'s); the API key comes from STOA_API_KEY",
    },
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
      const gateway = gatewayUrl(args.gateway, ctx.stoaDir);
      if (args.model && !gateway)
        throw new CliError(
          '--model names a model the gateway serves: give --gateway <url> or STOA_GATEWAY_URL',
          EXIT.usage,
        );
      const answer = gateway
        ? await inferThroughGateway(
            gateway,
            args.model ?? (await activeDeployment(ctx)).deployment.name,
            body,
          )
        : await inferDirect((await activeDeployment(ctx)).replicas, body);
      const verified = args.verify ? await verifyAgainstChain(ctx.stoaDir, answer.receipt) : undefined;
      out.result(
        {
          endpoint: answer.answeredBy,
          outputs: answer.outputs,
          receipt: answer.receipt,
          ...(args.verify ? { verified } : {}),
        },
        () => [
          `answered by ${answer.answeredBy}`,
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

/** The receipt's signature against the project's chain (.stoa/chain.json). */
async function verifyAgainstChain(stoaDir: string, wire: WireReceipt): Promise<boolean> {
  const chainFile = join(stoaDir, 'chain.json');
  if (!existsSync(chainFile))
    throw new CliError(`--verify needs the project's chain: ${chainFile} does not exist`, EXIT.usage);
  const chain = JSON.parse(readFileSync(chainFile, 'utf8')) as DevChain;
  const receipt = { ...wire, nonce: BigInt(wire.nonce) } as SignedReceipt;
  return verifyReceipt(receipt, receiptDomainOf(chain.addresses));
}
