// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ModelRegistry} from "./ModelRegistry.sol";
import {Receipts} from "./Receipts.sol";
import {Sha256Merkle} from "./Sha256Merkle.sol";
import {StakeManager} from "./StakeManager.sol";

/// @title ClaimRegistry: one claim per batch of receipts, with a bond and a challenge window,
/// and every way a claim's node is held to it.
/// @notice A staked node posts the Merkle root of a batch of signed receipts and their count.
/// Anyone holding a receipt of the batch may dispute it through the dispute game before the
/// window closes. A claim finalizes (its bond back to the node) once the window has closed and
/// no dispute or demand on it is open; the first proven fault rejects it (its bond to whoever
/// proved it). This contract is the stake manager's only slasher: a node is slashed when it
/// loses a dispute, when a claim's tree is not the count of receipts it states, when one
/// receipt sits at two places of its claims, and when it lets a demand lapse. Demands ("reveal
/// or lose") force a node to put on chain what a challenger needs: a receipt of a claim, the
/// inputs of a receipt, or the claim holding a receipt a client was given.
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
        /// Open disputes and demands; at most `maxOpen`.
        uint32 openDisputes;
        /// When `openDisputes` reached `maxOpen` (the window does not run while it is full).
        uint64 fullSince;
    }

    enum DemandKind {
        None,
        Inclusion, // a client's receipt: show the claim holding it
        Receipt, // leaf `index` of a claim: reveal the receipt
        Inputs // a receipt of a claim: reveal its input tensors
    }

    struct Demand {
        DemandKind kind;
        bool settled;
        address node;
        address demander;
        uint64 deadline;
        uint32 index;
        uint256 claimId;
        /// Inclusion: the receipt's EIP-712 digest; Inputs: the receipt's inputDigest.
        bytes32 subject;
        uint256 bond;
    }

    /// @notice Where a receipt sits in a claim, shown with the signature stored beside it there.
    struct Placement {
        uint256 claimId;
        uint32 index;
        bytes signature;
        bytes32[] proof;
    }

    struct Parameters {
        uint64 challengeWindow;
        uint256 claimBond;
        uint256 minStake;
        /// Wei of stake taken from a node per proven fault.
        uint256 slashAmount;
        /// Disputes and demands open on one claim at once, at most.
        uint32 maxOpen;
        /// Wei bonded with a demand; the node it is answered by gets it (its gas).
        uint256 demandBond;
        /// Seconds a node has to answer a demand on a claim.
        uint64 answerSeconds;
    }

    StakeManager public immutable stakes;
    ModelRegistry public immutable models;
    uint64 public immutable challengeWindow;
    uint256 public immutable claimBond;
    uint256 public immutable minStake;
    uint256 public immutable slashAmount;
    uint32 public immutable maxOpen;
    uint256 public immutable demandBond;
    uint64 public immutable answerSeconds;
    address public immutable governor;
    bytes32 public immutable receiptDomainSeparator;
    /// @notice The only address that may mark claims challenged and resolve them.
    address public disputeGame;
    /// @notice The game over generations' tokens (GenerationGame), which also opens and resolves disputes.
    address public generationGame;
    uint256 public claimCount;
    uint256 public demandCount;
    mapping(uint256 => Claim) private claims;
    mapping(uint256 => Demand) private demands;
    /// @notice Claim bonds and demand bonds owed, withdrawn with `withdraw()`.
    mapping(address => uint256) public credit;

    event ClaimPosted(uint256 indexed claimId, address indexed node, bytes32 indexed modelId, bytes32 batchRoot, uint32 receipts, uint64 windowEndsAt);
    event ClaimDisputed(uint256 indexed claimId, uint32 openDisputes);
    event ClaimFinalized(uint256 indexed claimId);
    event ClaimRejected(uint256 indexed claimId);
    event DisputeGameSet(address indexed disputeGame);
    event Punished(address indexed node, uint256 indexed claimId, address indexed beneficiary, string reason);
    event Demanded(uint256 indexed demandId, DemandKind kind, address indexed node, uint256 indexed claimId, uint32 index, uint64 deadline);
    event ReceiptRevealed(uint256 indexed demandId, uint256 indexed claimId, uint32 index, Receipts.Receipt receipt, bytes signature, bytes32[] proof);
    event InputsRevealed(uint256 indexed demandId, bytes[] tensors);
    event InclusionShown(uint256 indexed demandId, uint256 indexed claimId, uint32 index);
    event Withdrawn(address indexed to, uint256 amount);

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
    error TooManyOpen(uint256 claimId, uint32 maxOpen);
    error NotDisputeGame(address caller);
    error NotGovernor(address caller);
    error DisputeGameAlreadySet(address disputeGame);
    error TransferFailed(address to, uint256 amount);
    error NotInClaim(uint256 claimId, uint256 index);
    error NoFault(uint256 claimId);
    error UnknownDemand(uint256 demandId);
    error DemandSettled(uint256 demandId);
    error WrongAnswer(uint256 demandId);
    error DeadlineNotReached(uint256 demandId, uint64 deadline);
    error DeadlinePassed(uint256 demandId, uint64 deadline);
    error BadSignature();
    error NothingToWithdraw();

    constructor(StakeManager stakes_, ModelRegistry models_, Parameters memory p) {
        stakes = stakes_;
        models = models_;
        challengeWindow = p.challengeWindow;
        claimBond = p.claimBond;
        minStake = p.minStake;
        slashAmount = p.slashAmount;
        maxOpen = p.maxOpen;
        demandBond = p.demandBond;
        answerSeconds = p.answerSeconds;
        governor = msg.sender;
        receiptDomainSeparator = Receipts.domainSeparator(address(this));
    }

    modifier onlyDisputeGame() {
        if (msg.sender != disputeGame && msg.sender != generationGame) revert NotDisputeGame(msg.sender);
        _;
    }

    function setDisputeGame(address game) external {
        if (msg.sender != governor) revert NotGovernor(msg.sender);
        if (disputeGame != address(0)) revert DisputeGameAlreadySet(disputeGame);
        disputeGame = game;
        emit DisputeGameSet(game);
    }

    function setGenerationGame(address game) external {
        if (msg.sender != governor) revert NotGovernor(msg.sender);
        if (generationGame != address(0)) revert DisputeGameAlreadySet(generationGame);
        generationGame = game;
        emit DisputeGameSet(game);
    }

    function post(bytes32 modelId, bytes32 batchRoot, uint32 receipts) external payable returns (uint256 claimId) {
        if (msg.value != claimBond) revert WrongBond(msg.value, claimBond);
        if (receipts == 0) revert EmptyBatch();
        if (!models.isRegistered(modelId, msg.sender)) revert ModelNotRegistered(modelId);
        uint256 bonded = stakes.bondedOf(msg.sender);
        if (bonded < minStake) revert InsufficientStake(bonded, minStake);
        claimId = ++claimCount;
        uint64 windowEndsAt = uint64(block.timestamp) + challengeWindow;
        claims[claimId] = Claim(msg.sender, modelId, batchRoot, receipts, windowEndsAt, msg.value, Status.Pending, 0, 0);
        emit ClaimPosted(claimId, msg.sender, modelId, batchRoot, receipts, windowEndsAt);
    }

    /// @notice Anyone may finalize a claim once its window has closed and nothing is open on it.
    function finalize(uint256 claimId) external {
        Claim storage claim = _pending(claimId);
        if (block.timestamp < claim.windowEndsAt) revert WindowOpen(claimId, claim.windowEndsAt);
        if (claim.openDisputes != 0) revert DisputesOpen(claimId, claim.openDisputes);
        claim.status = Status.Finalized;
        emit ClaimFinalized(claimId);
        _send(claim.node, claim.bond);
    }

    // ---------------------------------------------------------------- disputes

    /// @notice The dispute game opened a dispute on one of the claim's receipts.
    function disputeOpened(uint256 claimId) external onlyDisputeGame {
        _open(claimId);
    }

    /// @notice A dispute on the claim ended. A node that lost is slashed (the challenger gets
    /// the reward) and, the first time, the claim is rejected: its bond goes to the dispute
    /// game, which pays the winner.
    function disputeResolved(uint256 claimId, bool claimantWon, address challenger)
        external
        onlyDisputeGame
        returns (uint256 forfeited)
    {
        Claim storage claim = claims[claimId];
        if (claim.openDisputes == 0) revert NoOpenDispute(claimId);
        _close(claim);
        if (!claimantWon) {
            forfeited = _punish(claimId, claim.node, challenger, "lost a dispute");
            if (forfeited > 0) _send(msg.sender, forfeited);
        }
    }

    // ---------------------------------------------------------------- proofs of a bad batch

    /// @notice A claim's tree must hold exactly its stated count of receipts: a zero (padding)
    /// word at an index below the count, or a leaf at or above it, proves it does not.
    function proveWrongCount(uint256 claimId, uint32 index, bytes32 leaf, bytes32[] calldata proof) external {
        Claim storage claim = _known(claimId);
        _checkAt(claim, claimId, index, leaf, proof);
        if ((index < claim.receipts) == (leaf != bytes32(0))) revert NoFault(claimId);
        _credit(msg.sender, _punish(claimId, claim.node, msg.sender, "the claim's tree does not hold its count"));
    }

    /// @notice One receipt at two places of one node's claims: the same claim twice, or two
    /// claims. A receipt is its EIP-712 digest, whatever signature sits beside it: ECDSA lets a
    /// signer make any number of valid signatures of one digest (a fresh k each), so two leaves
    /// with one digest and two signatures are the same receipt. Both claims are rejected while
    /// pending; the node is slashed once.
    function proveDuplicate(bytes32 receiptDigest, Placement calldata a, Placement calldata b) external {
        Claim storage ca = _known(a.claimId);
        Claim storage cb = _known(b.claimId);
        if (ca.node != cb.node || (a.claimId == b.claimId && a.index == b.index)) revert NoFault(b.claimId);
        _checkAt(ca, a.claimId, a.index, _leafAt(receiptDigest, a.signature), a.proof);
        _checkAt(cb, b.claimId, b.index, _leafAt(receiptDigest, b.signature), b.proof);
        if (a.index >= ca.receipts || b.index >= cb.receipts) revert NoFault(b.claimId);
        uint256 forfeited = _reject(a.claimId) + _punish(b.claimId, cb.node, msg.sender, "one receipt claimed twice");
        _credit(msg.sender, forfeited);
    }

    // ---------------------------------------------------------------- reveal or lose

    /// @notice Demands that a claim's node reveal receipt `index` of the claim (its fields and
    /// signature) within `answerSeconds`, or be slashed.
    function demandReceipt(uint256 claimId, uint32 index) external payable returns (uint256 demandId) {
        Claim storage claim = _pending(claimId);
        if (index >= claim.receipts) revert NotInClaim(claimId, index);
        demandId = _demand(DemandKind.Receipt, claim.node, claimId, index, bytes32(0), answerSeconds);
        _open(claimId);
    }

    function answerReceipt(
        uint256 demandId,
        Receipts.Receipt calldata receipt,
        bytes calldata signature,
        bytes32[] calldata proof
    ) external {
        Demand storage d = _answerable(demandId, DemandKind.Receipt);
        Claim storage claim = claims[d.claimId];
        _checkAt(claim, d.claimId, d.index, _leafOf(receipt, signature), proof);
        emit ReceiptRevealed(demandId, d.claimId, d.index, receipt, signature, proof);
        _answered(d, claim);
    }

    /// @notice Demands that a claim's node reveal the input tensors of one of its receipts
    /// (shown here in the claim) within `answerSeconds`, or be slashed.
    function demandInputs(
        uint256 claimId,
        uint32 index,
        Receipts.Receipt calldata receipt,
        bytes calldata signature,
        bytes32[] calldata proof
    ) external payable returns (uint256 demandId) {
        Claim storage claim = _pending(claimId);
        _checkAt(claim, claimId, index, _leafOf(receipt, signature), proof);
        if (index >= claim.receipts) revert NotInClaim(claimId, index);
        demandId = _demand(DemandKind.Inputs, claim.node, claimId, index, receipt.inputDigest, answerSeconds);
        _open(claimId);
    }

    /// @notice The input tensors' bytes, in graph-input order; their boundary digest must be
    /// the receipt's inputDigest.
    function answerInputs(uint256 demandId, bytes[] calldata tensors) external {
        Demand storage d = _answerable(demandId, DemandKind.Inputs);
        bytes32[] memory digests = new bytes32[](tensors.length);
        for (uint256 t = 0; t < tensors.length; t++) digests[t] = _tensorDigest(tensors[t]);
        if (Sha256Merkle.boundaryDigest(digests) != d.subject) revert WrongAnswer(demandId);
        emit InputsRevealed(demandId, tensors);
        _answered(d, claims[d.claimId]);
    }

    /// @notice A client holding a receipt its node signed demands the claim that holds it: the
    /// node must show it in one of its claims within `challengeWindow`, or be slashed. The
    /// receipt is its digest: the node may show it under any valid signature of its own.
    function demandInclusion(Receipts.Receipt calldata receipt, bytes calldata signature)
        external
        payable
        returns (uint256 demandId)
    {
        bytes32 digest = Receipts.digest(receipt, receiptDomainSeparator);
        if (receipt.node == address(0) || Receipts.signer(digest, signature) != receipt.node) revert BadSignature();
        demandId = _demand(DemandKind.Inclusion, receipt.node, 0, 0, digest, challengeWindow);
    }

    function answerInclusion(
        uint256 demandId,
        uint256 claimId,
        uint32 index,
        bytes calldata signature,
        bytes32[] calldata proof
    ) external {
        Demand storage d = _answerable(demandId, DemandKind.Inclusion);
        Claim storage claim = _known(claimId);
        if (claim.node != d.node || index >= claim.receipts || Receipts.signer(d.subject, signature) != d.node) {
            revert WrongAnswer(demandId);
        }
        _checkAt(claim, claimId, index, _leafAt(d.subject, signature), proof);
        d.settled = true;
        emit InclusionShown(demandId, claimId, index);
        _credit(d.node, d.bond);
    }

    /// @notice Anyone may end a demand its node let lapse: the node is slashed, the claim (if
    /// any, and pending) rejected, and the demander gets its bond back and the claim's bond.
    function expire(uint256 demandId) external {
        Demand storage d = _demandOf(demandId);
        if (d.settled) revert DemandSettled(demandId);
        if (block.timestamp <= d.deadline) revert DeadlineNotReached(demandId, d.deadline);
        d.settled = true;
        if (d.claimId != 0) _close(claims[d.claimId]);
        uint256 forfeited = _punish(d.claimId, d.node, d.demander, "let a demand lapse");
        _credit(d.demander, d.bond + forfeited);
    }

    function withdraw() external {
        uint256 amount = credit[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        credit[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    function get(uint256 claimId) external view returns (Claim memory claim) {
        claim = claims[claimId];
        if (claim.status == Status.None) revert UnknownClaim(claimId);
    }

    function getDemand(uint256 demandId) external view returns (Demand memory) {
        return _demandOf(demandId);
    }

    // ---------------------------------------------------------------- internals

    function _known(uint256 claimId) private view returns (Claim storage claim) {
        claim = claims[claimId];
        if (claim.status == Status.None) revert UnknownClaim(claimId);
    }

    function _pending(uint256 claimId) private view returns (Claim storage claim) {
        claim = _known(claimId);
        if (claim.status != Status.Pending) revert NotPending(claimId, claim.status);
    }

    /// @dev A dispute or demand opens on a pending claim whose window is open, while fewer
    /// than `maxOpen` are; the window stops running while `maxOpen` are open.
    function _open(uint256 claimId) private {
        Claim storage claim = _pending(claimId);
        if (block.timestamp >= claim.windowEndsAt) revert WindowClosed(claimId, claim.windowEndsAt);
        if (claim.openDisputes >= maxOpen) revert TooManyOpen(claimId, maxOpen);
        claim.openDisputes += 1;
        if (claim.openDisputes == maxOpen) claim.fullSince = uint64(block.timestamp);
        emit ClaimDisputed(claimId, claim.openDisputes);
    }

    function _close(Claim storage claim) private {
        if (claim.openDisputes == maxOpen) claim.windowEndsAt += uint64(block.timestamp) - claim.fullSince;
        claim.openDisputes -= 1;
    }

    /// @dev Rejects the claim if pending (returning its bond) and slashes its node.
    function _punish(uint256 claimId, address node, address beneficiary, string memory reason)
        private
        returns (uint256 forfeited)
    {
        forfeited = _reject(claimId);
        emit Punished(node, claimId, beneficiary, reason);
        stakes.slash(node, slashAmount, beneficiary);
    }

    function _reject(uint256 claimId) private returns (uint256 forfeited) {
        Claim storage claim = claims[claimId];
        if (claim.status != Status.Pending) return 0;
        claim.status = Status.Rejected;
        forfeited = claim.bond;
        emit ClaimRejected(claimId);
    }

    /// @dev `leaf` sits at `index` of the claim's tree, whose depth its count fixes.
    function _checkAt(Claim storage claim, uint256 claimId, uint256 index, bytes32 leaf, bytes32[] calldata proof)
        private
        view
    {
        if (
            proof.length != Sha256Merkle.depthOf(claim.receipts)
                || !Sha256Merkle.verify(claim.batchRoot, leaf, index, proof)
        ) revert NotInClaim(claimId, index);
    }

    function _leafOf(Receipts.Receipt calldata receipt, bytes calldata signature) private view returns (bytes32) {
        return _leafAt(Receipts.digest(receipt, receiptDomainSeparator), signature);
    }

    /// @dev The batch leaf of a receipt digest and the 65-byte signature stored beside it.
    function _leafAt(bytes32 receiptDigest, bytes calldata signature) private pure returns (bytes32) {
        if (signature.length != 65) revert BadSignature();
        return Sha256Merkle.leafHash(abi.encodePacked(receiptDigest, signature));
    }

    function _tensorDigest(bytes calldata data) private pure returns (bytes32) {
        uint256 chunks = (data.length + Sha256Merkle.CHUNK_BYTES - 1) / Sha256Merkle.CHUNK_BYTES;
        bytes32[] memory leaves = new bytes32[](chunks);
        for (uint256 c = 0; c < chunks; c++) {
            uint256 end = (c + 1) * Sha256Merkle.CHUNK_BYTES;
            leaves[c] = Sha256Merkle.leafHash(data[c * Sha256Merkle.CHUNK_BYTES:end < data.length ? end : data.length]);
        }
        return Sha256Merkle.tensorDigest(data.length, Sha256Merkle.rootOfHashes(leaves));
    }

    function _demand(DemandKind kind, address node, uint256 claimId, uint32 index, bytes32 subject, uint64 seconds_)
        private
        returns (uint256 demandId)
    {
        if (msg.value != demandBond) revert WrongBond(msg.value, demandBond);
        demandId = ++demandCount;
        uint64 deadline = uint64(block.timestamp) + seconds_;
        demands[demandId] = Demand(kind, false, node, msg.sender, deadline, index, claimId, subject, msg.value);
        emit Demanded(demandId, kind, node, claimId, index, deadline);
    }

    function _demandOf(uint256 demandId) private view returns (Demand storage d) {
        d = demands[demandId];
        if (d.kind == DemandKind.None) revert UnknownDemand(demandId);
    }

    function _answerable(uint256 demandId, DemandKind kind) private view returns (Demand storage d) {
        d = _demandOf(demandId);
        if (d.kind != kind || d.settled) revert DemandSettled(demandId);
        if (block.timestamp > d.deadline) revert DeadlinePassed(demandId, d.deadline);
    }

    /// @dev An answered demand on a claim: the node gets the bond (its gas), and the window
    /// stays open long enough for the demander to dispute what was revealed.
    function _answered(Demand storage d, Claim storage claim) private {
        d.settled = true;
        _close(claim);
        uint64 reopen = uint64(block.timestamp) + answerSeconds;
        if (claim.windowEndsAt < reopen) claim.windowEndsAt = reopen;
        _credit(d.node, d.bond);
    }

    function _credit(address to, uint256 amount) private {
        credit[to] += amount;
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }
}
