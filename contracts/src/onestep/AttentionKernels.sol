// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, Window} from "./StepTypes.sol";
import {TileOperands} from "./TileOperands.sol";

/// @title AttentionKernels: BatchMatMul tiles (a product of two activations).
/// @notice docs/semantics.md §3 "Attention"; reference: libs/ir/src/ops/attention.ts.
library AttentionKernels {
    using TileOperands for TileOperands.Operand;

    /// @dev The shape and arithmetic of one BatchMatMul step.
    struct Dims {
        uint256 m;
        uint256 k;
        uint256 n;
        int256 shift;
        int256 lo;
        int256 hi;
        uint256 width;
    }

    /// @notice y[.., m, n] = requantize(Σₖ a[.., m, k] · b[.., k, n], fa + fb, fo, do).
    function batchMatMul(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        TileOperands.Operand memory a = TileOperands.operand(step.inputTypes, inputs, 0);
        TileOperands.Operand memory b = TileOperands.operand(step.inputTypes, inputs, 1);
        Dims memory d = dims(step);
        for (uint256 i = start; i < end; i++) {
            TileOperands.write(dst, d.width, TileOperands.requantize(dot(a, b, i, d), d.shift, d.lo, d.hi));
            dst += d.width;
        }
    }

    /// @dev Output i's accumulator: a's row is one contiguous span and b's column one strided
    /// span, each checked against its window once.
    function dot(TileOperands.Operand memory a, TileOperands.Operand memory b, uint256 i, Dims memory d)
        private
        pure
        returns (int256 acc)
    {
        uint256 row = i / d.n;
        uint256 column = (row / d.m) * d.k * d.n + (i % d.n);
        uint256 pa = a.span(row * d.k, row * d.k + d.k - 1);
        uint256 pb = b.span(column, column + (d.k - 1) * d.n);
        uint256 stride = d.n * b.width;
        for (uint256 j = 0; j < d.k; j++) {
            acc += TileOperands.read(pa, a.width) * TileOperands.read(pb, b.width);
            pa += a.width;
            pb += stride;
        }
    }

    function dims(Step memory step) private pure returns (Dims memory d) {
        uint32[] memory shape = step.inputTypes[0].shape;
        uint256 rank = shape.length;
        d.m = shape[rank - 2];
        d.k = shape[rank - 1];
        d.n = step.inputTypes[1].shape[rank - 1];
        d.shift = TileOperands.fracOf(step.inputTypes[0], 0) + TileOperands.fracOf(step.inputTypes[1], 0)
            - TileOperands.fracOf(step.outputType, 0);
        (d.lo, d.hi) = TileOperands.boundsOf(step.outputType.dtype);
        d.width = TileOperands.widthOf(step.outputType.dtype);
    }
}
