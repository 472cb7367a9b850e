// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, Window} from "./StepTypes.sol";
import {TileKernels} from "./TileKernels.sol";
import {TileOperands} from "./TileOperands.sol";
import {ActivationKernels} from "./ActivationKernels.sol";
import {AttentionKernels} from "./AttentionKernels.sol";
import {LayoutKernels} from "./LayoutKernels.sol";
import {NonlinearKernels} from "./NonlinearKernels.sol";
import {PoolKernels} from "./PoolKernels.sol";
import {SliceKernels} from "./SliceKernels.sol";
import {TextKernels} from "./TextKernels.sol";
import {UpsampleKernels} from "./UpsampleKernels.sol";

/// @title ExtensionKernels: tiles of the ops added after TileKernels filled a contract.
/// @notice Same contract as TileKernels.run (docs/semantics.md §3, bit for bit) for the ops
/// `isExtension` names. They run in ExtensionVerifier, a kernel verifier of its own, because
/// TileVerifier's code is at the EIP-170 limit (24,576 bytes).
library ExtensionKernels {
    uint16 internal constant CLIP = 15;
    uint16 internal constant HARD_SIGMOID = 53;
    uint16 internal constant BATCH_MATMUL = 22;
    uint16 internal constant REDUCE_MEAN = 33;
    uint16 internal constant SLICE = 43;
    uint16 internal constant LAYER_NORM = 54;
    uint16 internal constant GATHER = 70;
    uint16 internal constant GELU = 71;
    uint16 internal constant CAUSAL_SOFTMAX = 72;
    uint16 internal constant CONV_TRANSPOSE = 23;
    uint16 internal constant RESIZE = 44;
    /// @dev Moved from TileKernels (s27-opgas): Transpose, Concat, Softmax, Sigmoid, Tanh.
    uint16 internal constant TRANSPOSE = 41;
    uint16 internal constant CONCAT = 42;
    uint16 internal constant SOFTMAX = 50;
    uint16 internal constant SIGMOID = 51;
    uint16 internal constant TANH = 52;
    /// @dev A Softmax over rows past 256 values, in three steps (docs/semantics.md §3).
    uint16 internal constant SEGMENT_MAX = 55;
    uint16 internal constant SOFTMAX_SEGMENT_SUM = 56;
    uint16 internal constant SOFTMAX_NORMALIZE = 57;

    /// @dev One bit per op above; ReexecVerifier routes by it (ExtensionVerifier.ops).
    uint256 internal constant OPS =
        (1 << CLIP) | (1 << HARD_SIGMOID) | (1 << BATCH_MATMUL) | (1 << REDUCE_MEAN) | (1 << SLICE)
        | (1 << LAYER_NORM) | (1 << GATHER) | (1 << GELU) | (1 << CAUSAL_SOFTMAX) | (1 << CONV_TRANSPOSE)
        | (1 << RESIZE) | (1 << TRANSPOSE) | (1 << CONCAT) | (1 << SOFTMAX) | (1 << SIGMOID) | (1 << TANH)
        | (1 << SEGMENT_MAX) | (1 << SOFTMAX_SEGMENT_SUM) | (1 << SOFTMAX_NORMALIZE);

    function isExtension(uint16 op) internal pure returns (bool) {
        return op < 256 && (OPS >> op) & 1 == 1;
    }

    function run(Step memory step, Window[] memory inputs, uint256 start, uint256 end)
        internal
        pure
        returns (bytes memory out)
    {
        uint16 op = step.op;
        if (!isExtension(op)) revert TileKernels.UnknownOp(op);
        uint256 dst;
        (out, dst) = TileKernels.output(step, start, end);
        if (start == end) return out;
        if (op == CLIP) {
            ActivationKernels.clip(step, inputs, start, end, dst);
        } else if (op == HARD_SIGMOID) {
            ActivationKernels.hardSigmoid(step, inputs, start, end, dst);
        } else if (op == BATCH_MATMUL) {
            AttentionKernels.batchMatMul(step, inputs, start, end, dst);
        } else if (op == SLICE) {
            SliceKernels.slice(step, inputs, start, end, dst);
        } else if (op == LAYER_NORM) {
            AttentionKernels.layerNorm(step, inputs, start, end, dst);
        } else if (op == GATHER) {
            TextKernels.gather(step, inputs, start, end, dst);
        } else if (op == GELU) {
            TextKernels.gelu(step, inputs, start, end, dst);
        } else if (op == CAUSAL_SOFTMAX) {
            TextKernels.causalSoftmax(step, inputs, start, end, dst);
        } else if (op == CONV_TRANSPOSE) {
            UpsampleKernels.convTranspose(step, inputs, start, end, dst);
        } else if (op == RESIZE) {
            UpsampleKernels.resize(step, inputs, start, end, dst);
        } else if (op == TRANSPOSE) {
            LayoutKernels.transpose(step, inputs, start, end, dst);
        } else if (op == CONCAT) {
            LayoutKernels.concat(step, inputs, start, end, dst);
        } else if (op == SOFTMAX) {
            NonlinearKernels.softmax(step, inputs, start, end, dst);
        } else if (op == SEGMENT_MAX) {
            NonlinearKernels.segmentMax(step, inputs, start, end, dst);
        } else if (op == SOFTMAX_SEGMENT_SUM) {
            NonlinearKernels.softmaxSegmentSum(step, inputs, start, end, dst);
        } else if (op == SOFTMAX_NORMALIZE) {
            NonlinearKernels.softmaxNormalize(step, inputs, start, end, dst);
        } else if (op == SIGMOID || op == TANH) {
            NonlinearKernels.sigmoidOrTanh(step, inputs, start, end, dst);
        } else {
            uint32[] memory shape = step.inputTypes[0].shape;
            PoolKernels.planeMeans(step, inputs, start, end, dst, shape[shape.length - 1]);
        }
    }
}
