// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ModelRegistry: (modelId, node) → the commitments a dispute is judged against.
/// @notice A modelId is the content address of a compiled model (docs/semantics.md §5). Each
/// node registers the commitments it will be judged against for a modelId, once, under its own
/// address: a dispute on a node's claim reads that node's entry. So nobody can register a
/// modelId "first" with a wrong root and make another node's honest claims indefensible; a node
/// checks every field of its own entry at start (issue 18, finding 3), and a watcher checks the
/// entry of every node it watches against the roots it computes from the model.
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
