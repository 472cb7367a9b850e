// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, Window} from "./StepTypes.sol";
import {TileKernels} from "./TileKernels.sol";
import {TileOperands} from "./TileOperands.sol";

/// @title ConvAccumulateKernels: tiles of ConvAccumulate (58) and ConvTransposeAccumulate (59),
/// one link of a Conv or a ConvTranspose split over input channels. docs/semantics.md §9;
/// reference: libs/ir/src/ops/conv-accumulate.ts.
library ConvAccumulateKernels {
    using TileOperands for TileOperands.Operand;

    uint16 internal constant CONV_ACCUMULATE = 58;
    uint16 internal constant CONV_TRANSPOSE_ACCUMULATE = 59;

    /// @notice The canonical bytes of output elements [start, end) of a ConvAccumulate step.
    function run(Step memory step, Window[] memory inputs, uint256 start, uint256 end)
        internal
        pure
        returns (bytes memory out)
    {
        if (step.op != CONV_ACCUMULATE && step.op != CONV_TRANSPOSE_ACCUMULATE) revert TileKernels.UnknownOp(step.op);
        uint256 total = TileOperands.elementCount(step.outputType.shape);
        if (start > end || end > total) revert TileKernels.TileOutOfRange(start, end, total);
        out = new bytes((end - start) * TileOperands.widthOf(step.outputType.dtype));
        uint256 dst;
        assembly ("memory-safe") {
            dst := add(out, 32)
        }
        convAccumulate(step, inputs, start, end, dst);
    }

    /// @dev The link's geometry. Attributes in declared order: strides, pads, dilations, start,
    /// requantize (ConvTransposeAccumulate: no dilations). The top padding may be negative after
    /// a crop (ConvAccumulateVerifier): it is kept as its two's complement.
    struct Geometry {
        uint256 channels;
        uint256 height;
        uint256 width;
        uint256 outChannels;
        uint256 links;
        uint256 kernelH;
        uint256 kernelW;
        uint256 outH;
        uint256 outW;
        uint256 strideH;
        uint256 strideW;
        uint256 dilationH;
        uint256 dilationW;
        uint256 padTop;
        uint256 padLeft;
        uint256 start;
        /// 0: no previous input; 1: a bias [O]; 2: the previous link's limbs [N, O, Ho, Wo, 2].
        uint256 previous;
        bool limbs;
        bool transpose;
        int256 baseShift;
        int256 lo;
        int256 hi;
        uint256 outWidth;
        // The output position being computed.
        uint256 i;
        uint256 j;
        uint256 n;
        TileOperands.Operand x;
        TileOperands.Operand w;
    }

    /// @notice acc = P + Σ_{ci<c,u,v} x[n, start + ci, i·sh + u·dh − pt, j·sw + v·dw − pl] · w[o,ci,u,v],
    /// P = bias[o], p[n,o,i,j,0]·2^16 + p[n,o,i,j,1] or 0; out = the limbs (⌊acc / 2^16⌋
    /// saturated to i32, acc mod 2^16) with requantize 0, else requantize(acc, fx + fw[o], fo, do).
    function convAccumulate(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        Geometry memory g = geometry(step);
        g.x = TileOperands.operand(step.inputTypes, inputs, 0);
        g.w = TileOperands.operand(step.inputTypes, inputs, 1);
        TileOperands.Operand memory p;
        if (g.previous != 0) p = TileOperands.operand(step.inputTypes, inputs, 2);
        for (uint256 idx = start; idx < end;) {
            uint256 pos = g.limbs ? idx / 2 : idx;
            g.j = pos % g.outW;
            g.i = (pos / g.outW) % g.outH;
            uint256 o = (pos / g.outW / g.outH) % g.outChannels;
            g.n = pos / g.outW / g.outH / g.outChannels;
            int256 acc = taps(g, o);
            if (g.previous == 1) acc += p.load(o);
            else if (g.previous == 2) acc += (p.load(2 * pos) << 16) + p.load(2 * pos + 1);
            if (!g.limbs) {
                int256 shift = g.baseShift + TileOperands.fracOf(step.inputTypes[1], o);
                TileOperands.write(dst, g.outWidth, TileOperands.requantize(acc, shift, g.lo, g.hi));
                dst += g.outWidth;
                idx++;
                continue;
            }
            // Both limbs of the position that are inside the tile, from one sum.
            int256 high = acc >> 16;
            if (idx % 2 == 0) {
                TileOperands.write(dst, 4, high < g.lo ? g.lo : high > g.hi ? g.hi : high);
                dst += 4;
                idx++;
            }
            if (idx < end) {
                TileOperands.write(dst, 4, acc - (high << 16));
                dst += 4;
                idx++;
            }
        }
    }

    /// @dev Σ over the link's input channels and in-bounds taps of output (g.n, o, g.i, g.j).
    /// Rows above the image wrap to huge values in unchecked arithmetic: out of range, skipped.
    function taps(Geometry memory g, uint256 o) private pure returns (int256 acc) {
        if (g.transpose) return transposeTaps(g, o);
        unchecked {
            for (uint256 ci = 0; ci < g.links; ci++) {
                for (uint256 u = 0; u < g.kernelH; u++) {
                    uint256 y = g.i * g.strideH + u * g.dilationH - g.padTop;
                    if (y >= g.height) continue;
                    acc += row(
                        g,
                        ((g.n * g.channels + g.start + ci) * g.height + y) * g.width,
                        ((o * g.links + ci) * g.kernelH + u) * g.kernelW
                    );
                }
            }
        }
    }

    /// @dev One kernel row's in-bounds taps (columns left of the image wrap, as rows do).
    function row(Geometry memory g, uint256 xRow, uint256 wRow) private pure returns (int256 acc) {
        (TileOperands.Operand memory x, TileOperands.Operand memory w) = (g.x, g.w);
        unchecked {
            for (uint256 v = 0; v < g.kernelW; v++) {
                uint256 xx = g.j * g.strideW + v * g.dilationW - g.padLeft;
                if (xx < g.width) acc += x.load(xRow + xx) * w.load(wRow + v);
            }
        }
    }

    /// @dev ConvTranspose's taps: every (u, v) with i + pt − u = a·sh, j + pl − v = b·sw inside the
    /// image. A negative i + pt − u wraps to a value whose quotient is past any row: skipped.
    function transposeTaps(Geometry memory g, uint256 o) private pure returns (int256 acc) {
        (TileOperands.Operand memory x, TileOperands.Operand memory w) = (g.x, g.w);
        unchecked {
            for (uint256 ci = 0; ci < g.links; ci++) {
                uint256 plane = (g.n * g.channels + g.start + ci) * g.height;
                for (uint256 u = 0; u < g.kernelH; u++) {
                    uint256 ty = g.i + g.padTop - u;
                    if (ty % g.strideH != 0 || ty / g.strideH >= g.height) continue;
                    uint256 xRow = (plane + ty / g.strideH) * g.width;
                    uint256 wRow = ((o * g.links + ci) * g.kernelH + u) * g.kernelW;
                    for (uint256 v = 0; v < g.kernelW; v++) {
                        uint256 tx = g.j + g.padLeft - v;
                        if (tx % g.strideW == 0 && tx / g.strideW < g.width) {
                            acc += x.load(xRow + tx / g.strideW) * w.load(wRow + v);
                        }
                    }
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
        g.links = wShape[1];
        g.kernelH = wShape[2];
        g.kernelW = wShape[3];
        g.outH = step.outputType.shape[2];
        g.outW = step.outputType.shape[3];
        g.strideH = uint256(TileOperands.attrValue(step.attrs, 0, 0));
        g.strideW = uint256(TileOperands.attrValue(step.attrs, 0, 1));
        g.padTop = uint256(TileOperands.attrValue(step.attrs, 1, 0));
        g.padLeft = uint256(TileOperands.attrValue(step.attrs, 1, 1));
        g.transpose = step.op == CONV_TRANSPOSE_ACCUMULATE;
        uint256 d = g.transpose ? 0 : 1; // the dilations attribute
        if (d == 1) {
            g.dilationH = uint256(TileOperands.attrValue(step.attrs, 2, 0));
            g.dilationW = uint256(TileOperands.attrValue(step.attrs, 2, 1));
        }
        g.start = uint256(TileOperands.attrValue(step.attrs, 2 + d, 0));
        g.limbs = TileOperands.attrValue(step.attrs, 3 + d, 0) == 0;
        if (step.inputTypes.length > 2) g.previous = step.inputTypes[2].shape.length == 1 ? 1 : 2;
        g.baseShift = TileOperands.fracOf(step.inputTypes[0], 0) - TileOperands.fracOf(step.outputType, 0);
        (g.lo, g.hi) = TileOperands.boundsOf(step.outputType.dtype);
        g.outWidth = TileOperands.widthOf(step.outputType.dtype);
    }
}
