// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, Window} from "./StepTypes.sol";
import {FixedPoint} from "../FixedPoint.sol";
import {TileOperands} from "./TileOperands.sol";

/// @title NonlinearKernels: Softmax, Sigmoid and Tanh tiles on the Q16 exponential expNeg.
/// @notice docs/semantics.md §3 "Nonlinear"; reference: libs/ir/src/ops/nonlinear.ts.
library NonlinearKernels {
    using TileOperands for TileOperands.Operand;

    error OutputFracOutOfRange(int256 frac);

    uint16 private constant SIGMOID = 51;
    int256 private constant EXP_ONE = 65536;

    /// @dev Input width and frac, and the output's scale, range and width.
    struct Scales {
        uint256 width;
        int256 fx;
        uint256 scaleBits;
        int256 lo;
        int256 hi;
        uint256 outWidth;
    }

    /// @notice Softmax over the last axis. Its granule is a whole row, so the tile computes every
    /// row it touches in full (the max and the sum need all of it) and returns only [start, end).
    function softmax(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        uint32[] memory shape = step.inputTypes[0].shape;
        uint256 row = shape[shape.length - 1];
        TileOperands.Operand memory x = TileOperands.operand(step.inputTypes, inputs, 0);
        uint256 firstRow = (start / row) * row;
        uint256 p = x.span(firstRow, ((end + row - 1) / row) * row - 1);
        Scales memory sc = scales(step, x.width);
        int256[] memory e = new int256[](row);
        for (uint256 r = firstRow; r < end; r += row) {
            int256 sum = rowExponentials(p, row, sc, e);
            uint256 k = start > r ? start - r : 0;
            for (; k < row && r + k < end; k++) {
                int256 y = FixedPoint.saturate(FixedPoint.divRound(e[k] << sc.scaleBits, sum), sc.lo, sc.hi);
                TileOperands.write(dst, sc.outWidth, y);
                dst += sc.outWidth;
            }
            p += row * sc.width;
        }
    }

    /// @notice e[k] = expNeg(x_k − max, fx) over one row at `p`; returns Σ e.
    function rowExponentials(uint256 p, uint256 row, Scales memory sc, int256[] memory e)
        private
        pure
        returns (int256 sum)
    {
        uint256 width = sc.width;
        int256 max = TileOperands.read(p, width);
        // Unchecked: i8/i16 inputs, so x − max ≥ −2^16 and Σ e ≤ 2^14 · 2^16 (SOFTMAX_MAX_ROW).
        unchecked {
            for (uint256 k = 1; k < row; k++) {
                int256 v = TileOperands.read(p + k * width, width);
                if (v > max) max = v;
            }
            for (uint256 k = 0; k < row; k++) {
                int256 ek = expNeg(TileOperands.read(p + k * width, width) - max, sc.fx);
                e[k] = ek;
                sum += ek;
            }
        }
    }

    /// @notice SegmentMax: the max of each segment of `segment` values of a row (the last one
    /// may be shorter); reference: libs/ir/src/ops/softmax-segments.ts.
    function segmentMax(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        TileOperands.Operand memory x = TileOperands.operand(step.inputTypes, inputs, 0);
        (uint256 L, uint256 S, uint256 J) = segmentGeometry(step);
        uint256 w = x.width;
        // Unchecked: indices below the tensor's element count, values i8/i16.
        unchecked {
            for (uint256 i = start; i < end; i++) {
                (uint256 from, uint256 to) = segmentRange(i, L, S, J);
                uint256 p = x.span(from, to - 1);
                int256 max = TileOperands.read(p, w);
                for (uint256 q = p + w; q < p + (to - from) * w; q += w) {
                    int256 v = TileOperands.read(q, w);
                    if (v > max) max = v;
                }
                TileOperands.write(dst, w, max);
                dst += w;
            }
        }
    }

    /// @notice SoftmaxSegmentSum(x, m): Σ expNeg(min(0, x_k − M), fx) over each segment of a row,
    /// M the max of the row's segment maxima m; i32 outputs.
    function softmaxSegmentSum(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        TileOperands.Operand memory x = TileOperands.operand(step.inputTypes, inputs, 0);
        TileOperands.Operand memory m = TileOperands.operand(step.inputTypes, inputs, 1);
        (uint256 L, uint256 S, uint256 J) = segmentGeometry(step);
        int256 fx = TileOperands.fracOf(step.inputTypes[0], 0);
        uint256 w = x.width;
        // Unchecked: x − M ≥ −2^16 and a segment's sum ≤ 2^14 · 2^16 (the op's row limit).
        unchecked {
            for (uint256 i = start; i < end; i++) {
                int256 max = rowMaxOf(m, i / J, J);
                (uint256 from, uint256 to) = segmentRange(i, L, S, J);
                uint256 p = x.span(from, to - 1);
                int256 sum;
                for (uint256 q = p; q < p + (to - from) * w; q += w) {
                    int256 d = TileOperands.read(q, w) - max;
                    sum += expNeg(d > 0 ? int256(0) : d, fx);
                }
                TileOperands.write(dst, 4, sum);
                dst += 4;
            }
        }
    }

    /// @notice SoftmaxNormalize(x, m, s): divRound(expNeg(min(0, x_k − M), fx) · 2^fo, max(1, Σ s))
    /// per row, M the max of the row's segment maxima m, Σ s the sum of its segment sums.
    function softmaxNormalize(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        Rows memory g;
        g.x = TileOperands.operand(step.inputTypes, inputs, 0);
        g.m = TileOperands.operand(step.inputTypes, inputs, 1);
        g.s = TileOperands.operand(step.inputTypes, inputs, 2);
        uint32[] memory shape = step.inputTypes[0].shape;
        g.L = shape[shape.length - 1];
        shape = step.inputTypes[1].shape;
        g.J = shape[shape.length - 1];
        Scales memory sc = scales(step, g.x.width);
        for (uint256 r = start / g.L; r * g.L < end; r++) {
            dst = normalizeRow(g, r, start, end, sc, dst);
        }
    }

    /// @dev SoftmaxNormalize's operands: x, the segment maxima m and sums s; row length and segments.
    struct Rows {
        TileOperands.Operand x;
        TileOperands.Operand m;
        TileOperands.Operand s;
        uint256 L;
        uint256 J;
    }

    /// @dev The outputs of row r inside [start, end); returns the next output address.
    function normalizeRow(Rows memory g, uint256 r, uint256 start, uint256 end, Scales memory sc, uint256 dst)
        private
        pure
        returns (uint256)
    {
        int256 max = rowMaxOf(g.m, r, g.J);
        int256 sum = rowSumOf(g.s, r, g.J);
        uint256 from = r * g.L > start ? r * g.L : start;
        uint256 to = (r + 1) * g.L < end ? (r + 1) * g.L : end;
        return normalizeRun(g.x.span(from, to - 1), to - from, max, sum, sc, dst);
    }

    /// @dev max(1, Σ s) over the J segment sums (i32) of row r.
    function rowSumOf(TileOperands.Operand memory s, uint256 r, uint256 J) private pure returns (int256 sum) {
        uint256 q = s.span(r * J, r * J + J - 1);
        // Unchecked: |Σ s| < J · 2^31.
        unchecked {
            for (uint256 j = 0; j < J; j++) sum += TileOperands.read(q + 4 * j, 4);
        }
        if (sum < 1) sum = 1;
    }

    /// @dev `count` outputs from the inputs at `p`; returns the next output address.
    function normalizeRun(uint256 p, uint256 count, int256 max, int256 sum, Scales memory sc, uint256 dst)
        private
        pure
        returns (uint256)
    {
        // Unchecked: x − max ≥ −2^16 (clamped to ≤ 0), e · 2^fo ≤ 2^46, sum ≥ 1.
        unchecked {
            for (uint256 k = 0; k < count; k++) {
                int256 d = TileOperands.read(p, sc.width) - max;
                int256 a = expNeg(d > 0 ? int256(0) : d, sc.fx) << sc.scaleBits;
                int256 y;
                assembly ("memory-safe") {
                    y := div(add(add(a, a), sum), add(sum, sum))
                }
                TileOperands.write(dst, sc.outWidth, FixedPoint.saturate(y, sc.lo, sc.hi));
                p += sc.width;
                dst += sc.outWidth;
            }
        }
        return dst;
    }

    /// @dev Row length L, segment S = min(attribute segment, L) and segments per row J.
    function segmentGeometry(Step memory step) private pure returns (uint256 L, uint256 S, uint256 J) {
        uint32[] memory shape = step.inputTypes[0].shape;
        L = shape[shape.length - 1];
        S = uint256(TileOperands.attrValue(step.attrs, 0, 0));
        if (S > L) S = L;
        J = (L + S - 1) / S;
    }

    /// @dev Elements [from, to) of x that segment output i covers.
    function segmentRange(uint256 i, uint256 L, uint256 S, uint256 J) private pure returns (uint256 from, uint256 to) {
        uint256 r = i / J;
        from = r * L + (i - r * J) * S;
        to = from + S < (r + 1) * L ? from + S : (r + 1) * L;
    }

    /// @dev The max of the J segment maxima of row r.
    function rowMaxOf(TileOperands.Operand memory m, uint256 r, uint256 J) private pure returns (int256 max) {
        uint256 p = m.span(r * J, r * J + J - 1);
        uint256 w = m.width;
        max = TileOperands.read(p, w);
        for (uint256 j = 1; j < J; j++) {
            int256 v = TileOperands.read(p + j * w, w);
            if (v > max) max = v;
        }
    }

    /// @notice Sigmoid: evaluated on the side where the exponent is non-positive. Tanh:
    /// sign(x) · (1 − e^{−2|x|}) / (1 + e^{−2|x|}), e^{−2|x|} = expNeg(−|x|, fx − 1).
    function sigmoidOrTanh(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        TileOperands.Operand memory x = TileOperands.operand(step.inputTypes, inputs, 0);
        uint256 p = x.span(start, end - 1);
        Scales memory sc = scales(step, x.width);
        bool isSigmoid = step.op == SIGMOID;
        // Unchecked: only addresses and a counter below the output length advance here (checked
        // loop arithmetic was most of the ≈ 1.4k gas per output).
        unchecked {
            for (uint256 i = start; i < end; i++) {
                int256 v = TileOperands.read(p, sc.width);
                int256 y = isSigmoid ? sigmoid(v, sc) : tanh(v, sc);
                TileOperands.write(dst, sc.outWidth, FixedPoint.saturate(y, sc.lo, sc.hi));
                p += sc.width;
                dst += sc.outWidth;
            }
        }
    }

    /// @dev a ≥ 0, b > 0, so divRound(a, b) = ⌊(2a + b) / 2b⌋ is an unsigned division.
    function sigmoid(int256 v, Scales memory sc) private pure returns (int256 y) {
        int256 e = expNeg(v < 0 ? v : -v, sc.fx);
        int256 a = (v < 0 ? e : EXP_ONE) << sc.scaleBits;
        assembly ("memory-safe") {
            let b := add(EXP_ONE, e)
            y := div(add(add(a, a), b), add(b, b))
        }
    }

    function tanh(int256 v, Scales memory sc) private pure returns (int256) {
        int256 e = expNeg(v < 0 ? v : -v, sc.fx - 1);
        int256 t = FixedPoint.divRound((EXP_ONE - e) << sc.scaleBits, EXP_ONE + e);
        return v < 0 ? -t : t;
    }

    /// @dev FixedPoint.expNeg (docs/semantics.md §2.1) bit for bit, in assembly: the Q16
    /// polynomial's four rounding shifts are arithmetic shifts of values far below 2^255, so the
    /// checked arithmetic of the library version (≈ 5k gas per Sigmoid output) buys nothing here.
    /// d ≤ 0 always (callers pass −|x| or x − max).
    function expNeg(int256 d, int256 frac) private pure returns (int256 r) {
        assembly ("memory-safe") {
            switch d
            case 0 { r := 65536 }
            default {
                let y := mul(sub(0, d), 94548)
                let f := add(frac, 16)
                let n := 0
                let r16 := 0
                switch slt(f, 0)
                case 0 {
                    n := sar(f, y)
                    let rem := sub(y, shl(f, n))
                    switch slt(f, 16)
                    case 0 { r16 := sar(sub(f, 16), rem) }
                    default { r16 := shl(sub(16, f), rem) }
                }
                default { n := shl(sub(0, f), y) }
                if iszero(sgt(n, 30)) {
                    let p := sub(sar(16, add(mul(453, r16), 32768)), 3498)
                    p := add(sar(16, add(mul(p, r16), 32768)), 15699)
                    p := sub(sar(16, add(mul(p, r16), 32768)), 45422)
                    p := add(sar(16, add(mul(p, r16), 32768)), 65536)
                    switch slt(n, 0)
                    case 0 {
                        switch n
                        case 0 { r := p }
                        default { r := sar(n, add(p, shl(sub(n, 1), 1))) }
                    }
                    default {
                        // n < 0 only when frac < −16 and y << −f wrapped: the library's
                        // p · int256(2^−n) is 0 past 255 bits and overflows (reverts) from 239.
                        let m := sub(0, n)
                        if lt(m, 256) {
                            if gt(m, 238) { revert(0, 0) }
                            r := shl(m, p)
                        }
                    }
                }
            }
        }
    }

    function scales(Step memory step, uint256 width) private pure returns (Scales memory sc) {
        sc.width = width;
        sc.fx = TileOperands.fracOf(step.inputTypes[0], 0);
        sc.scaleBits = outputFrac(step);
        (sc.lo, sc.hi) = TileOperands.boundsOf(step.outputType.dtype);
        sc.outWidth = TileOperands.widthOf(step.outputType.dtype);
    }

    /// @dev The output scale 2^fo as a shift; validation keeps fo within [0, 30].
    function outputFrac(Step memory step) private pure returns (uint256) {
        int256 fo = TileOperands.fracOf(step.outputType, 0);
        if (fo < 0 || fo > 30) revert OutputFracOutOfRange(fo);
        return uint256(fo);
    }
}
