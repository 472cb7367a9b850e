// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, TensorType, Window} from "./StepTypes.sol";
import {TileOperands} from "./TileOperands.sol";

/// @title MacKernels: MatMul tiles (multiply-accumulate, then requantize per output channel).
/// @notice docs/semantics.md §3 "Multiply-accumulate"; reference: libs/ir/src/ops/matmul.ts.
/// The dot products read the windows' bytes in place with inline assembly: a tile does up to
/// 4096 multiply-accumulates, so each one must cost tens of gas, not hundreds.
library MacKernels {
    using TileOperands for TileOperands.Operand;

    /// @dev Where a MatMul tile's operands lie in memory, and its requantization.
    struct MatMulPlan {
        uint256 n;
        uint256 k;
        uint256 aRow;
        uint256 aWidth;
        uint256 wFirstRow;
        uint256 wWidth;
        uint256 firstCol;
        uint256 bias;
        uint256 biasWidth;
        int256 baseShift;
        int256 lo;
        int256 hi;
        uint256 outWidth;
    }

    /// @notice y[m, n] = requantize(bias[n] + Σ_k a[m, k] · w[n, k], fa + fw[n], fo, do).
    function matMul(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        MatMulPlan memory p = matMulPlan(step, inputs, start, end);
        TensorType memory wType = step.inputTypes[1];
        uint256 col = start % p.n;
        for (uint256 i = start; i < end; i++) {
            int256 acc = p.biasWidth == 0
                ? int256(0)
                : TileOperands.read(p.bias + (col - p.firstCol) * p.biasWidth, p.biasWidth);
            acc += dot(p.aRow, p.aWidth, p.wFirstRow + (col - p.firstCol) * p.k * p.wWidth, p.wWidth, p.k);
            int256 shift = p.baseShift + TileOperands.fracOf(wType, col);
            TileOperands.write(dst, p.outWidth, TileOperands.requantize(acc, shift, p.lo, p.hi));
            dst += p.outWidth;
            if (++col == p.n) {
                col = 0;
                p.aRow += p.k * p.aWidth;
            }
        }
    }

    function matMulPlan(Step memory step, Window[] memory inputs, uint256 start, uint256 end)
        private
        pure
        returns (MatMulPlan memory p)
    {
        p.n = step.inputTypes[1].shape[0];
        p.k = step.inputTypes[1].shape[1];
        TileOperands.Operand memory a = TileOperands.operand(step.inputTypes, inputs, 0);
        TileOperands.Operand memory w = TileOperands.operand(step.inputTypes, inputs, 1);
        // The tile reads whole rows of a and whole weight rows (output columns): when it spans
        // two rows of a, it reads every column.
        uint256 firstRow = start / p.n;
        uint256 lastRow = (end - 1) / p.n;
        uint256 lastCol;
        (p.firstCol, lastCol) = lastRow > firstRow ? (0, p.n - 1) : (start % p.n, (end - 1) % p.n);
        p.aRow = a.span(firstRow * p.k, lastRow * p.k + p.k - 1);
        p.aWidth = a.width;
        p.wFirstRow = w.span(p.firstCol * p.k, lastCol * p.k + p.k - 1);
        p.wWidth = w.width;
        if (step.inputTypes.length > 2) {
            TileOperands.Operand memory bias = TileOperands.operand(step.inputTypes, inputs, 2);
            p.bias = bias.span(p.firstCol, lastCol);
            p.biasWidth = bias.width;
        }
        p.baseShift = TileOperands.fracOf(step.inputTypes[0], 0) - TileOperands.fracOf(step.outputType, 0);
        (p.lo, p.hi) = TileOperands.boundsOf(step.outputType.dtype);
        p.outWidth = TileOperands.widthOf(step.outputType.dtype);
    }

    /// @notice Σ_k a[k] · w[k] over `count` consecutive elements of widths aWidth and wWidth.
    function dot(uint256 pa, uint256 aWidth, uint256 pw, uint256 wWidth, uint256 count)
        internal
        pure
        returns (int256 acc)
    {
        assembly ("memory-safe") {
            function load(p, width) -> v {
                let m := mload(p)
                switch width
                case 1 { v := sar(248, m) }
                case 2 { v := signextend(1, or(shr(248, m), and(shr(232, m), 0xff00))) }
                default {
                    v := signextend(
                        3,
                        or(
                            or(shr(248, m), and(shr(232, m), 0xff00)),
                            or(and(shr(216, m), 0xff0000), and(shr(200, m), 0xff000000))
                        )
                    )
                }
            }
            switch and(eq(aWidth, 1), eq(wWidth, 1))
            case 1 {
                // i8 · i8: eight products per iteration, each byte sign-extended by `sar`.
                let endA := add(pa, count)
                let end8 := sub(endA, mod(count, 8))
                for {} lt(pa, end8) {} {
                    acc := add(
                        acc,
                        add(
                            add(
                                add(
                                    mul(sar(248, mload(pa)), sar(248, mload(pw))),
                                    mul(sar(248, mload(add(pa, 1))), sar(248, mload(add(pw, 1))))
                                ),
                                add(
                                    mul(sar(248, mload(add(pa, 2))), sar(248, mload(add(pw, 2)))),
                                    mul(sar(248, mload(add(pa, 3))), sar(248, mload(add(pw, 3))))
                                )
                            ),
                            add(
                                add(
                                    mul(sar(248, mload(add(pa, 4))), sar(248, mload(add(pw, 4)))),
                                    mul(sar(248, mload(add(pa, 5))), sar(248, mload(add(pw, 5))))
                                ),
                                add(
                                    mul(sar(248, mload(add(pa, 6))), sar(248, mload(add(pw, 6)))),
                                    mul(sar(248, mload(add(pa, 7))), sar(248, mload(add(pw, 7))))
                                )
                            )
                        )
                    )
                    pa := add(pa, 8)
                    pw := add(pw, 8)
                }
                for {} lt(pa, endA) {} {
                    acc := add(acc, mul(sar(248, mload(pa)), sar(248, mload(pw))))
                    pa := add(pa, 1)
                    pw := add(pw, 1)
                }
            }
            default {
                for { let k := 0 } lt(k, count) { k := add(k, 1) } {
                    acc := add(acc, mul(load(pa, aWidth), load(pw, wWidth)))
                    pa := add(pa, aWidth)
                    pw := add(pw, wWidth)
                }
            }
        }
    }
}
