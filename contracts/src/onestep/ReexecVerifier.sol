// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IOneStepVerifier} from "./IOneStepVerifier.sol";
import {Step, Window} from "./StepTypes.sol";
import {TensorOpener} from "./TensorOpener.sol";
import {TileKernels} from "./TileKernels.sol";

/// @title ReexecVerifier: settles a tile by re-executing it on-chain.
/// @notice Each input of the step is opened against the agreed state root (its tensor digest
/// is the leaf at its node id), then the 1 KiB chunks of the input that the tile reads are
/// opened against that digest (TensorOpener); TileKernels computes the tile with the arithmetic
/// of docs/semantics.md, bit for bit.
contract ReexecVerifier is IOneStepVerifier, TensorOpener {
    function outputHash(bytes32 stateRoot, Step calldata step, uint256 start, uint256 end, bytes calldata witness)
        external
        view
        returns (bytes32)
    {
        TensorOpening[] memory openings = abi.decode(witness, (TensorOpening[]));
        Window[] memory windows = _openAll(stateRoot, step, openings);
        return sha256(TileKernels.run(step, windows, start, end));
    }
}
