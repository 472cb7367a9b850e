// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {KernelVerifier} from "./KernelVerifier.sol";
import {Step, Window} from "./StepTypes.sol";
import {TileOperands} from "./TileOperands.sol";
import {TileRule} from "./TileRule.sol";
import {ConvAccumulateKernels} from "./ConvAccumulateKernels.sol";

/// @title ConvAccumulateVerifier: the kernel verifier of ConvAccumulate (58) and
/// ConvTransposeAccumulate (59), one link of a Conv or a ConvTranspose split over input channels
/// (docs/semantics.md §9).
/// @notice A listed (several-range) opening of
/// input 0 is cropped here, not by TensorOpener._cropRows: the rows the tile's output rows read,
/// in the link's channels [start, start + c) only, become the whole input, the step rewritten in
/// memory to read them (channels c, height = those rows, start 0, top padding moved down by the
/// first row; for a ConvTranspose link, by first row · sh, which may make it negative). Output
/// geometry, the tile and the other inputs are unchanged, so each output reads the same values at
/// the same taps.
contract ConvAccumulateVerifier is KernelVerifier {
    function ops() external pure returns (uint256) {
        return (1 << ConvAccumulateKernels.CONV_ACCUMULATE) | (1 << ConvAccumulateKernels.CONV_TRANSPOSE_ACCUMULATE);
    }

    function _run(Step memory step, Window[] memory inputs, uint256 start, uint256 end)
        internal
        pure
        override
        returns (bytes memory)
    {
        return ConvAccumulateKernels.run(step, inputs, start, end);
    }

    function _crop(Step memory s, TensorOpening[] memory openings, Window[] memory windows, uint256[2] memory tile)
        internal
        pure
        override
    {
        if (openings.length != 0 && openings[0].chunks.length != 0) {
            windows[0] = _cropChannelRows(s, openings[0], tile[0], tile[1]);
        }
    }

    /// @dev Attributes in declared order: strides (0), pads (1), dilations (2, not in op 59), start
    /// (3; 2 in op 59), requantize.
    function _cropChannelRows(Step memory s, TensorOpening memory o, uint256 start, uint256 end)
        private
        pure
        returns (Window memory)
    {
        uint32[] memory xs = s.inputTypes[0].shape;
        (uint256 lo, uint256 rows) = _channelRowsRead(s, start, end);
        (uint256 first,) = TileOperands.attr(s.attrs, s.op == ConvAccumulateKernels.CONV_ACCUMULATE ? 3 : 2);
        // Channels [start, start + c) seen as a [1, c, H, W] input whose rows begin start · H rows later.
        xs[1] = s.inputTypes[1].shape[1];
        bytes memory image = _rowImage(
            o, xs, TileRule.dtypeBytes(s.inputTypes[0].dtype), uint256(int256(s.attrs[first])) * xs[2] + lo, rows
        );
        xs[2] = uint32(rows);
        s.attrs[first] = 0;
        return Window(0, image);
    }

    /// @dev The input rows lo .. lo + rows − 1 that the tile's output rows read (clipped to the
    /// image); moves the top padding so that row lo is the first input row (by lo, or lo · sh
    /// for a ConvTranspose link: output row y reads input row a where y = a·sh − top + u, u < kh).
    function _channelRowsRead(Step memory s, uint256 start, uint256 end) private pure returns (uint256, uint256) {
        (uint256 i0, uint256 i1) = _outputRows(s, start, end);
        (uint256 pads,) = TileOperands.attr(s.attrs, 1);
        // Shapes and attributes of a step are far below 2^64: no overflow.
        unchecked {
            int256 top = s.attrs[pads];
            int256 sh = TileOperands.attrValue(s.attrs, 0, 0);
            int256 kh = int256(uint256(s.inputTypes[1].shape[2]));
            bool transpose = s.op != ConvAccumulateKernels.CONV_ACCUMULATE;
            int256 lo;
            int256 hi;
            if (transpose) {
                lo = int256(i0) + top - kh + 1 <= 0 ? int256(0) : (int256(i0) + top - kh + sh) / sh;
                hi = (int256(i1) + top) / sh;
            } else {
                lo = int256(i0) * sh - top;
                hi = int256(i1) * sh - top + (kh - 1) * TileOperands.attrValue(s.attrs, 2, 0);
            }
            if (lo < 0) lo = 0;
            if (hi >= int256(uint256(s.inputTypes[0].shape[2]))) hi = int256(uint256(s.inputTypes[0].shape[2])) - 1;
            if (hi < lo) revert CannotCrop(0);
            s.attrs[pads] = int64(transpose ? top - lo * sh : top + lo);
            return (uint256(lo), uint256(hi - lo + 1));
        }
    }

    /// @dev The first and last output row of tile [start, end), which must lie in one output plane
    /// of a batch of one (a limb output holds each position twice).
    function _outputRows(Step memory s, uint256 start, uint256 end) private pure returns (uint256, uint256) {
        uint32[] memory ys = s.outputType.shape;
        uint256 row = uint256(ys[3]) * (ys.length == 5 ? 2 : 1);
        uint256 plane = ys[2] * row;
        if (s.inputTypes[0].shape[0] != 1 || end <= start || start / plane != (end - 1) / plane) revert CannotCrop(0);
        return ((start % plane) / row, ((end - 1) % plane) / row);
    }
}
