// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, TensorType, Window} from "./StepTypes.sol";
import {TileOperands} from "./TileOperands.sol";

/// @title ElementwiseKernels: Add, Sub, Mul (numpy broadcasting), Relu and Requantize tiles.
/// @notice docs/semantics.md §3 "Elementwise"; reference: libs/ir/src/ops/elementwise.ts.
library ElementwiseKernels {
    using TileOperands for TileOperands.Operand;

    uint16 private constant ADD = 10;
    uint16 private constant SUB = 11;

    /// @dev How output element i maps to an element of a broadcast input.
    struct Broadcast {
        TileOperands.Operand operand;
        /// 0: same shape (element i); 1: a single element (element 0); 2: general strides.
        uint256 kind;
        /// Per output axis, the input's stride (0 along broadcast axes).
        uint256[] strides;
    }

    /// @dev The scalar parameters of a binary op's arithmetic.
    struct Arithmetic {
        uint16 op;
        int256 scaleA;
        int256 scaleB;
        int256 shift;
        int256 lo;
        int256 hi;
        uint256 width;
    }

    /// @notice Add and Sub align both inputs to F = max(fa, fb) and round to the output frac;
    /// Mul rounds the exact product from fa + fb.
    function binary(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        uint256[] memory outStrides = TileOperands.stridesOf(step.outputType.shape);
        Broadcast memory a = broadcast(step, inputs, 0, start, end);
        Broadcast memory b = broadcast(step, inputs, 1, start, end);
        Arithmetic memory m = arithmetic(step);
        for (uint256 i = start; i < end; i++) {
            int256 x = valueAt(a, i, outStrides) * m.scaleA;
            int256 y = valueAt(b, i, outStrides) * m.scaleB;
            int256 combined = m.op == ADD ? x + y : m.op == SUB ? x - y : x * y;
            TileOperands.write(dst, m.width, TileOperands.requantize(combined, m.shift, m.lo, m.hi));
            dst += m.width;
        }
    }

    /// @notice max(x, 0) on whole 32-byte words: every lane whose sign bit is set is cleared.
    function relu(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        TileOperands.Operand memory x = TileOperands.operand(step.inputTypes, inputs, 0);
        uint256 width = x.width;
        uint256 src = x.span(start, end - 1);
        uint256 bytes_ = (end - start) * width;
        // Lanes are little-endian, so a lane's sign bit is bit 7 of its last byte.
        uint256 signBits = width == 1
            ? 0x8080808080808080808080808080808080808080808080808080808080808080
            : width == 2
                ? 0x0080008000800080008000800080008000800080008000800080008000800080
                : 0x0000008000000080000000800000008000000080000000800000008000000080;
        uint256 laneOnes = width == 1 ? 0xff : width == 2 ? 0xffff : 0xffffffff;
        assembly ("memory-safe") {
            for { let offset := 0 } lt(offset, bytes_) { offset := add(offset, 32) } {
                let word := mload(add(src, offset))
                let negative := mul(shr(7, and(word, signBits)), laneOnes)
                mstore(add(dst, offset), and(word, not(negative)))
            }
        }
    }

    /// @notice requantize(x, fx, fo, do): any dtype and frac in, any out.
    function requantize(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        TileOperands.Operand memory x = TileOperands.operand(step.inputTypes, inputs, 0);
        uint256 width = x.width;
        uint256 src = x.span(start, end - 1);
        int256 shift = TileOperands.fracOf(step.inputTypes[0], 0) - TileOperands.fracOf(step.outputType, 0);
        (int256 lo, int256 hi) = TileOperands.boundsOf(step.outputType.dtype);
        uint256 ow = TileOperands.widthOf(step.outputType.dtype);
        for (uint256 i = start; i < end; i++) {
            TileOperands.write(dst, ow, TileOperands.requantize(TileOperands.read(src, width), shift, lo, hi));
            src += width;
            dst += ow;
        }
    }

    /// @dev Add and Sub scale both inputs to F = max(fa, fb) and shift from F; Mul shifts from fa + fb.
    function arithmetic(Step memory step) private pure returns (Arithmetic memory m) {
        int256 fa = TileOperands.fracOf(step.inputTypes[0], 0);
        int256 fb = TileOperands.fracOf(step.inputTypes[1], 0);
        int256 fo = TileOperands.fracOf(step.outputType, 0);
        m.op = step.op;
        (m.lo, m.hi) = TileOperands.boundsOf(step.outputType.dtype);
        m.width = TileOperands.widthOf(step.outputType.dtype);
        if (m.op == ADD || m.op == SUB) {
            int256 f = fa > fb ? fa : fb;
            m.scaleA = int256(1 << uint256(f - fa));
            m.scaleB = int256(1 << uint256(f - fb));
            m.shift = f - fo;
        } else {
            m.scaleA = 1;
            m.scaleB = 1;
            m.shift = fa + fb - fo;
        }
    }

    function broadcast(Step memory step, Window[] memory inputs, uint256 input, uint256 start, uint256 end)
        private
        pure
        returns (Broadcast memory b)
    {
        b.operand = TileOperands.operand(step.inputTypes, inputs, input);
        uint32[] memory shape = step.inputTypes[input].shape;
        uint32[] memory outShape = step.outputType.shape;
        bool same = shape.length == outShape.length;
        bool single = true;
        for (uint256 d = 0; d < shape.length; d++) {
            if (same && shape[d] != outShape[d]) same = false;
            if (shape[d] != 1) single = false;
        }
        if (same) {
            b.kind = 0;
            // Same shape reads exactly [start, end): one check covers the whole tile.
            b.operand.span(start, end - 1);
        } else if (single) {
            b.kind = 1;
            b.operand.span(0, 0);
        } else {
            b.kind = 2;
            uint256[] memory inStrides = TileOperands.stridesOf(shape);
            uint256 rank = outShape.length;
            uint256 skipped = rank - shape.length;
            b.strides = new uint256[](rank);
            for (uint256 d = skipped; d < rank; d++) {
                if (shape[d - skipped] != 1) b.strides[d] = inStrides[d - skipped];
            }
        }
    }

    function valueAt(Broadcast memory b, uint256 i, uint256[] memory outStrides) private pure returns (int256) {
        TileOperands.Operand memory o = b.operand;
        if (b.kind == 0) return TileOperands.read(o.data + i * o.width - o.firstByte, o.width);
        if (b.kind == 1) return TileOperands.read(o.data - o.firstByte, o.width);
        uint256 index = 0;
        uint256 rest = i;
        for (uint256 d = 0; d < outStrides.length; d++) {
            uint256 coord = rest / outStrides[d];
            rest -= coord * outStrides[d];
            index += coord * b.strides[d];
        }
        return o.load(index);
    }
}
