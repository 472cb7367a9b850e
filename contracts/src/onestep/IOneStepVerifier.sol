// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step} from "./StepTypes.sol";

/// @title IOneStepVerifier: settles the one disputed tile of a dispute.
/// @notice Given the state root both parties agree on before the step, the step's descriptor
/// (already checked against the model's stepsRoot by the caller) and a range of output
/// elements, returns SHA-256 of the canonical bytes those output elements must have. How the
/// verifier knows — re-executing the tile from inputs opened against `stateRoot`, or checking
/// a succinct proof — is its own business; `witness` carries what it needs. It reverts when the
/// witness does not bind to `stateRoot` (a bad witness never decides a game).
interface IOneStepVerifier {
    function outputHash(bytes32 stateRoot, Step calldata step, uint256 start, uint256 end, bytes calldata witness)
        external
        view
        returns (bytes32);
}
