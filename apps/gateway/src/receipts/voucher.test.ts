import { receiptDigest, voucherDigest } from '@stoa/contracts';
import { execute, randomGraph } from '@stoa/ir';
import { recoverAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../config.js';
import { voucherSigner } from './voucher.js';

const node = privateKeyToAccount(generatePrivateKey());
const gateway = privateKeyToAccount(generatePrivateKey());
const receiptDomain = {
  chainId: 31337,
  verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
} as const;
const escrow = { chainId: 31337, verifyingContract: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512' } as const;

describe("the gateway's vouchers", () => {
  it("signs, with the gateway's key, the voucher of the receipt a node answered with", async () => {
    const { model, inputs } = randomGraph(3);
    const receipt = (
      await execute(model, inputs, { sign: { account: node, domain: receiptDomain, nonce: 7n } })
    ).receipt!;
    const wire = { ...receipt, nonce: receipt.nonce.toString() };
    const voucher = await voucherSigner({ account: gateway, escrow }, receiptDomain)(wire);
    const digest = receiptDigest(receipt, receiptDomain);
    expect(await recoverAddress({ hash: voucherDigest(digest, escrow), signature: voucher })).toBe(
      gateway.address,
    );
    // Another receipt (another nonce) is another voucher: one voucher pays one receipt.
    const other = await voucherSigner({ account: gateway, escrow }, receiptDomain)({ ...wire, nonce: '8' });
    expect(other).not.toBe(voucher);
  });

  it('takes the voucher key only by reference, and only together with the escrow address', () => {
    const base = {
      STOA_RPC_URL: 'http://127.0.0.1:8545',
      STOA_CONTRACTS_FILE: 'addresses.json',
      STOA_GATEWAY_SECRET: 'env:GATEWAY_SECRET',
    };
    expect(() => configFromEnv({ ...base, STOA_GATEWAY_VOUCHER_KEY: generatePrivateKey() })).toThrow(
      /STOA_GATEWAY_VOUCHER_KEY: must reference a secret/,
    );
    expect(() => configFromEnv({ ...base, STOA_GATEWAY_VOUCHER_KEY: 'env:VOUCHER_KEY' })).toThrow(
      /STOA_GATEWAY_VOUCHER_KEY: must be given together with STOA_FEE_ESCROW/,
    );
    expect(() => configFromEnv({ ...base, STOA_FEE_ESCROW: '0x12' })).toThrow(
      /STOA_FEE_ESCROW: must be the FeeEscrow/,
    );
    const config = configFromEnv({
      ...base,
      STOA_GATEWAY_VOUCHER_KEY: 'env:VOUCHER_KEY',
      STOA_FEE_ESCROW: escrow.verifyingContract,
    });
    expect(config).toMatchObject({ voucherKey: 'env:VOUCHER_KEY', feeEscrow: escrow.verifyingContract });
  });
});
