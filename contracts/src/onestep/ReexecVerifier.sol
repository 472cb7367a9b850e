// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IOneStepVerifier} from "./IOneStepVerifier.sol";
import {IKernelVerifier} from "./IKernelVerifier.sol";
import {Step} from "./StepTypes.sol";
import {TileKernels} from "./TileKernels.sol";

/// @title ReexecVerifier: settles a tile by re-executing it on-chain, in the kernel verifier
/// that holds its op.
/// @notice The op set's kernels do not fit one contract (EIP-170: 24,576 bytes of code), so they
/// live in up to four kernel verifiers (TileVerifier, ExtensionVerifier, ...), deployed first and
/// named here at construction. Each step is forwarded unchanged to the verifier whose `ops()`
/// bitmap holds its op; no two verifiers may claim one op. A new kernel goes into a verifier
/// with room, or a new one, without touching the dispute game.
contract ReexecVerifier is IOneStepVerifier {
    error NoKernelVerifiers();
    error TooManyKernelVerifiers(uint256 count);
    /// @notice `verifier` claims ops (`overlap`'s bits) that an earlier verifier already claims.
    error OpsClaimedTwice(address verifier, uint256 overlap);

    uint256 public constant MAX_KERNEL_VERIFIERS = 4;

    address private immutable verifier0;
    address private immutable verifier1;
    address private immutable verifier2;
    address private immutable verifier3;
    uint256 private immutable ops0;
    uint256 private immutable ops1;
    uint256 private immutable ops2;
    uint256 private immutable ops3;

    constructor(IKernelVerifier[] memory verifiers) {
        uint256 count = verifiers.length;
        if (count == 0) revert NoKernelVerifiers();
        if (count > MAX_KERNEL_VERIFIERS) revert TooManyKernelVerifiers(count);
        address[MAX_KERNEL_VERIFIERS] memory at;
        uint256[MAX_KERNEL_VERIFIERS] memory ops;
        uint256 claimed;
        for (uint256 i = 0; i < count; i++) {
            at[i] = address(verifiers[i]);
            ops[i] = verifiers[i].ops();
            if (ops[i] & claimed != 0) revert OpsClaimedTwice(at[i], ops[i] & claimed);
            claimed |= ops[i];
        }
        (verifier0, verifier1, verifier2, verifier3) = (at[0], at[1], at[2], at[3]);
        (ops0, ops1, ops2, ops3) = (ops[0], ops[1], ops[2], ops[3]);
    }

    /// @notice The kernel verifiers and the ops each one settles, for auditors.
    function kernelVerifiers() external view returns (address[] memory verifiers, uint256[] memory ops) {
        address[4] memory at = [verifier0, verifier1, verifier2, verifier3];
        uint256[4] memory bits = [ops0, ops1, ops2, ops3];
        uint256 count = 0;
        while (count < MAX_KERNEL_VERIFIERS && at[count] != address(0)) count++;
        verifiers = new address[](count);
        ops = new uint256[](count);
        for (uint256 i = 0; i < count; i++) (verifiers[i], ops[i]) = (at[i], bits[i]);
    }

    /// @dev Never returns: the kernel verifier's answer (or revert) is this call's.
    function outputHash(bytes32, Step calldata step, uint256, uint256, bytes calldata)
        external
        view
        returns (bytes32)
    {
        forwardCall(verifierOf(opOf(step)));
    }

    function verifierOf(uint16 op) private view returns (address) {
        uint256 bit = op < 256 ? 1 << op : 0;
        if (ops0 & bit != 0) return verifier0;
        if (ops1 & bit != 0) return verifier1;
        if (ops2 & bit != 0) return verifier2;
        if (ops3 & bit != 0) return verifier3;
        revert TileKernels.UnknownOp(op);
    }

    /// @dev step.op read straight from calldata; the kernel verifier decodes and checks the step.
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
