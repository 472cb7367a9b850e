// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IOneStepVerifier} from "./IOneStepVerifier.sol";
import {Step, Window} from "./StepTypes.sol";
import {TensorOpener} from "./TensorOpener.sol";
import {ExtensionKernels} from "./ExtensionKernels.sol";

/// @title ExtensionVerifier: ReexecVerifier for the ops of ExtensionKernels.
/// @notice Opens the inputs exactly as ReexecVerifier does and computes the tile with
/// ExtensionKernels. ReexecVerifier creates one and forwards its calls for those ops here.
contract ExtensionVerifier is IOneStepVerifier, TensorOpener {
    function outputHash(bytes32 stateRoot, Step calldata step, uint256 start, uint256 end, bytes calldata witness)
        external
        view
        returns (bytes32)
    {
        TensorOpening[] memory openings = abi.decode(witness, (TensorOpening[]));
        Window[] memory windows = _openAll(stateRoot, step, openings);
        Step memory s = step;
        uint256[2] memory tile = [start, end];
        if (openings.length != 0 && openings[0].chunks.length != 0) windows[0] = _cropRows(s, openings[0], tile);
        return sha256(ExtensionKernels.run(s, windows, tile[0], tile[1]));
    }
}
