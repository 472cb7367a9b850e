// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {KernelVerifier} from "./KernelVerifier.sol";
import {Step, Window} from "./StepTypes.sol";
import {ExtensionKernels} from "./ExtensionKernels.sol";

/// @title ExtensionVerifier: the kernel verifier of the ops added after TileVerifier filled its
/// code (ExtensionKernels).
contract ExtensionVerifier is KernelVerifier {
    /// @dev Transpose is settled by GatherVerifier (its tiles may open several ranges).
    function ops() external pure returns (uint256) {
        return ExtensionKernels.OPS & ~(uint256(1) << ExtensionKernels.TRANSPOSE);
    }

    function _run(Step memory step, Window[] memory inputs, uint256 start, uint256 end)
        internal
        pure
        override
        returns (bytes memory)
    {
        return ExtensionKernels.run(step, inputs, start, end);
    }
}
