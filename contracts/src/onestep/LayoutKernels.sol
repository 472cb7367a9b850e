// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, Window} from "./StepTypes.sol";
import {TileOperands} from "./TileOperands.sol";

/// @title LayoutKernels: Reshape, Transpose and Concat tiles.
/// @notice docs/semantics.md §3 "Layout"; reference: libs/ir/src/ops/layout.ts. Values move
/// unchanged (every input has the output's dtype), so elements are copied as raw bytes.
library LayoutKernels {
    using TileOperands for TileOperands.Operand;

    /// @notice Same row-major values: output elements [start, end) are input elements [start, end).
    function reshape(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        TileOperands.Operand memory x = TileOperands.operand(step.inputTypes, inputs, 0);
        uint256 src = x.span(start, end - 1);
        uint256 length = (end - start) * x.width;
        assembly ("memory-safe") {
            mcopy(dst, src, length)
        }
    }

    /// @notice Output axis d is input axis perm[d].
    function transpose(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        copyStrided(step, inputs, permutedStrides(step), 0, start, end, dst);
    }

    /// @dev Per output axis d, the input stride of axis perm[d].
    function permutedStrides(Step memory step) private pure returns (uint256[] memory strides) {
        uint256[] memory inStrides = TileOperands.stridesOf(step.inputTypes[0].shape);
        (uint256 at,) = TileOperands.attr(step.attrs, 0);
        strides = new uint256[](inStrides.length);
        for (uint256 d = 0; d < strides.length; d++) {
            strides[d] = inStrides[uint256(int256(step.attrs[at + d]))];
        }
    }

    /// @notice `transpose` from an input opened as several ranges: `chunks`, the ascending indices
    /// of the opened 1 KiB chunks, and `data`, their bytes concatenated (TensorOpener's listed
    /// opening). Each run is read from the chunks holding it, which must all be listed.
    function transposeListed(
        Step memory step,
        uint256[] memory chunks,
        bytes memory data,
        uint256 start,
        uint256 end,
        uint256 dst
    ) internal pure {
        Walk memory w = walkFrom(step.outputType.shape, permutedStrides(step), 0, start);
        uint256 within = start % w.run;
        uint256 width = TileOperands.widthOf(step.inputTypes[0].dtype);
        unchecked {
            for (uint256 left = end - start; left > 0;) {
                uint256 n = w.run - within;
                if (n > left) n = left;
                copyElements(dst, listedSpan(chunks, data, 0, (w.src + within) * width, n * width, width), n * width);
                dst += n * width;
                left -= n;
                within = 0;
                advance(w);
            }
        }
    }

    /// @notice Memory address of tensor bytes [at, at + length) (length > 0) in a listed opening,
    /// after checking that every chunk holding them is listed; reverts with `InputNotOpened`
    /// naming `input` and the first element of the range otherwise.
    function listedSpan(
        uint256[] memory chunks,
        bytes memory data,
        uint256 input,
        uint256 at,
        uint256 length,
        uint256 width
    ) internal pure returns (uint256 ptr) {
        uint256 k0 = at >> 10;
        uint256 k1 = (at + length - 1) >> 10;
        // Binary search for k0; the chunks are ascending without repeats, so k0..k1 are listed
        // iff k1 sits k1 − k0 places after k0.
        uint256 lo = 0;
        uint256 hi = chunks.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) >> 1;
            if (chunks[mid] < k0) lo = mid + 1;
            else hi = mid;
        }
        uint256 last = lo + k1 - k0;
        if (last >= chunks.length || chunks[lo] != k0 || chunks[last] != k1) {
            revert TileOperands.InputNotOpened(input, at / width);
        }
        assembly ("memory-safe") {
            ptr := add(add(data, 32), add(shl(10, lo), and(at, 1023)))
        }
    }

    /// @dev An odometer over the output axes before the contiguous run: their coordinates and the
    /// input element where the current run starts.
    struct Walk {
        uint32[] shape;
        uint256[] strides;
        uint256[] coord;
        uint256 outer;
        uint256 run;
        uint256 src;
    }

    /// @notice Output element i (coordinates c) is input element base + Σ c_d · strides[d]. Copied
    /// in runs: the trailing output axes that are contiguous in the input (stride 1, then each the
    /// product of the output extents after it) move as one mcopy; the axes before them are walked
    /// as an odometer, so a run costs one window check and a few additions, never a division.
    function copyStrided(
        Step memory step,
        Window[] memory inputs,
        uint256[] memory strides,
        uint256 base,
        uint256 start,
        uint256 end,
        uint256 dst
    ) internal pure {
        TileOperands.Operand memory x = TileOperands.operand(step.inputTypes, inputs, 0);
        Walk memory w = walkFrom(step.outputType.shape, strides, base, start);
        uint256 within = start % w.run;
        uint256 width = x.width;
        unchecked {
            for (uint256 left = end - start; left > 0;) {
                uint256 n = w.run - within;
                if (n > left) n = left;
                copyElements(dst, x.span(w.src + within, w.src + within + n - 1), n * width);
                dst += n * width;
                left -= n;
                within = 0;
                advance(w);
            }
        }
    }

    /// @dev The walk positioned at the run holding output element `start`.
    function walkFrom(uint32[] memory shape, uint256[] memory strides, uint256 base, uint256 start)
        private
        pure
        returns (Walk memory w)
    {
        w.shape = shape;
        w.strides = strides;
        w.run = 1;
        w.outer = shape.length;
        for (; w.outer > 0 && strides[w.outer - 1] == w.run; w.outer--) w.run *= shape[w.outer - 1];
        w.coord = new uint256[](w.outer);
        uint256 rest = start / w.run;
        w.src = base;
        for (uint256 d = w.outer; d > 0; d--) {
            w.coord[d - 1] = rest % shape[d - 1];
            rest /= shape[d - 1];
            w.src += w.coord[d - 1] * strides[d - 1];
        }
    }

    /// @dev To the next run: the last outer axis steps, carrying into the ones before it.
    function advance(Walk memory w) private pure {
        unchecked {
            for (uint256 d = w.outer; d > 0; d--) {
                w.src += w.strides[d - 1];
                if (++w.coord[d - 1] < w.shape[d - 1]) return;
                w.src -= w.strides[d - 1] * w.shape[d - 1];
                w.coord[d - 1] = 0;
            }
        }
    }

    /// @notice Inputs joined along `axis` in order; each input's part of an output row is one run.
    function concat(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        (uint256[] memory offsets, uint256[] memory rowSizes, uint256 outRow) = concatLayout(step);
        TileOperands.Operand[] memory operands = new TileOperands.Operand[](offsets.length);
        uint256 width = TileOperands.widthOf(step.outputType.dtype);
        for (uint256 i = start; i < end;) {
            (uint256 k, uint256 src, uint256 n) = concatSource(offsets, rowSizes, outRow, i);
            if (n > end - i) n = end - i;
            if (operands[k].width == 0) operands[k] = TileOperands.operand(step.inputTypes, inputs, k);
            copyElements(dst, operands[k].span(src, src + n - 1), n * width);
            dst += n * width;
            i += n;
        }
    }

    /// @notice Within one output row along the axis, input k's part starts at offsets[k] and
    /// spans rowSizes[k] elements; a row holds outRow elements.
    function concatLayout(Step memory step)
        private
        pure
        returns (uint256[] memory offsets, uint256[] memory rowSizes, uint256 outRow)
    {
        uint256 axis = uint256(TileOperands.attrValue(step.attrs, 0, 0));
        uint32[] memory outShape = step.outputType.shape;
        uint256 inner = 1;
        for (uint256 d = axis + 1; d < outShape.length; d++) inner *= outShape[d];
        uint256 count = step.inputTypes.length;
        offsets = new uint256[](count);
        rowSizes = new uint256[](count);
        for (uint256 k = 0; k < count; k++) {
            offsets[k] = outRow;
            rowSizes[k] = step.inputTypes[k].shape[axis] * inner;
            outRow += rowSizes[k];
        }
    }

    /// @notice The input and its element that output element i comes from, and how many output
    /// elements from i on come from consecutive elements of that input.
    function concatSource(uint256[] memory offsets, uint256[] memory rowSizes, uint256 outRow, uint256 i)
        private
        pure
        returns (uint256 k, uint256 src, uint256 n)
    {
        uint256 outer = i / outRow;
        uint256 within = i - outer * outRow;
        k = offsets.length - 1;
        while (offsets[k] > within) k--;
        src = outer * rowSizes[k] + within - offsets[k];
        n = offsets[k] + rowSizes[k] - within;
    }

    function copyElements(uint256 dst, uint256 src, uint256 length) private pure {
        assembly ("memory-safe") {
            mcopy(dst, src, length)
        }
    }
}
