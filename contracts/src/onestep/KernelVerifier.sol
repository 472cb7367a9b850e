// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IKernelVerifier} from "./IKernelVerifier.sol";
import {Step, Window} from "./StepTypes.sol";
import {TensorOpener} from "./TensorOpener.sol";

/// @title KernelVerifier: opens a tile's inputs and re-executes it with one kernel library.
/// @notice Each input of the step is opened against the agreed state root (its tensor digest
/// is the leaf at its node id), then the 1 KiB chunks of the input that the tile reads are
/// opened against that digest (TensorOpener); `_run` computes the tile with the arithmetic of
/// docs/semantics.md, bit for bit. A listed (several-range) opening of a Conv or ConvTranspose
/// input is cropped into one window first.
abstract contract KernelVerifier is IKernelVerifier, TensorOpener {
    function outputHash(bytes32 stateRoot, Step calldata step, uint256 start, uint256 end, bytes calldata witness)
        external
        view
        returns (bytes32)
    {
        TensorOpening[] memory openings = abi.decode(witness, (TensorOpening[]));
        Window[] memory windows = _openAll(stateRoot, step, openings);
        Step memory s = step;
        uint256[2] memory tile = [start, end];
        _crop(s, openings, windows, tile);
        return sha256(_run(s, windows, tile[0], tile[1]));
    }

    /// @dev Inputs opened as several ranges, each made one window (the step and the tile may be
    /// rewritten to read it). Here only input 0, by `_cropRows`; a verifier whose ops read other
    /// ranges, or other inputs so, overrides this.
    function _crop(Step memory s, TensorOpening[] memory openings, Window[] memory windows, uint256[2] memory tile)
        internal
        pure
        virtual
    {
        if (openings.length != 0 && openings[0].chunks.length != 0) windows[0] = _cropRows(s, openings[0], tile);
    }

    /// @dev The canonical bytes of output elements [start, end) of `step` (a kernel library's `run`).
    function _run(Step memory step, Window[] memory inputs, uint256 start, uint256 end)
        internal
        pure
        virtual
        returns (bytes memory);
}
