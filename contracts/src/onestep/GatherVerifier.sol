// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {KernelVerifier} from "./KernelVerifier.sol";
import {Step, Window} from "./StepTypes.sol";
import {ElementwiseKernels} from "./ElementwiseKernels.sol";
import {LayoutKernels} from "./LayoutKernels.sol";
import {TileKernels} from "./TileKernels.sol";
import {TileOperands} from "./TileOperands.sol";

/// @title GatherVerifier: the kernel verifier of Add (10), Sub (11), Mul (12) and Transpose (41),
/// whose tiles may read an input in two or more distant ranges.
/// @notice A Transpose tile whose output crosses a block of its outer axes, or an Add whose
/// broadcast operand's reads wrap past its end (a bias under a tile across two rows), reads
/// the end and the start of an input: one contiguous window would be the whole tensor, each
/// 1 KiB of it ~40 gas of calldata (EIP-7623). Such an input is opened as the chunks read
/// (TensorOpener's listed form) and read here from those chunks only:
/// - Transpose: every run of the tile is copied from the listed chunks holding it
///   (`LayoutKernels.transposeListed`, each chunk checked listed), and the step rewritten into
///   the identity permutation of the output's shape over those bytes.
/// - Add, Sub, Mul: an input broadcast along leading axes only (its shape, less leading 1s, the
///   output's trailing axes), so output element i reads its element i mod P: the cyclic range
///   the tile reads is checked listed, and the listed chunks placed at their offsets in a window
///   over the whole input (bytes of unlisted chunks are zero and never read).
/// Contiguous openings settle as in the verifiers these ops came from, with the same kernels.
contract GatherVerifier is KernelVerifier {
    uint16 private constant TRANSPOSE = 41;

    function ops() external pure returns (uint256) {
        return (uint256(0x7) << TileKernels.ADD) | (uint256(1) << TRANSPOSE);
    }

    function _run(Step memory step, Window[] memory inputs, uint256 start, uint256 end)
        internal
        pure
        override
        returns (bytes memory out)
    {
        uint16 op = step.op;
        if (op != TRANSPOSE && (op < TileKernels.ADD || op > TileKernels.MUL)) revert TileKernels.UnknownOp(op);
        uint256 dst;
        (out, dst) = TileKernels.output(step, start, end);
        if (start == end) return out;
        if (op == TRANSPOSE) LayoutKernels.transpose(step, inputs, start, end, dst);
        else ElementwiseKernels.binary(step, inputs, start, end, dst);
    }

    function _crop(Step memory s, TensorOpening[] memory openings, Window[] memory windows, uint256[2] memory tile)
        internal
        pure
        override
    {
        for (uint256 j = 0; j < openings.length; j++) {
            if (openings[j].chunks.length == 0) continue;
            uint256 total = TileOperands.elementCount(s.outputType.shape);
            if (tile[0] >= tile[1] || tile[1] > total) revert TileKernels.TileOutOfRange(tile[0], tile[1], total);
            windows[j] = s.op == TRANSPOSE ? _gather(s, openings[j], tile) : _broadcastImage(s, openings[j], j, tile);
        }
    }

    /// @dev The tile's outputs gathered from the listed chunks; the step becomes the identity
    /// permutation of the output's shape, whose tile is a copy of them.
    function _gather(Step memory s, TensorOpening memory o, uint256[2] memory tile) private pure returns (Window memory) {
        uint256 width = TileOperands.widthOf(s.inputTypes[0].dtype);
        bytes memory image = new bytes((tile[1] - tile[0]) * width);
        uint256 dst;
        assembly ("memory-safe") {
            dst := add(image, 32)
        }
        LayoutKernels.transposeListed(s, o.chunks, o.data, tile[0], tile[1], dst);
        s.inputTypes[0].shape = s.outputType.shape;
        (uint256 at, uint256 count) = TileOperands.attr(s.attrs, 0);
        for (uint256 d = 0; d < count; d++) {
            s.attrs[at + d] = int64(int256(d));
        }
        return Window(tile[0] * width, image);
    }

    /// @dev Input j of a binary op, broadcast along leading axes only, as a window over all of it
    /// holding the listed chunks; the elements the tile reads (i mod P for i in the tile) are
    /// checked listed.
    function _broadcastImage(Step memory s, TensorOpening memory o, uint256 j, uint256[2] memory tile)
        private
        pure
        returns (Window memory)
    {
        uint32[] memory xs = s.inputTypes[j].shape;
        uint32[] memory ys = s.outputType.shape;
        uint256 p = TileOperands.elementCount(xs);
        // xs's trailing axes whose product is P must be the output's.
        for ((uint256 k, uint256 q) = (1, 1); q < p; k++) {
            if (k > xs.length || k > ys.length || xs[xs.length - k] != ys[ys.length - k]) revert CannotCrop(j);
            q *= xs[xs.length - k];
        }
        uint256 width = TileOperands.widthOf(s.inputTypes[j].dtype);
        uint256 lo = tile[0] % p;
        uint256 hi = (tile[1] - 1) % p;
        if (tile[1] - tile[0] >= p) (lo, hi) = (0, p - 1);
        if (lo <= hi) {
            LayoutKernels.listedSpan(o.chunks, o.data, j, lo * width, (hi - lo + 1) * width, width);
        } else {
            LayoutKernels.listedSpan(o.chunks, o.data, j, lo * width, (p - lo) * width, width);
            LayoutKernels.listedSpan(o.chunks, o.data, j, 0, (hi + 1) * width, width);
        }
        bytes memory image = new bytes(p * width);
        uint256[] memory chunks = o.chunks;
        bytes memory data = o.data;
        uint256 at = 0;
        for (uint256 k = 0; k < chunks.length; k++) {
            uint256 from = chunks[k] << 10;
            uint256 size = image.length - from < 1024 ? image.length - from : 1024;
            assembly ("memory-safe") {
                mcopy(add(add(image, 32), from), add(add(data, 32), at), size)
            }
            at += size;
        }
        return Window(0, image);
    }
}
