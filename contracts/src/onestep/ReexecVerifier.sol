// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IOneStepVerifier} from "./IOneStepVerifier.sol";
import {Step, Window} from "./StepTypes.sol";
import {TensorOpener} from "./TensorOpener.sol";
import {TileKernels} from "./TileKernels.sol";
import {ExtensionKernels} from "./ExtensionKernels.sol";
import {ExtensionVerifier} from "./ExtensionVerifier.sol";

/// @title ReexecVerifier: settles a tile by re-executing it on-chain.
/// @notice Each input of the step is opened against the agreed state root (its tensor digest
/// is the leaf at its node id), then the 1 KiB chunks of the input that the tile reads are
/// opened against that digest (TensorOpener); TileKernels computes the tile with the arithmetic
/// of docs/semantics.md, bit for bit.
contract ReexecVerifier is IOneStepVerifier, TensorOpener {
    /// @dev This contract's code is at the EIP-170 limit: ops added later run in a second
    /// verifier with the same interface, created here (its code is in the creation code only).
    address private immutable extension = address(new ExtensionVerifier());

    function outputHash(bytes32 stateRoot, Step calldata step, uint256 start, uint256 end, bytes calldata witness)
        external
        view
        returns (bytes32)
    {
        if (ExtensionKernels.isExtension(opOf(step))) forwardCall(extension);
        TensorOpening[] memory openings = abi.decode(witness, (TensorOpening[]));
        Window[] memory windows = _openAll(stateRoot, step, openings);
        Step memory s = step;
        uint256[2] memory tile = [start, end];
        if (openings.length != 0 && openings[0].chunks.length != 0) windows[0] = _cropRows(s, openings[0], tile);
        return sha256(TileKernels.run(s, windows, tile[0], tile[1]));
    }

    /// @dev step.op read straight from calldata (the ABI decoder's checks cost code size; a
    /// malformed step still fails them in whichever verifier runs it).
    function opOf(Step calldata step) private pure returns (uint16 op) {
        assembly ("memory-safe") {
            op := and(calldataload(add(step, 0x40)), 0xffff)
        }
    }

    /// @dev Forwards this call unchanged and returns (or reverts with) its result. It never
    /// comes back, so overwriting memory from 0 is safe.
    function forwardCall(address target) private view {
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := staticcall(gas(), target, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }
}
