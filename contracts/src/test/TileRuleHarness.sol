// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step} from "../onestep/StepTypes.sol";
import {TileRule} from "../onestep/TileRule.sol";

/// @notice Exposes TileRule (DisputeGame's tile decomposition) to differential tests against
/// libs/ir's `tilesOf`; never deployed outside tests.
contract TileRuleHarness {
    /// @notice Each step's output elements per canonical tile.
    function elementsPerTile(Step[] calldata steps) external pure returns (uint256[] memory perTile) {
        perTile = new uint256[](steps.length);
        for (uint256 i = 0; i < steps.length; i++) {
            perTile[i] = TileRule.elementsPerTile(steps[i]);
        }
    }
}
