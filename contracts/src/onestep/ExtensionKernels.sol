// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, Window} from "./StepTypes.sol";
import {TileKernels} from "./TileKernels.sol";
import {TileOperands} from "./TileOperands.sol";
import {ActivationKernels} from "./ActivationKernels.sol";

/// @title ExtensionKernels: tiles of the ops added after TileKernels filled a contract.
/// @notice Same contract as TileKernels.run (docs/semantics.md §3, bit for bit) for the ops
/// `isExtension` names. ReexecVerifier's code is at the EIP-170 limit (24,576 bytes), so these
/// run in ExtensionVerifier, a second contract that ReexecVerifier creates and forwards to.
library ExtensionKernels {
    uint16 internal constant CLIP = 15;
    uint16 internal constant HARD_SIGMOID = 53;

    function isExtension(uint16 op) internal pure returns (bool) {
        return op == CLIP || op == HARD_SIGMOID;
    }

    function run(Step memory step, Window[] memory inputs, uint256 start, uint256 end)
        internal
        pure
        returns (bytes memory out)
    {
        uint16 op = step.op;
        if (!isExtension(op)) revert TileKernels.UnknownOp(op);
        uint256 total = TileOperands.elementCount(step.outputType.shape);
        if (start > end || end > total) revert TileKernels.TileOutOfRange(start, end, total);
        out = new bytes((end - start) * TileOperands.widthOf(step.outputType.dtype));
        if (start == end) return out;
        uint256 dst;
        assembly ("memory-safe") {
            dst := add(out, 32)
        }
        if (op == CLIP) ActivationKernels.clip(step, inputs, start, end, dst);
        else ActivationKernels.hardSigmoid(step, inputs, start, end, dst);
    }
}
