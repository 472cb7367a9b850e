// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, Window} from "./StepTypes.sol";
import {TileOperands} from "./TileOperands.sol";
import {FixedPoint} from "../FixedPoint.sol";

/// @title TextKernels: Gather, Gelu and CausalSoftmax tiles, the ops a GPT adds (issue #16).
/// @notice docs/semantics.md §3; references: libs/ir/src/ops/gather.ts, gelu.ts, causal-softmax.ts.
library TextKernels {
    using TileOperands for TileOperands.Operand;

    error GatherIndexOutOfRange(uint256 position, int256 index, uint256 rows);
    error OutputFracOutOfRange(int256 frac);

    int256 private constant EXP_ONE = 65536;
    int256 private constant EXP_FRAC = 16;
    int256 private constant GELU_FRAC = 12;
    int256 private constant GELU_CUBIC_Q16 = 2930;
    int256 private constant GELU_SCALE_Q16 = 104581;
    int256 private constant GELU_SATURATION = 8;

    /// @notice y[i, ...] = table[indices[i], ...]; an index outside [0, rows) reverts.
    function gather(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        TileOperands.Operand memory table = TileOperands.operand(step.inputTypes, inputs, 0);
        TileOperands.Operand memory indices = TileOperands.operand(step.inputTypes, inputs, 1);
        uint32[] memory shape = step.inputTypes[0].shape;
        uint256 rows = shape[0];
        uint256 row = TileOperands.elementCount(shape) / rows;
        uint256 width = TileOperands.widthOf(step.outputType.dtype);
        for (uint256 i = start; i < end; i++) {
            uint256 position = i / row;
            int256 index = indices.load(position);
            if (index < 0 || uint256(index) >= rows) revert GatherIndexOutOfRange(position, index, rows);
            TileOperands.write(dst, width, table.load(uint256(index) * row + (i % row)));
            dst += width;
        }
    }

    /// @dev Input frac and the output's frac, range and width of one Gelu step.
    struct GeluScales {
        int256 fi;
        int256 fo;
        int256 lo;
        int256 hi;
        uint256 width;
        uint256 outWidth;
    }

    /// @notice GELU in its tanh form on the Q16 exponential, element by element (gelu.ts).
    function gelu(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        TileOperands.Operand memory x = TileOperands.operand(step.inputTypes, inputs, 0);
        uint256 p = x.span(start, end - 1);
        GeluScales memory sc;
        sc.fi = TileOperands.fracOf(step.inputTypes[0], 0);
        sc.fo = TileOperands.fracOf(step.outputType, 0);
        (sc.lo, sc.hi) = TileOperands.boundsOf(step.outputType.dtype);
        sc.width = x.width;
        sc.outWidth = TileOperands.widthOf(step.outputType.dtype);
        for (uint256 i = start; i < end; i++) {
            TileOperands.write(dst, sc.outWidth, geluOf(TileOperands.read(p, sc.width), sc));
            p += sc.width;
            dst += sc.outWidth;
        }
    }

    function geluOf(int256 v, GeluScales memory sc) private pure returns (int256) {
        // |x| ≥ 8 (compared at frac max(fi, 0) so that a negative fi stays exact).
        int256 scaled = sc.fi >= 0 ? v : v << uint256(-sc.fi);
        int256 edge = sc.fi >= 0 ? GELU_SATURATION << uint256(sc.fi) : GELU_SATURATION;
        if (scaled >= edge) return FixedPoint.requantize(v, sc.fi, sc.fo, sc.lo, sc.hi);
        if (scaled <= -edge) return 0;
        int256 xr = FixedPoint.shiftRound(v, sc.fi - GELU_FRAC);
        int256 x2 = FixedPoint.shiftRound(xr * xr, GELU_FRAC);
        int256 x3 = FixedPoint.shiftRound(x2 * xr, GELU_FRAC);
        int256 z = FixedPoint.shiftRound(
            (xr + FixedPoint.shiftRound(x3 * GELU_CUBIC_Q16, EXP_FRAC)) * GELU_SCALE_Q16, EXP_FRAC
        );
        int256 gate;
        if (z >= 0) {
            gate = FixedPoint.divRound(EXP_ONE * EXP_ONE, EXP_ONE + FixedPoint.expNeg(-z, GELU_FRAC));
        } else {
            int256 e = FixedPoint.expNeg(z, GELU_FRAC);
            gate = FixedPoint.divRound(e * EXP_ONE, EXP_ONE + e);
        }
        return FixedPoint.requantize(v * gate, sc.fi + EXP_FRAC, sc.fo, sc.lo, sc.hi);
    }

    /// @dev Shape and output arithmetic of one CausalSoftmax step.
    struct Causal {
        uint256 m;
        uint256 n;
        int256 fx;
        uint256 scaleBits;
        int256 lo;
        int256 hi;
        uint256 outWidth;
    }

    /// @notice Softmax over the visible prefix of each row of scores [..., M, N] (row m sees
    /// keys k ≤ m + N − M); later keys are 0. Each touched row's visible prefix is read whole.
    function causalSoftmax(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        TileOperands.Operand memory x = TileOperands.operand(step.inputTypes, inputs, 0);
        Causal memory c = causal(step);
        int256[] memory e = new int256[](c.n);
        for (uint256 r = (start / c.n) * c.n; r < end; r += c.n) {
            uint256 visible = ((r / c.n) % c.m) + c.n - c.m + 1;
            int256 sum = prefixExponentials(x.span(r, r + visible - 1), x.width, visible, c.fx, e);
            for (uint256 k = start > r ? start - r : 0; k < c.n && r + k < end; k++) {
                int256 y = k < visible
                    ? FixedPoint.saturate(FixedPoint.divRound(e[k] << c.scaleBits, sum), c.lo, c.hi)
                    : int256(0);
                TileOperands.write(dst, c.outWidth, y);
                dst += c.outWidth;
            }
        }
    }

    /// @notice e[k] = expNeg(x_k − max, fx) over the first `visible` elements at `p`; returns Σ e.
    function prefixExponentials(uint256 p, uint256 width, uint256 visible, int256 fx, int256[] memory e)
        private
        pure
        returns (int256 sum)
    {
        int256 max = TileOperands.read(p, width);
        for (uint256 k = 1; k < visible; k++) {
            int256 v = TileOperands.read(p + k * width, width);
            if (v > max) max = v;
        }
        for (uint256 k = 0; k < visible; k++) {
            e[k] = FixedPoint.expNeg(TileOperands.read(p + k * width, width) - max, fx);
            sum += e[k];
        }
    }

    function causal(Step memory step) private pure returns (Causal memory c) {
        uint32[] memory shape = step.inputTypes[0].shape;
        c.m = shape[shape.length - 2];
        c.n = shape[shape.length - 1];
        c.fx = TileOperands.fracOf(step.inputTypes[0], 0);
        int256 fo = TileOperands.fracOf(step.outputType, 0);
        if (fo < 0 || fo > 30) revert OutputFracOutOfRange(fo);
        c.scaleBits = uint256(fo);
        (c.lo, c.hi) = TileOperands.boundsOf(step.outputType.dtype);
        c.outWidth = TileOperands.widthOf(step.outputType.dtype);
    }
}
