// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ModelRegistry: (modelId, node) → the commitments a dispute is judged against.
/// @notice A modelId is the content address of a compiled model (docs/semantics.md §5):
/// sha256("stoa.modelId.v2" ‖ graphDigest ‖ weightsRoot ‖ stepsRoot ‖ layoutHash ‖ steps ‖ opset),
/// a hash over every commitment a dispute is judged against. `register` recomputes it from the
/// submitted pre-image and refuses any other, so no registration — a squatter's or the node's
/// own — can pair a model's id with roots under which its disputes could not be played (issue
/// 18, finding 3). Each node registers once under its own address and a dispute on a node's
/// claim reads that node's entry; the node still checks its entry at start.
contract ModelRegistry {
    struct Model {
        bytes32 weightsRoot;
        /// Merkle root over the ABI-encoded step descriptors (onestep/StepTypes.sol `Step`).
        bytes32 stepsRoot;
        /// sha256 of the ABI-encoded node layout (onestep/StepTypes.sol `Layout`).
        bytes32 layoutHash;
        uint32 steps;
        uint16 opset;
        address owner;
        uint64 registeredAt;
    }

    bytes15 private constant MODEL_ID_DOMAIN = "stoa.modelId.v2";

    mapping(bytes32 => mapping(address => Model)) private models;

    event ModelRegistered(
        bytes32 indexed modelId,
        bytes32 weightsRoot,
        bytes32 stepsRoot,
        bytes32 layoutHash,
        uint32 steps,
        uint16 opset,
        address indexed owner
    );

    error AlreadyRegistered(bytes32 modelId);
    /// The submitted modelId is not the hash of the submitted commitments.
    error ModelIdMismatch(bytes32 modelId, bytes32 computed);
    error InvalidModel(bytes32 modelId);
    error UnknownModel(bytes32 modelId);

    /// @notice The modelId of a pre-image; @stoa/ir `modelIdOf` is the same function.
    function modelIdOf(
        bytes32 graphDigest,
        bytes32 weightsRoot,
        bytes32 stepsRoot,
        bytes32 layoutHash,
        uint32 steps,
        uint16 opset
    ) public pure returns (bytes32) {
        return sha256(abi.encodePacked(MODEL_ID_DOMAIN, graphDigest, weightsRoot, stepsRoot, layoutHash, steps, opset));
    }

    /// @notice The pre-image is computed off-chain from the compiled model (@stoa/ir
    /// `modelPreimage`); the chain checks that it hashes to `modelId`.
    function register(
        bytes32 modelId,
        bytes32 graphDigest,
        bytes32 weightsRoot,
        bytes32 stepsRoot,
        bytes32 layoutHash,
        uint32 steps,
        uint16 opset
    ) external {
        if (modelId == bytes32(0) || stepsRoot == bytes32(0) || layoutHash == bytes32(0) || steps == 0 || opset == 0) {
            revert InvalidModel(modelId);
        }
        bytes32 computed = modelIdOf(graphDigest, weightsRoot, stepsRoot, layoutHash, steps, opset);
        if (computed != modelId) revert ModelIdMismatch(modelId, computed);
        if (models[modelId][msg.sender].owner != address(0)) revert AlreadyRegistered(modelId);
        models[modelId][msg.sender] =
            Model(weightsRoot, stepsRoot, layoutHash, steps, opset, msg.sender, uint64(block.timestamp));
        emit ModelRegistered(modelId, weightsRoot, stepsRoot, layoutHash, steps, opset, msg.sender);
    }

    function isRegistered(bytes32 modelId, address node) external view returns (bool) {
        return models[modelId][node].owner != address(0);
    }

    function get(bytes32 modelId, address node) external view returns (Model memory model) {
        model = models[modelId][node];
        if (model.owner == address(0)) revert UnknownModel(modelId);
    }
}
