// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Sha256Merkle} from "../Sha256Merkle.sol";
import {Step, Window} from "./StepTypes.sol";
import {TileRule} from "./TileRule.sol";

/// @title TensorOpener: opens a step's inputs against the agreed state root.
/// @notice Shared by every one-step verifier (re-execution and Groth16): each input's tensor
/// digest is the leaf at its node id in the state tree, then consecutive 1 KiB chunks of the
/// input are opened against that digest (docs/semantics.md §5).
abstract contract TensorOpener {
    /// @notice One input's opening: its digest in the state, and consecutive chunks of it.
    struct TensorOpening {
        bytes32 digest;
        bytes32[] stateProof;
        /// The root of the tensor's chunk tree: digest = H(0x02 ‖ u64be(byteLength) ‖ chunkRoot).
        bytes32 chunkRoot;
        uint256 firstChunk;
        /// Chunks firstChunk, firstChunk + 1, ... concatenated (only the tensor's last chunk is short).
        bytes data;
        bytes32[][] chunkProofs;
    }

    error WrongInputCount(uint256 openings, uint256 inputs);
    error InputNotInState(uint256 input, uint32 node);
    error InputDigestMismatch(uint256 input);
    error ChunkNotInTensor(uint256 input, uint256 chunk);
    error ChunkOutOfRange(uint256 input, uint256 chunk);

    /// @dev Opens every input of `step`; the windows hold the opened bytes of each input.
    function _openAll(bytes32 stateRoot, Step calldata step, TensorOpening[] memory openings)
        internal
        view
        returns (Window[] memory windows)
    {
        if (openings.length != step.inputNodes.length) revert WrongInputCount(openings.length, step.inputNodes.length);
        windows = new Window[](openings.length);
        for (uint256 j = 0; j < openings.length; j++) {
            windows[j] = _open(stateRoot, step, j, openings[j]);
        }
    }

    function _open(bytes32 stateRoot, Step calldata step, uint256 j, TensorOpening memory o)
        internal
        view
        returns (Window memory)
    {
        uint32 node = step.inputNodes[j];
        if (!Sha256Merkle.verify(stateRoot, Sha256Merkle.leafHash32(o.digest), node, o.stateProof)) {
            revert InputNotInState(j, node);
        }
        uint256 byteLength =
            TileRule.elements(step.inputTypes[j].shape) * TileRule.dtypeBytes(step.inputTypes[j].dtype);
        if (Sha256Merkle.tensorDigest(byteLength, o.chunkRoot) != o.digest) revert InputDigestMismatch(j);
        uint256 chunks = (byteLength + Sha256Merkle.CHUNK_BYTES - 1) / Sha256Merkle.CHUNK_BYTES;
        uint256 at = 0;
        for (uint256 k = 0; k < o.chunkProofs.length; k++) {
            uint256 chunk = o.firstChunk + k;
            if (chunk >= chunks) revert ChunkOutOfRange(j, chunk);
            uint256 size = chunk + 1 == chunks ? byteLength - chunk * Sha256Merkle.CHUNK_BYTES : Sha256Merkle.CHUNK_BYTES;
            if (at + size > o.data.length) revert ChunkNotInTensor(j, chunk);
            if (!Sha256Merkle.verify(o.chunkRoot, _leafOfSlice(o.data, at, size), chunk, o.chunkProofs[k])) {
                revert ChunkNotInTensor(j, chunk);
            }
            at += size;
        }
        if (at != o.data.length) revert ChunkNotInTensor(j, o.firstChunk + o.chunkProofs.length);
        return Window(o.firstChunk * Sha256Merkle.CHUNK_BYTES, o.data);
    }

    /// @dev H(0x00 ‖ data[at, at + size)) without copying the slice.
    function _leafOfSlice(bytes memory data, uint256 at, uint256 size) private view returns (bytes32 hash) {
        bytes memory buffer = new bytes(size + 1);
        assembly ("memory-safe") {
            let dst := add(buffer, 33)
            mcopy(dst, add(add(data, 32), at), size)
            mstore8(add(buffer, 32), 0)
            if iszero(staticcall(gas(), 0x02, add(buffer, 32), add(size, 1), 0x00, 0x20)) { revert(0, 0) }
            hash := mload(0x00)
        }
    }
}
