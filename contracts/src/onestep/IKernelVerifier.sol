// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IOneStepVerifier} from "./IOneStepVerifier.sol";

/// @title IKernelVerifier: a one-step re-execution verifier for some of the op set.
/// @notice Each contract holds as many kernels as fit under EIP-170 (24,576 bytes of code);
/// ReexecVerifier forwards every step to the kernel verifier whose `ops` names its op.
interface IKernelVerifier is IOneStepVerifier {
    /// @notice Bit `op` is set for each op code whose tiles this verifier computes.
    function ops() external pure returns (uint256);
}
