// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice The ABI form of one step of a compiled model: what a one-step verifier needs to
/// re-execute any tile of it. The model registry commits to these as `stepsRoot`, a SHA-256
/// Merkle root (docs/semantics.md §5 tree rules) over `abi.encode(step)` for every step.
/// Built off-chain by `stepDescriptor()` in contracts/ts/one-step/descriptor.ts.
struct TensorType {
    /// 1 = i8, 2 = i16, 3 = i32 (the IR's dtype codes).
    uint8 dtype;
    uint32[] shape;
    /// One byte per frac (int8, two's complement). One byte: a per-tensor frac. More: one frac
    /// per channel along axis 0.
    bytes fracs;
}

struct Step {
    uint32 index;
    uint32 edge;
    /// The op's code in the IR's registry (Add 10, ..., MatMul 20, Conv 21, ...).
    uint16 op;
    /// Every attribute the op declares, in its declared order: a count, then the values.
    int64[] attrs;
    uint32[] inputNodes;
    TensorType[] inputTypes;
    uint32 outputNode;
    TensorType outputType;
    /// Input nodes whose last read is this step and that are not model outputs: they leave
    /// the state after the step. Ascending, without repeats.
    uint32[] deadAfter;
}

/// @notice The node layout of a model: what the initial state holds and where the outputs
/// are. The model registry commits to `sha256(abi.encode(layout))` as `layoutHash`.
struct Layout {
    uint32 nodes;
    /// Boundary inputs in boundary order (their digests make the receipt's inputDigest).
    uint32[] inputs;
    /// Parameter nodes in node order (their digests make weightsRoot).
    uint32[] params;
    /// Inputs and parameters live in the initial state (read by some step, or a model output).
    uint32[] initiallyLive;
    /// Boundary outputs in boundary order (their digests make the receipt's outputDigest).
    uint32[] outputs;
}

/// @notice Consecutive bytes of one tensor's canonical bytes, starting at `firstByte`.
struct Window {
    uint256 firstByte;
    bytes data;
}
