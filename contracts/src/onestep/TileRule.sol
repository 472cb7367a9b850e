// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step} from "./StepTypes.sol";

/// @title TileRule: the canonical tile decomposition of docs/semantics.md §4.
/// @notice per_tile = g · max(1, ⌊TILE_WORK / (w · g)⌋) output elements, where w is the work
/// per output element and g the granule of the op (libs/ir/src/graph/tiles.ts).
library TileRule {
    /// @dev Op-set version 2: 128 units per tile (was 4096); Add, Sub and Mul weigh 4 per element,
    /// Transpose 32.
    uint256 internal constant TILE_WORK = 128;

    error UnknownOp(uint16 op);

    function elementsPerTile(Step calldata step) internal pure returns (uint256) {
        (uint256 work, uint256 granule) = workAndGranule(step);
        uint256 perGranule = work * granule;
        uint256 granules = perGranule >= TILE_WORK ? 1 : TILE_WORK / perGranule;
        return granule * granules;
    }

    function workAndGranule(Step calldata step) internal pure returns (uint256 work, uint256 granule) {
        uint16 op = step.op;
        if (op == 20) return (step.inputTypes[1].shape[1], 1); // MatMul: K
        if (op == 21 || op == 58) {
            // Conv: (C/group) · kh · kw; ConvAccumulate: c · kh · kw + 12, a position's two limbs in one tile
            uint32[] calldata w = step.inputTypes[1].shape;
            if (op == 21) return (uint256(w[1]) * w[2] * w[3], 1);
            return (uint256(w[1]) * w[2] * w[3] + 12, step.outputType.shape.length == 5 ? 2 : 1);
        }
        if (op == 30 || op == 31) return (uint256(int256(step.attrs[1])) * uint256(int256(step.attrs[2])), 1); // kernel_shape
        if (op == 32) {
            uint32[] calldata x = step.inputTypes[0].shape;
            return (uint256(x[2]) * x[3], 1); // GlobalAveragePool: H · W
        }
        if (op == 50 || op == 54 || op == 72) {
            uint32[] calldata x = step.inputTypes[0].shape;
            return (3, x[x.length - 1]); // Softmax, LayerNorm, CausalSoftmax: whole rows
        }
        if (op >= 10 && op <= 12) return (4, 1); // Add, Sub, Mul: two broadcast operands
        if (op == 41) return (32, 1); // Transpose: 4 outputs a tile, at most 4 runs of its input
        if (op == 13 || op == 14 || op == 40 || op == 42 || op == 51 || op == 52) return (1, 1);
        if (op == 15 || op == 53 || op == 43 || op == 70 || op == 71) return (1, 1); // Clip, HardSigmoid, Slice, Gather, Gelu
        if (op == 22 || op == 33) {
            uint32[] calldata a = step.inputTypes[0].shape;
            return (a[a.length - 1], 1); // BatchMatMul: K; ReduceMean: the last axis
        }
        if (op == 44 || op == 57) return (op == 44 ? 1 : 3, 1); // Resize; SoftmaxNormalize
        if (op == 55 || op == 56) {
            // SegmentMax: S = min(segment, L) reads; SoftmaxSegmentSum: S + J (the row's segment maxima)
            uint32[] calldata x = step.inputTypes[0].shape;
            uint256 s = uint256(int256(step.attrs[1]));
            if (s > x[x.length - 1]) s = x[x.length - 1];
            if (op == 55) return (s, 1);
            uint32[] calldata m = step.inputTypes[1].shape;
            return (s + m[m.length - 1], 1);
        }
        if (op == 23 || op == 59) {
            // ConvTranspose: C · ⌈kh / sh⌉ · ⌈kw / sw⌉ taps at most per output, + 3 per output;
            // ConvTransposeAccumulate: c · ⌈kh / sh⌉ · ⌈kw / sw⌉ + 12, a position's two limbs in one tile
            uint32[] calldata w = step.inputTypes[1].shape;
            uint256 sh = uint256(int256(step.attrs[1]));
            uint256 sw = uint256(int256(step.attrs[2]));
            uint256 taps = uint256(w[1]) * ((w[2] + sh - 1) / sh) * ((w[3] + sw - 1) / sw);
            if (op == 23) return (taps + 3, 1);
            return (taps + 12, step.outputType.shape.length == 5 ? 2 : 1);
        }
        revert UnknownOp(op);
    }

    function elements(uint32[] calldata shape) internal pure returns (uint256 count) {
        count = 1;
        for (uint256 i = 0; i < shape.length; i++) count *= shape[i];
    }

    function dtypeBytes(uint8 dtype) internal pure returns (uint256) {
        return dtype == 1 ? 1 : dtype == 2 ? 2 : 4;
    }
}
