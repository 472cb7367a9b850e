// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {KernelVerifier} from "./KernelVerifier.sol";
import {Step, Window} from "./StepTypes.sol";
import {TileKernels} from "./TileKernels.sol";

/// @title TileVerifier: the kernel verifier of the original op set (TileKernels).
contract TileVerifier is KernelVerifier {
    /// @dev Add, Sub and Mul are settled by GatherVerifier (a broadcast operand may open several ranges).
    function ops() external pure returns (uint256) {
        return TileKernels.KNOWN_OPS & ~(uint256(0x7) << TileKernels.ADD);
    }

    function _run(Step memory step, Window[] memory inputs, uint256 start, uint256 end)
        internal
        pure
        override
        returns (bytes memory)
    {
        return TileKernels.run(step, inputs, start, end);
    }
}
