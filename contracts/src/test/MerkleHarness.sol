// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Sha256Merkle} from "../Sha256Merkle.sol";

/// @notice Exposes Sha256Merkle's multiproof to differential tests; never deployed outside tests.
contract MerkleHarness {
    /// @notice The root that data `leaves` at `indices` reach through `proof` in a tree of `depth` levels.
    function rootFromMultiproof(bytes[] calldata leaves, uint256[] memory indices, uint256 depth, bytes32[] memory proof)
        external
        view
        returns (bytes32)
    {
        bytes32[] memory hashes = new bytes32[](leaves.length);
        for (uint256 i = 0; i < leaves.length; i++) hashes[i] = Sha256Merkle.leafHash(leaves[i]);
        return Sha256Merkle.rootFromMultiproof(hashes, indices, leaves.length, depth, proof);
    }
}
