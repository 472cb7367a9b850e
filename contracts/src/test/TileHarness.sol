// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, Window} from "../onestep/StepTypes.sol";

/// @notice Exposes a tile kernel library to differential tests; never deployed outside tests.
abstract contract TileHarness {
    /// @notice The library's output bytes of [start, end) of `step`.
    function tile(Step memory step, Window[] memory inputs, uint256 start, uint256 end)
        internal
        pure
        virtual
        returns (bytes memory);

    /// @notice One tile's output bytes.
    function run(Step calldata step, Window[] calldata inputs, uint256 start, uint256 end)
        external
        pure
        returns (bytes memory)
    {
        return tile(step, inputs, start, end);
    }

    /// @notice One tile's output bytes and the gas of the kernel alone (inputs already in memory).
    function runWithGas(Step calldata step, Window[] calldata inputs, uint256 start, uint256 end)
        external
        view
        returns (bytes memory out, uint256 gasUsed)
    {
        Step memory s = step;
        Window[] memory w = inputs;
        uint256 before = gasleft();
        out = tile(s, w, start, end);
        gasUsed = before - gasleft();
    }

    /// @notice Many tiles in one call: each tile's keccak256(output) and kernel gas. Memory is
    /// released after every tile, so a batch costs the sum of its tiles, not their square.
    function runBatch(
        Step[] calldata steps,
        Window[][] calldata inputs,
        uint256[] calldata starts,
        uint256[] calldata ends
    ) external view returns (bytes32[] memory digests, uint256[] memory gasUsed) {
        digests = new bytes32[](steps.length);
        gasUsed = new uint256[](steps.length);
        for (uint256 t = 0; t < steps.length; t++) {
            uint256 freeMemory;
            assembly ("memory-safe") {
                freeMemory := mload(0x40)
            }
            Step memory s = steps[t];
            Window[] memory w = inputs[t];
            uint256 before = gasleft();
            bytes memory out = tile(s, w, starts[t], ends[t]);
            gasUsed[t] = before - gasleft();
            digests[t] = keccak256(out);
            assembly ("memory-safe") {
                mstore(0x40, freeMemory)
            }
        }
    }
}
