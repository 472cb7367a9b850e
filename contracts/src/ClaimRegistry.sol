// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ModelRegistry} from "./ModelRegistry.sol";
import {StakeManager} from "./StakeManager.sol";

/// @title ClaimRegistry: one claim per batch of receipts, with a bond and a challenge window.
/// @notice A staked node posts the Merkle root of a batch of signed receipts. Anyone holding a
/// receipt of the batch may dispute it through the dispute game before the window closes. A
/// claim finalizes (its bond back to the node) once the window has closed and no dispute on it
/// is open; the first dispute the node loses rejects it (its bond to the winner). Several
/// disputes may be open on one claim at once, so that a node cannot shield a bad batch by
/// challenging it itself and losing on purpose.
contract ClaimRegistry {
    enum Status {
        None,
        Pending,
        Finalized,
        Rejected
    }

    struct Claim {
        address node;
        bytes32 modelId;
        bytes32 batchRoot;
        uint32 receipts;
        uint64 windowEndsAt;
        uint256 bond;
        Status status;
        uint32 openDisputes;
    }

    StakeManager public immutable stakes;
    ModelRegistry public immutable models;
    uint64 public immutable challengeWindow;
    uint256 public immutable claimBond;
    uint256 public immutable minStake;
    address public immutable governor;
    /// @notice The only address that may mark claims challenged and resolve them.
    address public disputeGame;
    uint256 public claimCount;
    mapping(uint256 => Claim) private claims;

    event ClaimPosted(uint256 indexed claimId, address indexed node, bytes32 indexed modelId, bytes32 batchRoot, uint32 receipts, uint64 windowEndsAt);
    event ClaimDisputed(uint256 indexed claimId, uint32 openDisputes);
    event ClaimFinalized(uint256 indexed claimId);
    event ClaimRejected(uint256 indexed claimId);
    event DisputeGameSet(address indexed disputeGame);

    error WrongBond(uint256 sent, uint256 required);
    error ModelNotRegistered(bytes32 modelId);
    error InsufficientStake(uint256 bonded, uint256 required);
    error EmptyBatch();
    error UnknownClaim(uint256 claimId);
    error NotPending(uint256 claimId, Status status);
    error NoOpenDispute(uint256 claimId);
    error DisputesOpen(uint256 claimId, uint32 openDisputes);
    error WindowOpen(uint256 claimId, uint64 windowEndsAt);
    error WindowClosed(uint256 claimId, uint64 windowEndsAt);
    error NotDisputeGame(address caller);
    error NotGovernor(address caller);
    error DisputeGameAlreadySet(address disputeGame);
    error TransferFailed(address to, uint256 amount);

    constructor(StakeManager stakes_, ModelRegistry models_, uint64 window, uint256 bond, uint256 minStake_) {
        stakes = stakes_;
        models = models_;
        challengeWindow = window;
        claimBond = bond;
        minStake = minStake_;
        governor = msg.sender;
    }

    modifier onlyDisputeGame() {
        if (msg.sender != disputeGame) revert NotDisputeGame(msg.sender);
        _;
    }

    function setDisputeGame(address game) external {
        if (msg.sender != governor) revert NotGovernor(msg.sender);
        if (disputeGame != address(0)) revert DisputeGameAlreadySet(disputeGame);
        disputeGame = game;
        emit DisputeGameSet(game);
    }

    function post(bytes32 modelId, bytes32 batchRoot, uint32 receipts) external payable returns (uint256 claimId) {
        if (msg.value != claimBond) revert WrongBond(msg.value, claimBond);
        if (receipts == 0) revert EmptyBatch();
        if (!models.isRegistered(modelId)) revert ModelNotRegistered(modelId);
        uint256 bonded = stakes.bondedOf(msg.sender);
        if (bonded < minStake) revert InsufficientStake(bonded, minStake);
        claimId = ++claimCount;
        uint64 windowEndsAt = uint64(block.timestamp) + challengeWindow;
        claims[claimId] = Claim(msg.sender, modelId, batchRoot, receipts, windowEndsAt, msg.value, Status.Pending, 0);
        emit ClaimPosted(claimId, msg.sender, modelId, batchRoot, receipts, windowEndsAt);
    }

    /// @notice Anyone may finalize a claim once its window has closed and no dispute is open.
    function finalize(uint256 claimId) external {
        Claim storage claim = _pending(claimId);
        if (block.timestamp < claim.windowEndsAt) revert WindowOpen(claimId, claim.windowEndsAt);
        if (claim.openDisputes != 0) revert DisputesOpen(claimId, claim.openDisputes);
        claim.status = Status.Finalized;
        emit ClaimFinalized(claimId);
        _send(claim.node, claim.bond);
    }

    /// @notice The dispute game opened a dispute on one of the claim's receipts.
    function disputeOpened(uint256 claimId) external onlyDisputeGame {
        Claim storage claim = _pending(claimId);
        if (block.timestamp >= claim.windowEndsAt) revert WindowClosed(claimId, claim.windowEndsAt);
        claim.openDisputes += 1;
        emit ClaimDisputed(claimId, claim.openDisputes);
    }

    /// @notice A dispute on the claim ended. The first one the node loses rejects the claim and
    /// sends its bond to the dispute game, which pays the winner.
    function disputeResolved(uint256 claimId, bool claimantWon) external onlyDisputeGame returns (uint256 forfeited) {
        Claim storage claim = claims[claimId];
        if (claim.openDisputes == 0) revert NoOpenDispute(claimId);
        claim.openDisputes -= 1;
        if (!claimantWon && claim.status == Status.Pending) {
            claim.status = Status.Rejected;
            forfeited = claim.bond;
            emit ClaimRejected(claimId);
            _send(msg.sender, forfeited);
        }
    }

    function get(uint256 claimId) external view returns (Claim memory claim) {
        claim = claims[claimId];
        if (claim.status == Status.None) revert UnknownClaim(claimId);
    }

    function _pending(uint256 claimId) private view returns (Claim storage claim) {
        claim = claims[claimId];
        if (claim.status == Status.None) revert UnknownClaim(claimId);
        if (claim.status != Status.Pending) revert NotPending(claimId, claim.status);
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }
}
