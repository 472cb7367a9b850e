// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Receipts: the EIP-712 receipt a node signs for every answer (libs/ir trace/receipt.ts).
/// @notice Domain {name "Stoa", version "1", chainId, verifyingContract = the ClaimRegistry}.
/// A batch claim commits to receipts as a SHA-256 Merkle tree whose leaf data is
/// `eip712Digest ‖ signature` (32 + 65 bytes).
library Receipts {
    struct Receipt {
        bytes32 modelId;
        bytes32 inputDigest;
        bytes32 outputDigest;
        bytes32 traceRoot;
        uint32 steps;
        address node;
        uint64 nonce;
    }

    bytes32 internal constant RECEIPT_TYPEHASH = keccak256(
        "Receipt(bytes32 modelId,bytes32 inputDigest,bytes32 outputDigest,bytes32 traceRoot,uint32 steps,address node,uint64 nonce)"
    );

    function domainSeparator(address claimRegistry) internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("Stoa"),
                keccak256("1"),
                block.chainid,
                claimRegistry
            )
        );
    }

    function digest(Receipt calldata r, bytes32 separator) internal pure returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(RECEIPT_TYPEHASH, r.modelId, r.inputDigest, r.outputDigest, r.traceRoot, r.steps, r.node, r.nonce)
        );
        return keccak256(abi.encodePacked("\x19\x01", separator, structHash));
    }

    /// @notice The signer of `receiptDigest`, or address(0) for a malformed or malleable signature.
    function signer(bytes32 receiptDigest, bytes calldata signature) internal pure returns (address) {
        if (signature.length != 65) return address(0);
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        // Only low-s signatures (EIP-2): each receipt has exactly one valid signature.
        if (uint256(s) > 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0) return address(0);
        if (v != 27 && v != 28) return address(0);
        return ecrecover(receiptDigest, v, r, s);
    }
}
