// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, Window} from "./StepTypes.sol";
import {TileOperands} from "./TileOperands.sol";

/// @title UpsampleKernels: Resize (nearest, whole factors) and ConvTranspose tiles.
/// @notice docs/semantics.md §3 "Resize and ConvTranspose"; reference: libs/ir/src/ops/upsample.ts.
library UpsampleKernels {
    using TileOperands for TileOperands.Operand;

    /// @notice y[n,c,i,j] = x[n, c, ⌊i / sh⌋, ⌊j / sw⌋]; attribute 0 is scales [sh, sw].
    function resize(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        TileOperands.Operand memory x = TileOperands.operand(step.inputTypes, inputs, 0);
        // [H, W, H_out, W_out, sh, sw]
        uint256[6] memory d;
        d[0] = step.inputTypes[0].shape[2];
        d[1] = step.inputTypes[0].shape[3];
        d[2] = step.outputType.shape[2];
        d[3] = step.outputType.shape[3];
        d[4] = uint256(TileOperands.attrValue(step.attrs, 0, 0));
        d[5] = uint256(TileOperands.attrValue(step.attrs, 0, 1));
        uint256 width = x.width;
        // One output row at a time: its input row's span is checked once, then read directly.
        for (uint256 idx = start; idx < end;) {
            uint256 j = idx % d[3];
            uint256 count = d[3] - j;
            if (count > end - idx) count = end - idx;
            uint256 rest = idx / d[3];
            uint256 row = ((rest / d[2]) * d[0] + (rest % d[2]) / d[4]) * d[1];
            uint256 sw = d[5];
            uint256 src = x.span(row + j / sw, row + (j + count - 1) / sw);
            unchecked {
                for (uint256 k = j; k < j + count; k++) {
                    TileOperands.write(dst, width, TileOperands.read(src + (k / sw - j / sw) * width, width));
                    dst += width;
                }
                idx += count;
            }
        }
    }

    /// @dev ConvTranspose's geometry and operands.
    struct Geometry {
        uint256 channels;
        uint256 height;
        uint256 width;
        uint256 outChannels;
        uint256 kernelH;
        uint256 kernelW;
        uint256 outH;
        uint256 outW;
        uint256 strideH;
        uint256 strideW;
        uint256 padTop;
        uint256 padLeft;
        int256 baseShift;
        int256 lo;
        int256 hi;
        uint256 outWidth;
        bool hasBias;
        // The output row and column being computed.
        uint256 i;
        uint256 j;
    }

    /// @notice acc = bias[o] + Σ x[n,c,a,b] · w[o,c,u,v] over i + top − u = a·sh, j + left − v = b·sw
    /// (a, b in bounds); y = requantize(acc, fx + fw[o], fo, do). Attributes: strides, pads.
    function convTranspose(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        Geometry memory g = geometry(step);
        TileOperands.Operand memory x = TileOperands.operand(step.inputTypes, inputs, 0);
        TileOperands.Operand memory w = TileOperands.operand(step.inputTypes, inputs, 1);
        TileOperands.Operand memory bias;
        if (g.hasBias) bias = TileOperands.operand(step.inputTypes, inputs, 2);
        for (uint256 idx = start; idx < end; idx++) {
            uint256 rest = idx;
            g.j = rest % g.outW;
            rest /= g.outW;
            g.i = rest % g.outH;
            rest /= g.outH;
            uint256 o = rest % g.outChannels;
            int256 acc = outputSum(g, x, w, o, rest / g.outChannels);
            if (g.hasBias) acc += bias.load(o);
            int256 shift = g.baseShift + TileOperands.fracOf(step.inputTypes[1], o);
            TileOperands.write(dst, g.outWidth, TileOperands.requantize(acc, shift, g.lo, g.hi));
            dst += g.outWidth;
        }
    }

    /// @dev The in-bounds taps of one output along one axis: the kernel indices u ≡ t (mod s)
    /// with 0 ≤ u < k, u ≤ t and input index (t − u) / s < size. `first` is the smallest such u,
    /// `top` its input index (the largest), `count` how many (0: none).
    function axisTaps(uint256 t, uint256 s, uint256 k, uint256 size)
        private
        pure
        returns (uint256 first, uint256 top, uint256 count)
    {
        unchecked {
            first = t % s;
            uint256 reach = (size - 1) * s;
            if (t > reach && t - reach > first) first = t - reach;
            uint256 last = k - 1 < t ? k - 1 : t;
            if (last < first) return (first, 0, 0);
            count = (last - first) / s + 1;
            top = (t - first) / s;
        }
    }

    /// @dev Σ over input channels and in-bounds taps of output (n, o, g.i, g.j), bias excluded.
    /// The taps form the same rows × columns block in every channel, so the first and last input
    /// and weight elements read are checked against their windows once, then read directly.
    function outputSum(
        Geometry memory g,
        TileOperands.Operand memory x,
        TileOperands.Operand memory w,
        uint256 o,
        uint256 n
    ) private pure returns (int256 acc) {
        uint256[6] memory t; // u0, aTop, rows, v0, bTop, cols
        (t[0], t[1], t[2]) = axisTaps(g.i + g.padTop, g.strideH, g.kernelH, g.height);
        (t[3], t[4], t[5]) = axisTaps(g.j + g.padLeft, g.strideW, g.kernelW, g.width);
        if (t[2] == 0 || t[5] == 0) return 0;
        uint256 px = xSpan(g, x, t, n);
        uint256 pw = wSpan(g, w, t, o);
        unchecked {
            // Pointers to x[n, c, aTop, bTop] and w[o, c, u0, v0] for c = 0.
            for (uint256 c = 0; c < g.channels; c++) {
                acc += block(g, t, px, pw, x.width, w.width);
                px += g.height * g.width * x.width;
                pw += g.kernelH * g.kernelW * w.width;
            }
        }
    }

    /// @dev Address of x[n, 0, aTop, bTop] after checking the first and last input element
    /// the output reads (channel 0's lowest row and column, channel C − 1's highest).
    function xSpan(Geometry memory g, TileOperands.Operand memory x, uint256[6] memory t, uint256 n)
        private
        pure
        returns (uint256)
    {
        uint256 first = (n * g.channels * g.height + t[1] + 1 - t[2]) * g.width + t[4] + 1 - t[5];
        uint256 last = ((n * g.channels + g.channels - 1) * g.height + t[1]) * g.width + t[4];
        return x.span(first, last) + ((t[2] - 1) * g.width + t[5] - 1) * x.width;
    }

    /// @dev Address of w[o, 0, u0, v0] after checking the first and last weight the output reads.
    function wSpan(Geometry memory g, TileOperands.Operand memory w, uint256[6] memory t, uint256 o)
        private
        pure
        returns (uint256)
    {
        uint256 first = (o * g.channels * g.kernelH + t[0]) * g.kernelW + t[3];
        uint256 lastRow = (o * g.channels + g.channels - 1) * g.kernelH + t[0] + (t[2] - 1) * g.strideH;
        return w.span(first, lastRow * g.kernelW + t[3] + (t[5] - 1) * g.strideW);
    }

    /// @dev One channel's rows × columns taps: input steps back one row/column as the kernel
    /// index steps forward by the stride. |acc| < 2^31 by the edge's accumulator check.
    function block(Geometry memory g, uint256[6] memory t, uint256 px, uint256 pw, uint256 xw, uint256 ww)
        private
        pure
        returns (int256 sum)
    {
        unchecked {
            uint256 xRowStep = g.width * xw;
            uint256 wRowStep = g.strideH * g.kernelW * ww;
            uint256 wColStep = g.strideW * ww;
            for (uint256 r = 0; r < t[2]; r++) {
                uint256 xp = px - r * xRowStep;
                uint256 wp = pw + r * wRowStep;
                for (uint256 q = 0; q < t[5]; q++) {
                    sum += TileOperands.read(xp, xw) * TileOperands.read(wp, ww);
                    xp -= xw;
                    wp += wColStep;
                }
            }
        }
    }

    function geometry(Step memory step) private pure returns (Geometry memory g) {
        uint32[] memory xShape = step.inputTypes[0].shape;
        uint32[] memory wShape = step.inputTypes[1].shape;
        g.channels = xShape[1];
        g.height = xShape[2];
        g.width = xShape[3];
        g.outChannels = wShape[0];
        g.kernelH = wShape[2];
        g.kernelW = wShape[3];
        g.outH = step.outputType.shape[2];
        g.outW = step.outputType.shape[3];
        // Declared order: strides, pads [top, left, bottom, right].
        g.strideH = uint256(TileOperands.attrValue(step.attrs, 0, 0));
        g.strideW = uint256(TileOperands.attrValue(step.attrs, 0, 1));
        g.padTop = uint256(TileOperands.attrValue(step.attrs, 1, 0));
        g.padLeft = uint256(TileOperands.attrValue(step.attrs, 1, 1));
        g.baseShift = TileOperands.fracOf(step.inputTypes[0], 0) - TileOperands.fracOf(step.outputType, 0);
        (g.lo, g.hi) = TileOperands.boundsOf(step.outputType.dtype);
        g.outWidth = TileOperands.widthOf(step.outputType.dtype);
        g.hasBias = step.inputTypes.length > 2;
    }
}
