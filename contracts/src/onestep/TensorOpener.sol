// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Sha256Merkle} from "../Sha256Merkle.sol";
import {Step, Window} from "./StepTypes.sol";
import {TileRule} from "./TileRule.sol";
import {TileOperands} from "./TileOperands.sol";

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
        /// One Merkle multiproof of every opened chunk under chunkRoot (Sha256Merkle.rootFromMultiproof):
        /// the sibling hashes that are not computed from opened chunks, level by level from the
        /// leaves, left to right. Empty when no chunk is opened.
        bytes32[] chunkProof;
        /// Empty: the chunks are firstChunk, firstChunk + 1, ... Otherwise the index of each
        /// opened chunk, ascending (several ranges; firstChunk is chunks[0]): only a Conv or
        /// ConvTranspose step's first input is opened so, and `_cropRows` reads it.
        uint256[] chunks;
    }

    error WrongInputCount(uint256 openings, uint256 inputs);
    error InputNotInState(uint256 input, uint32 node);
    error InputDigestMismatch(uint256 input);
    error ChunkNotInTensor(uint256 input, uint256 chunk);
    error ChunkOutOfRange(uint256 input, uint256 chunk);
    /// @notice Several ranges were opened for an input, or for a tile, that `_cropRows` cannot crop.
    error CannotCrop(uint256 input);

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
        uint256 byteLength =
            TileRule.elements(step.inputTypes[j].shape) * TileRule.dtypeBytes(step.inputTypes[j].dtype);
        uint256 chunks = (byteLength + Sha256Merkle.CHUNK_BYTES - 1) / Sha256Merkle.CHUNK_BYTES;
        bool listed = o.chunks.length != 0;
        if (listed && o.chunks[0] != o.firstChunk) revert CannotCrop(j);
        // A contiguous opening holds as many chunks as its data spans (only the last may be short).
        uint256 n = listed ? o.chunks.length : (o.data.length + Sha256Merkle.CHUNK_BYTES - 1) / Sha256Merkle.CHUNK_BYTES;
        // Leaf hashes and their indices: first the digest's in the state tree (one leaf, a proof of
        // any depth), then the opened chunks' in the tensor's chunk tree.
        bytes32[] memory leaves = new bytes32[](n + 1);
        uint256[] memory indices = new uint256[](n + 1);
        indices[0] = node;
        if (_digestHashes(o.digest, byteLength, o.chunkRoot, leaves) != o.digest) revert InputDigestMismatch(j);
        if (
            uint256(node) >> o.stateProof.length != 0
                || Sha256Merkle.rootFromMultiproof(leaves, indices, 1, o.stateProof.length, o.stateProof) != stateRoot
        ) revert InputNotInState(j, node);
        uint256 at = 0;
        // Offsets and indices are bounded by the calldata's length: no overflow.
        unchecked {
            for (uint256 k = 0; k < n; k++) {
                uint256 chunk = listed ? o.chunks[k] : o.firstChunk + k;
                if (chunk >= chunks || (k > 0 && chunk <= indices[k - 1])) revert ChunkOutOfRange(j, chunk);
                uint256 size = chunk + 1 == chunks ? byteLength - chunk * Sha256Merkle.CHUNK_BYTES : Sha256Merkle.CHUNK_BYTES;
                if (at + size > o.data.length) revert ChunkNotInTensor(j, chunk);
                leaves[k] = _leafOfSlice(o.data, at, size);
                indices[k] = chunk;
                at += size;
            }
        }
        if (at != o.data.length) revert ChunkNotInTensor(j, o.firstChunk + n);
        if (
            n != 0
                && Sha256Merkle.rootFromMultiproof(leaves, indices, n, Sha256Merkle.depthOf(chunks), o.chunkProof)
                    != o.chunkRoot
        ) revert ChunkNotInTensor(j, o.firstChunk);
        // Several ranges are no window: nothing reads them but `_cropRows`.
        return listed ? Window(0, "") : Window(o.firstChunk * Sha256Merkle.CHUNK_BYTES, o.data);
    }

    /// @dev For a Conv (21) or ConvTranspose (23) tile [start, end) inside one output plane whose
    /// input 0 was opened as several ranges (o.chunks): the input rows the tile reads, in every
    /// channel, copied into one window, and `s` rewritten in place into the same op over those
    /// rows only (input and output heights, top padding), with the tile's range in it. The tile's
    /// outputs are the same: each reads exactly these rows, at the same kernel taps. So a tile
    /// reading every channel of a pixel opens C_in short ranges instead of the whole tensor.
    function _cropRows(Step memory s, TensorOpening memory o, uint256[2] memory tile)
        internal
        pure
        returns (Window memory)
    {
        if ((s.op != 21 && s.op != 23) || s.inputTypes[0].shape[0] != 1) revert CannotCrop(0);
        uint32[] memory ys = s.outputType.shape;
        uint256 plane = uint256(ys[2]) * ys[3];
        if (tile[1] <= tile[0] || tile[0] / plane != (tile[1] - 1) / plane) revert CannotCrop(0);
        uint256 i0 = (tile[0] % plane) / ys[3];
        uint256 outRows = ((tile[1] - 1) % plane) / ys[3] - i0 + 1;
        (uint256 lo, uint256 rows) = _rowsRead(s, i0, i0 + outRows - 1);
        bytes memory image = _rowImage(o, s.inputTypes[0].shape, TileRule.dtypeBytes(s.inputTypes[0].dtype), lo, rows);
        s.inputTypes[0].shape[2] = uint32(rows);
        ys[2] = uint32(outRows);
        uint256 first = (tile[0] / plane) * outRows * ys[3] + tile[0] % plane - i0 * ys[3];
        tile[1] = first + tile[1] - tile[0];
        tile[0] = first;
        return Window(0, image);
    }

    /// @dev The input rows lo .. lo + rows − 1 that output rows i0..i1 read; sets the top padding
    /// that makes row lo the first input row.
    function _rowsRead(Step memory s, uint256 i0, uint256 i1) private pure returns (uint256, uint256) {
        (uint256 pads,) = TileOperands.attr(s.attrs, 1);
        // Shapes and attributes of a step are far below 2^64: no overflow.
        unchecked {
            int256 top = s.attrs[pads];
            int256 sh = TileOperands.attrValue(s.attrs, 0, 0);
            int256 kh = int256(uint256(s.inputTypes[1].shape[2]));
            int256 h = int256(uint256(s.inputTypes[0].shape[2]));
            // The first and last input row read (unclipped).
            int256 lo = int256(i0) * sh - top;
            int256 hi;
            if (s.op == 21) {
                hi = int256(i1) * sh - top + (kh - 1) * TileOperands.attrValue(s.attrs, 2, 0);
            } else {
                // ConvTranspose: output row y reads input row i where y = i·sh − top + u, u < kh.
                lo = int256(i0) + top - kh + 1 <= 0 ? int256(0) : (int256(i0) + top - kh + sh) / sh;
                hi = (int256(i1) + top) / sh;
            }
            if (lo < 0) lo = 0;
            if (hi >= h) hi = h - 1;
            top = s.op == 21 ? top + lo - int256(i0) * sh : top + int256(i0) - lo * sh;
            if (hi < lo || top < 0) revert CannotCrop(0);
            s.attrs[pads] = int64(top);
            return (uint256(lo), uint256(hi - lo + 1));
        }
    }

    /// @dev Rows lo .. lo + rows − 1 of every channel of the [1, C, H, W] input opened in `o`:
    /// each channel's rows are chunks k0..k1, which the opening must list consecutively.
    function _rowImage(TensorOpening memory o, uint32[] memory xs, uint256 width, uint256 lo, uint256 rows)
        internal
        pure
        returns (bytes memory image)
    {
        width *= xs[3]; // bytes per row
        rows *= width; // bytes per channel
        image = new bytes(uint256(xs[1]) * rows);
        assembly ("memory-safe") {
            let dst := add(image, 32)
            let chunks := mload(add(o, 192))
            let p := 0
            for { let c := 0 } lt(c, mload(add(xs, 64))) { c := add(c, 1) } {
                let b := mul(add(mul(c, mload(add(xs, 96))), lo), width)
                let k0 := shr(10, b)
                let q := sub(shr(10, sub(add(b, rows), 1)), k0)
                for {} and(lt(p, mload(chunks)), lt(mload(add(chunks, shl(5, add(p, 1)))), k0)) {} { p := add(p, 1) }
                q := add(p, q)
                if or(
                    iszero(lt(q, mload(chunks))),
                    iszero(and(eq(mload(add(chunks, shl(5, add(p, 1)))), k0), eq(mload(add(chunks, shl(5, add(q, 1)))), add(k0, sub(q, p)))))
                ) {
                    // CannotCrop(0)
                    mstore(0, shl(224, 0xf41ae8da))
                    mstore(4, 0)
                    revert(0, 36)
                }
                mcopy(dst, add(add(mload(add(o, 128)), 32), add(shl(10, p), and(b, 1023))), rows)
                dst := add(dst, rows)
            }
        }
    }

    /// @dev Sha256Merkle.tensorDigest(byteLength, chunkRoot), and Sha256Merkle.leafHash32(digest)
    /// written to leaves[0], the precompile called directly (the kernel verifiers have little code
    /// room for abi.encodePacked).
    function _digestHashes(bytes32 digest, uint256 byteLength, bytes32 chunkRoot, bytes32[] memory leaves)
        private
        view
        returns (bytes32 tensorDigest)
    {
        assembly ("memory-safe") {
            let b := mload(0x40)
            mstore8(b, 0)
            mstore(add(b, 1), digest)
            if iszero(staticcall(gas(), 0x02, b, 33, add(leaves, 32), 0x20)) { revert(0, 0) }
            // 0x02 ‖ u64be(byteLength) ‖ chunkRoot
            mstore(b, or(shl(248, 2), shl(184, and(byteLength, 0xffffffffffffffff))))
            mstore(add(b, 9), chunkRoot)
            if iszero(staticcall(gas(), 0x02, b, 41, 0x00, 0x20)) { revert(0, 0) }
            tensorDigest := mload(0x00)
        }
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
