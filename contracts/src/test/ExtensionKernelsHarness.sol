// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, Window} from "../onestep/StepTypes.sol";
import {ExtensionKernels} from "../onestep/ExtensionKernels.sol";
import {TileHarness} from "./TileHarness.sol";

/// @notice Exposes ExtensionKernels to differential tests; never deployed outside tests.
contract ExtensionKernelsHarness is TileHarness {
    function tile(Step memory step, Window[] memory inputs, uint256 start, uint256 end)
        internal
        pure
        override
        returns (bytes memory)
    {
        return ExtensionKernels.run(step, inputs, start, end);
    }
}
