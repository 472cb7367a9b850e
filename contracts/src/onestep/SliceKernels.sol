// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, Window} from "./StepTypes.sol";
import {TileOperands} from "./TileOperands.sol";

/// @title SliceKernels: Slice tiles (a static block of the input, values unchanged).
/// @notice docs/semantics.md §3 "Layout"; reference: libs/ir/src/ops/slice.ts.
library SliceKernels {
    using TileOperands for TileOperands.Operand;

    /// @notice Output element i (coordinates c) is input element Σ (c_d + starts_d) · inStride_d.
    function slice(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        TileOperands.Operand memory x = TileOperands.operand(step.inputTypes, inputs, 0);
        uint256[] memory inStrides = TileOperands.stridesOf(step.inputTypes[0].shape);
        uint256[] memory outStrides = TileOperands.stridesOf(step.outputType.shape);
        uint256 offset = 0;
        for (uint256 d = 0; d < inStrides.length; d++) {
            offset += uint256(TileOperands.attrValue(step.attrs, 0, d)) * inStrides[d];
        }
        uint256 width = x.width;
        for (uint256 i = start; i < end; i++) {
            uint256 rest = i;
            uint256 src = offset;
            for (uint256 d = 0; d < outStrides.length; d++) {
                uint256 coord = rest / outStrides[d];
                rest -= coord * outStrides[d];
                src += coord * inStrides[d];
            }
            TileOperands.write(dst, width, x.load(src));
            dst += width;
        }
    }
}
