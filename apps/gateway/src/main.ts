#!/usr/bin/env node
/**
 * The gateway process: configuration from STOA_GATEWAY_* variables (see the README), secrets
 * given by reference (a file or an environment variable, never on the command line).
 */
import { join } from 'node:path';
import { chainClient, readAddresses } from '@stoa/contracts';
import { keySecret, openDatabase, resolveSecret } from '@stoa/sdk';
import { privateKeyToAccount } from 'viem/accounts';
import { configFromEnv } from './config.js';
import { readTokenizers } from './openai/tokenizer-files.js';
import { startFeeSettling } from './receipts/fee-settle-loop.js';
import { startGateway } from './server.js';

const log = (level: string, msg: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);

let config: ReturnType<typeof configFromEnv>;
let tokenizers: Awaited<ReturnType<typeof readTokenizers>>;
try {
  config = configFromEnv(process.env);
  tokenizers = await readTokenizers(config.tokenizerFiles);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}
const db = await openDatabase(config.databaseUrl);
const addresses = await readAddresses(config.contractsFile);
const voucherAccount = config.voucherKey
  ? privateKeyToAccount(resolveSecret(config.voucherKey) as `0x${string}`)
  : undefined;
const gateway = await startGateway({
  db,
  keySecret: keySecret(config.stoaDir),
  gatewaySecret: Buffer.from(resolveSecret(config.gatewaySecret), 'utf8'),
  chain: { client: chainClient(config.rpcUrl), addresses },
  host: config.host,
  port: config.port,
  spoolDir: config.spoolDir ?? join(config.stoaDir, 'gateway-spool', String(config.port)),
  flushMs: config.flushMs,
  spotCheckRate: config.spotCheckRate,
  batchesInFlight: config.batchesInFlight,
  challengeLeaseMs: config.challengeLeaseMs,
  ...(Object.keys(tokenizers).length > 0 ? { tokenizers } : {}),
  ...(config.challengerKey
    ? { challenger: privateKeyToAccount(resolveSecret(config.challengerKey) as `0x${string}`) }
    : {}),
  ...(voucherAccount && config.feeEscrow
    ? {
        voucher: {
          account: voucherAccount,
          escrow: { chainId: addresses.chainId, verifyingContract: config.feeEscrow },
        },
      }
    : {}),
  log,
});
log('info', 'listening', { url: gateway.url, replayedBatches: gateway.replayed });
// With vouchers on, the gateway is also its deployments' settler: their nodes get paid without it
// handing its vouchers to anyone.
const settling =
  voucherAccount && config.feeEscrow
    ? startFeeSettling({
        db,
        client: chainClient(config.rpcUrl),
        rpcUrl: config.rpcUrl,
        chainId: addresses.chainId,
        claimRegistry: addresses.claimRegistry,
        escrow: config.feeEscrow,
        account: voucherAccount,
        everyMs: config.settleMs,
        log,
      })
    : undefined;
const stop = async () => {
  await settling?.stop();
  await gateway.stop();
  await db.$disconnect();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
