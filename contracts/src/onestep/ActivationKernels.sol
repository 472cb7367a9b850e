// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, Window} from "./StepTypes.sol";
import {TileOperands} from "./TileOperands.sol";

/// @title ActivationKernels: Clip and HardSigmoid tiles.
/// @notice docs/semantics.md §3 "Clip and HardSigmoid"; reference: libs/ir/src/ops/activation.ts.
library ActivationKernels {
    /// @dev Fractional bits of HardSigmoid's alpha and beta (Q16).
    int256 private constant Q = 16;

    /// @notice saturate(min(max(x, min), max)), bounds in the input's scale; output type = input
    /// type. For x in range that is min(max(x, saturate(min)), saturate(max)).
    function clip(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        TileOperands.Operand memory x = TileOperands.operand(step.inputTypes, inputs, 0);
        uint256 width = x.width;
        uint256 src = TileOperands.span(x, start, end - 1);
        (int256 lo, int256 hi) = saturatedBounds(step);
        for (uint256 i = start; i < end; i++) {
            int256 v = TileOperands.read(src, width);
            if (v < lo) v = lo;
            if (v > hi) v = hi;
            TileOperands.write(dst, width, v);
            src += width;
            dst += width;
        }
    }

    function saturatedBounds(Step memory step) private pure returns (int256 lo, int256 hi) {
        (int256 dmin, int256 dmax) = TileOperands.boundsOf(step.outputType.dtype);
        lo = TileOperands.requantize(TileOperands.attrValue(step.attrs, 0, 0), 0, dmin, dmax);
        hi = TileOperands.requantize(TileOperands.attrValue(step.attrs, 1, 0), 0, dmin, dmax);
    }

    /// @dev HardSigmoid's scaled slope and offset, rounding shift and output clamp.
    struct Affine {
        int256 alpha;
        int256 beta;
        int256 shift;
        int256 lo;
        int256 hi;
        uint256 width;
    }

    /// @notice clamp(round((α·x·sa + β·sb) / 2^shift), 0, 2^fo), saturated to the output dtype,
    /// with F = max(fi + 16, 16), sa = 2^(F − fi − 16), sb = 2^(F − 16), shift = F − fo.
    function hardSigmoid(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        TileOperands.Operand memory x = TileOperands.operand(step.inputTypes, inputs, 0);
        uint256 width = x.width;
        uint256 src = TileOperands.span(x, start, end - 1);
        Affine memory a = affine(step);
        for (uint256 i = start; i < end; i++) {
            int256 y = a.alpha * TileOperands.read(src, width) + a.beta;
            TileOperands.write(dst, a.width, TileOperands.requantize(y, a.shift, a.lo, a.hi));
            src += width;
            dst += a.width;
        }
    }

    function affine(Step memory step) private pure returns (Affine memory a) {
        int256 fi = TileOperands.fracOf(step.inputTypes[0], 0);
        int256 fo = TileOperands.fracOf(step.outputType, 0);
        int256 f = fi + Q > Q ? fi + Q : Q;
        a.alpha = TileOperands.attrValue(step.attrs, 0, 0) << uint256(f - fi - Q);
        a.beta = TileOperands.attrValue(step.attrs, 1, 0) << uint256(f - Q);
        a.shift = f - fo;
        (a.lo, a.hi) = TileOperands.boundsOf(step.outputType.dtype);
        // Clamping to [0, 2^fo] then saturating is one clamp to the intersection (it holds 0).
        if (a.lo < 0) a.lo = 0;
        if (a.hi > int256(1) << uint256(fo)) a.hi = int256(1) << uint256(fo);
        a.width = TileOperands.widthOf(step.outputType.dtype);
    }
}
