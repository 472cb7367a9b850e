// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ModelRegistry: modelId → the commitments a dispute is judged against.
/// @notice A modelId is the content address of a compiled model (docs/semantics.md §5); its
/// entry is written once and never changes.
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

    mapping(bytes32 => Model) private models;

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
    error InvalidModel(bytes32 modelId);
    error UnknownModel(bytes32 modelId);

    /// @notice The roots are computed off-chain from the compiled model (contracts/ts
    /// `modelCommitments`); anyone holding the model can check them against the modelId
    /// before serving or challenging it.
    function register(
        bytes32 modelId,
        bytes32 weightsRoot,
        bytes32 stepsRoot,
        bytes32 layoutHash,
        uint32 steps,
        uint16 opset
    ) external {
        if (modelId == bytes32(0) || stepsRoot == bytes32(0) || layoutHash == bytes32(0) || steps == 0 || opset == 0) {
            revert InvalidModel(modelId);
        }
        if (models[modelId].owner != address(0)) revert AlreadyRegistered(modelId);
        models[modelId] =
            Model(weightsRoot, stepsRoot, layoutHash, steps, opset, msg.sender, uint64(block.timestamp));
        emit ModelRegistered(modelId, weightsRoot, stepsRoot, layoutHash, steps, opset, msg.sender);
    }

    function isRegistered(bytes32 modelId) external view returns (bool) {
        return models[modelId].owner != address(0);
    }

    function get(bytes32 modelId) external view returns (Model memory model) {
        model = models[modelId];
        if (model.owner == address(0)) revert UnknownModel(modelId);
    }
}
