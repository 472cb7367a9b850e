// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, Window} from "../onestep/StepTypes.sol";
import {ConvAccumulateKernels} from "../onestep/ConvAccumulateKernels.sol";
import {TileHarness} from "./TileHarness.sol";

/// @notice Exposes ConvAccumulateKernels to differential tests; never deployed outside tests.
contract ConvAccumulateKernelsHarness is TileHarness {
    function tile(Step memory step, Window[] memory inputs, uint256 start, uint256 end)
        internal
        pure
        override
        returns (bytes memory)
    {
        return ConvAccumulateKernels.run(step, inputs, start, end);
    }
}
