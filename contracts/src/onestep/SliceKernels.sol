// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, Window} from "./StepTypes.sol";
import {TileOperands} from "./TileOperands.sol";
import {LayoutKernels} from "./LayoutKernels.sol";

/// @title SliceKernels: Slice tiles (a static block of the input, values unchanged).
/// @notice docs/semantics.md §3 "Layout"; reference: libs/ir/src/ops/slice.ts.
library SliceKernels {
    /// @notice Output element i (coordinates c) is input element Σ (c_d + starts_d) · inStride_d,
    /// copied in contiguous runs (LayoutKernels.copyStrided).
    function slice(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        uint256[] memory inStrides = TileOperands.stridesOf(step.inputTypes[0].shape);
        uint256 offset = 0;
        for (uint256 d = 0; d < inStrides.length; d++) {
            offset += uint256(TileOperands.attrValue(step.attrs, 0, d)) * inStrides[d];
        }
        LayoutKernels.copyStrided(step, inputs, inStrides, offset, start, end, dst);
    }
}
