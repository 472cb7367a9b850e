// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Sha256Merkle: the commitments of docs/semantics.md §5 in Solidity.
/// @notice Binary SHA-256 trees: leaf = H(0x00 ‖ data), node = H(0x01 ‖ left ‖ right), the
/// leaf level padded with 32 zero bytes (not hashed) to a power of two. A tensor digest is
/// H(0x02 ‖ u64be(byteLength) ‖ root of its 1 KiB chunks); a trace step leaf is
/// H(0x03 ‖ u64be(step) ‖ u64be(edge) ‖ state root after ‖ output digest); a boundary digest is
/// H(0x04 ‖ root over the boundary tensors' digests).
library Sha256Merkle {
    uint256 internal constant CHUNK_BYTES = 1024;

    function leafHash(bytes memory data) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(uint8(0), data));
    }

    function leafHash32(bytes32 data) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(uint8(0), data));
    }

    function nodeHash(bytes32 left, bytes32 right) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(uint8(1), left, right));
    }

    function tensorDigest(uint256 byteLength, bytes32 chunkRoot) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(uint8(2), uint64(byteLength), chunkRoot));
    }

    function stepLeaf(uint256 step, uint256 edge, bytes32 stateAfter, bytes32 outputDigest)
        internal
        pure
        returns (bytes32)
    {
        return sha256(abi.encodePacked(uint8(3), uint64(step), uint64(edge), stateAfter, outputDigest));
    }

    function boundaryDigest(bytes32[] memory digests) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(uint8(4), rootOf32(digests)));
    }

    /// @notice The root a leaf hash reaches through `proof` (siblings from the leaf up).
    function rootFromProof(bytes32 leaf, uint256 index, bytes32[] memory proof) internal pure returns (bytes32 hash) {
        hash = leaf;
        for (uint256 i = 0; i < proof.length; i++) {
            hash = (index & 1) == 0 ? nodeHash(hash, proof[i]) : nodeHash(proof[i], hash);
            index >>= 1;
        }
    }

    /// @notice Whether `leaf` (already leaf-hashed) sits at `index` under `root`.
    function verify(bytes32 root, bytes32 leaf, uint256 index, bytes32[] memory proof) internal pure returns (bool) {
        if (proof.length < 256 && index >> proof.length != 0) return false;
        return rootFromProof(leaf, index, proof) == root;
    }

    /// @notice The root that the first `n` (≥ 1) leaf hashes `leaves`, at the strictly ascending
    /// `indices` (each below 2^depth), reach in a tree of `depth` levels through the multiproof `proof`: level by
    /// level from the leaves, each node left to right is hashed with its sibling, which is the next
    /// node computed when that is the right sibling, else the next word of `proof`. Zero when
    /// `proof` is not consumed exactly. Overwrites `leaves` and `indices`. A single leaf's multiproof
    /// is its ordinary proof (`rootFromProof`).
    function rootFromMultiproof(
        bytes32[] memory leaves,
        uint256[] memory indices,
        uint256 n,
        uint256 depth,
        bytes32[] memory proof
    ) internal view returns (bytes32 root) {
        assembly ("memory-safe") {
            let p := add(proof, 32)
            // H(0x01 ‖ left ‖ right) is hashed from scratch memory past the free pointer.
            let buf := mload(0x40)
            mstore8(buf, 1)
            for {} depth { depth := sub(depth, 1) } {
                let m := 0
                for { let i := 0 } lt(i, n) {} {
                    let x := mload(add(indices, shl(5, add(i, 1))))
                    let h := mload(add(leaves, shl(5, add(i, 1))))
                    i := add(i, 1)
                    switch and(x, 1)
                    case 0 {
                        mstore(add(buf, 1), h)
                        switch and(lt(i, n), eq(mload(add(indices, shl(5, add(i, 1)))), add(x, 1)))
                        case 0 {
                            mstore(add(buf, 33), mload(p))
                            p := add(p, 32)
                        }
                        default {
                            mstore(add(buf, 33), mload(add(leaves, shl(5, add(i, 1)))))
                            i := add(i, 1)
                        }
                    }
                    default {
                        mstore(add(buf, 1), mload(p))
                        mstore(add(buf, 33), h)
                        p := add(p, 32)
                    }
                    if iszero(staticcall(gas(), 0x02, buf, 65, 0x00, 0x20)) { revert(0, 0) }
                    m := add(m, 1)
                    mstore(add(indices, shl(5, m)), shr(1, x))
                    mstore(add(leaves, shl(5, m)), mload(0x00))
                }
                n := m
            }
            root := mload(add(leaves, 32))
            if iszero(eq(p, add(add(proof, 32), shl(5, mload(proof))))) { root := 0 }
        }
    }

    /// @notice Root over 32-byte leaves (each leaf-hashed); the root of no leaves is zero.
    function rootOf32(bytes32[] memory leaves) internal pure returns (bytes32) {
        if (leaves.length == 0) return bytes32(0);
        bytes32[] memory level = new bytes32[](leaves.length);
        for (uint256 i = 0; i < leaves.length; i++) level[i] = leafHash32(leaves[i]);
        return rootOfHashes(level);
    }

    /// @notice Root over already-hashed leaves, the level padded with zero words to a power of
    /// two (pairs of padding hash like any other pair, as in the TypeScript tree).
    function rootOfHashes(bytes32[] memory leaves) internal pure returns (bytes32) {
        uint256 width = 1;
        while (width < leaves.length) width <<= 1;
        bytes32[] memory level = new bytes32[](width);
        for (uint256 i = 0; i < leaves.length; i++) level[i] = leaves[i];
        while (width > 1) {
            for (uint256 i = 0; i < width; i += 2) level[i >> 1] = nodeHash(level[i], level[i + 1]);
            width >>= 1;
        }
        return level[0];
    }

    /// @notice Depth of the tree over `leaves` leaves (0 for one leaf).
    function depthOf(uint256 leaves) internal pure returns (uint256 depth) {
        while ((uint256(1) << depth) < leaves) depth++;
    }
}
