// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, Window} from "../onestep/StepTypes.sol";
import {TileKernels} from "../onestep/TileKernels.sol";
import {TileHarness} from "./TileHarness.sol";

/// @notice Exposes TileKernels to differential tests; never deployed outside tests.
contract TileKernelsHarness is TileHarness {
    function tile(Step memory step, Window[] memory inputs, uint256 start, uint256 end)
        internal
        pure
        override
        returns (bytes memory)
    {
        return TileKernels.run(step, inputs, start, end);
    }
}
