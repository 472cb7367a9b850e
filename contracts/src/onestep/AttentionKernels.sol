// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, Window} from "./StepTypes.sol";
import {TileOperands} from "./TileOperands.sol";
import {FixedPoint} from "../FixedPoint.sol";

/// @title AttentionKernels: BatchMatMul (a product of two activations) and LayerNorm tiles.
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

    /// @dev The arithmetic of one LayerNorm step.
    struct Norm {
        uint256 len;
        int256 epsilon;
        int256 scale;
        int256 lo;
        int256 hi;
        uint256 width;
        int256 sum;
        int256 root;
    }

    /// @notice Per row of L: S = Σ x, d = L·x − S, s = isqrt(⌊(Σ d² + epsilon) / L⌋),
    /// y = saturate(divRound(d · 2^fo, s)). Every row the range touches is read whole.
    function layerNorm(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        TileOperands.Operand memory x = TileOperands.operand(step.inputTypes, inputs, 0);
        Norm memory n = norm(step);
        for (uint256 r = (start / n.len) * n.len; r < end; r += n.len) {
            uint256 p = x.span(r, r + n.len - 1);
            rowStats(p, x.width, n);
            uint256 k = start > r ? start - r : 0;
            uint256 last = end - r < n.len ? end - r : n.len;
            dst = normalizeRow(p, x.width, k, last, n, dst);
        }
    }

    /// @dev Outputs k..last−1 of one row; returns the next output address. divRound(a, s) =
    /// ⌊(2a + s) / 2s⌋ with s ≥ 1, inlined: nothing here can overflow, so the checked library
    /// calls bought nothing.
    function normalizeRow(
        uint256 p,
        uint256 width,
        uint256 k,
        uint256 last,
        Norm memory n,
        uint256 dst
    ) private pure returns (uint256) {
        (int256 lo, int256 hi, int256 root) = (n.lo, n.hi, n.root);
        // Unchecked for the same bounds as rowStats (|d · 2^fo| < 2^78).
        unchecked {
        for (; k < last; k++) {
            int256 a = (int256(n.len) * TileOperands.read(p + k * width, width) - n.sum) * n.scale;
            int256 y;
            assembly ("memory-safe") {
                let num := add(add(a, a), root)
                let den := add(root, root)
                y := sdiv(num, den)
                if and(slt(num, 0), iszero(iszero(smod(num, den)))) { y := sub(y, 1) }
                if slt(y, lo) { y := lo }
                if sgt(y, hi) { y := hi }
            }
            TileOperands.write(dst, n.width, y);
            dst += n.width;
        }
        }
        return dst;
    }

    /// @dev Sets n.sum and n.root for the row at p. Unchecked: |x| < 2^31 and L < 2^16, so
    /// |S|, |d| < 2^47 and Σ d² < 2^110, far from int256's range.
    function rowStats(uint256 p, uint256 width, Norm memory n) private pure {
        uint256 len = n.len;
        int256 sum = 0;
        int256 v = 0;
        unchecked {
            uint256 endP = p + len * width;
            for (uint256 q = p; q < endP; q += width) {
                sum += TileOperands.read(q, width);
            }
            for (uint256 q = p; q < endP; q += width) {
                int256 d = int256(len) * TileOperands.read(q, width) - sum;
                v += d * d;
            }
        }
        n.sum = sum;
        // v + epsilon > 0, so / is the floor; epsilon ≥ L keeps the root ≥ 1.
        n.root = int256(isqrt(uint256((v + n.epsilon) / int256(len))));
    }

    /// @notice floor(√m) by Newton's iteration from above.
    function isqrt(uint256 m) private pure returns (uint256 r) {
        if (m == 0) return 0;
        r = m;
        uint256 y = (m + 1) / 2;
        while (y < r) {
            r = y;
            y = (m / y + y) / 2;
        }
    }

    function norm(Step memory step) private pure returns (Norm memory n) {
        uint32[] memory shape = step.inputTypes[0].shape;
        n.len = shape[shape.length - 1];
        n.epsilon = TileOperands.attrValue(step.attrs, 0, 0);
        n.scale = int256(1 << uint256(TileOperands.fracOf(step.outputType, 0)));
        (n.lo, n.hi) = TileOperands.boundsOf(step.outputType.dtype);
        n.width = TileOperands.widthOf(step.outputType.dtype);
    }
}
