// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ChallengeBonds} from "./ChallengeBonds.sol";
import {ClaimRegistry} from "./ClaimRegistry.sol";
import {ModelRegistry} from "./ModelRegistry.sol";
import {Receipts} from "./Receipts.sol";
import {Sha256Merkle} from "./Sha256Merkle.sol";
import {IOneStepVerifier} from "./onestep/IOneStepVerifier.sol";
import {Layout, Step} from "./onestep/StepTypes.sol";
import {TileRule} from "./onestep/TileRule.sol";

/// @title DisputeGame: the bisection game that decides whether a receipt's trace is right.
/// @notice A challenger disputes one receipt of a batch claim. The claimant (the node) defends
/// the trace its receipt commits to:
/// 1. it opens the trace's last step and shows that the receipt's outputDigest is the digest of
///    the outputs in the final state;
/// 2. phase 1 descends the claimant's trace tree (a Merkle tree over its step leaves)
///    log2(k) levels per round: the claimant reveals the nodes below the current one, the
///    challenger picks the leftmost one that differs from its own, down to one step leaf i —
///    the claimant's first wrong step, if it lied;
/// 3. the claimant opens leaf i and leaf i − 1 (whose state root is the state before step i;
///    for step 0 the initial state is rebuilt on-chain from the registered weights and the
///    receipt's inputs). The challenger either proves the step's state transition wrong (wrong
///    edge, or a state root after the step that is not the state before it with the output
///    added and dead inputs dropped), or disputes the step's output tensor: phase 2 descends
///    the claimant's chunk tree of that tensor the same way, down to one 1 KiB chunk, which the
///    claimant reveals;
/// 4. one-step: the challenger names one canonical tile of the step inside that chunk and the
///    one-step verifier says what its bytes must be; they decide the game.
/// A claimant loses whenever its trace does not follow from itself, so an honest claimant
/// always wins; an honest challenger always finds the first wrong step. Each party has a chess
/// clock; a party whose clock runs out loses. The loser's bond (and, for a node, the claim's
/// bond) goes to the winner; a node that loses is slashed by the claim registry.
contract DisputeGame {
    enum Phase {
        None,
        AwaitFinal, // claimant: open the last step and the outputs
        TraceDescend, // claimant: reveal the trace-tree nodes log2(k) levels below the current one
        TracePick, // challenger: pick one of them
        RevealStep, // claimant: open the disputed step leaf and the one before it
        StepReached, // challenger: prove a transition fault, or start phase 2
        RevealRoot, // claimant: reveal the chunk root of the disputed output
        OutputDescend, // claimant: reveal the chunk-tree nodes log2(k) levels below the current one
        OutputPick, // challenger: pick one of them
        RevealChunk, // claimant: reveal the chunk at the bottom
        OneStep, // challenger: settle one tile through the verifier
        Resolved,
        // Last so that the numbers above keep their meaning: a receipt with a zero traceRoot
        // (traces on demand, issue 14) makes the claimant commit its trace root first.
        AwaitTrace // claimant: commit the trace root, then AwaitFinal
    }

    /// @notice The content of a step leaf: H(0x03 ‖ step ‖ edge ‖ state after ‖ output digest).
    struct Point {
        uint32 edge;
        bytes32 state;
        bytes32 output;
    }

    struct Dispute {
        uint256 claimId;
        address claimant;
        address challenger;
        Phase phase;
        bool loKnown;
        bool challengerWon;
        uint64 lastMoveAt;
        uint64 claimantClock;
        uint64 challengerClock;
        uint32 steps;
        /// The disputed step, once phase 1 has found it.
        uint32 lo;
        uint16 rounds;
        uint32 nodeIndex;
        uint8 level;
        uint32 chunks;
        uint32 outputBytes;
        bytes32 modelId;
        bytes32 traceRoot;
        bytes32 inputDigest;
        bytes32 outputDigest;
        /// The state root before step lo (the claimant's leaf lo − 1, or the initial state).
        bytes32 loState;
        /// The claimant's leaf lo.
        Point hiPoint;
        bytes32 pending;
        bytes32 stepHash;
        bytes32 node;
        uint256 bond;
        /// Who is paid when the challenger wins, when not the challenger itself: the client whose
        /// deposit paid the bond of a dispute opened through `bonds` (its agent plays the moves).
        address payee;
    }

    ClaimRegistry public immutable claims;
    ModelRegistry public immutable models;
    IOneStepVerifier public immutable verifier;
    /// @notice Split arity: k − 1 split points per phase-1 round, log2(k) tree levels per phase-2 round.
    uint256 public immutable arity;
    uint256 private immutable levelsPerRound;
    uint64 public immutable clockSeconds;
    uint256 public immutable challengeBond;
    bytes32 public immutable receiptDomainSeparator;
    /// @notice Clients' challenge deposits; the only caller of `openFor`.
    ChallengeBonds public immutable bonds;

    uint256 public disputeCount;
    mapping(uint256 => Dispute) private disputes;
    /// @notice Winnings and returned bonds, withdrawn with `withdraw()`.
    mapping(address => uint256) public credit;

    event DisputeOpened(
        uint256 indexed disputeId, uint256 indexed claimId, address indexed challenger, address claimant, bytes32 traceRoot
    );
    event FinalRevealed(uint256 indexed disputeId, Point point);
    event TraceCommitted(uint256 indexed disputeId, bytes32 traceRoot);
    event StepRevealed(uint256 indexed disputeId, uint32 step, Point point);
    event InitialStateSet(uint256 indexed disputeId, bytes32 stateRoot);
    event TileBisectionStarted(uint256 indexed disputeId, uint32 step, uint32 chunks);
    event OutputRootRevealed(uint256 indexed disputeId, bytes32 chunkRoot);
    event ChildrenRevealed(uint256 indexed disputeId, Phase phase, uint32 firstIndex, uint8 level, bytes32[] children);
    event ChildPicked(uint256 indexed disputeId, Phase phase, uint32 index, uint8 level);
    event ChunkRevealed(uint256 indexed disputeId, uint32 index, bytes data);
    event DisputeResolved(uint256 indexed disputeId, bool challengerWon, string reason);
    event Withdrawn(address indexed to, uint256 amount);

    error BadArity(uint256 arity);
    error WrongBond(uint256 sent, uint256 required);
    error ReceiptNotInBatch(uint256 claimId, uint256 index);
    error UnknownDispute(uint256 disputeId);
    error WrongPhase(uint256 disputeId, Phase phase);
    error NoTraceRoot(uint256 disputeId);
    error NotYourTurn(address caller, address expected);
    error ClockExpired(uint256 disputeId, address party);
    error ClockRunning(uint256 disputeId, uint64 secondsLeft);
    error WrongLayout(bytes32 modelId);
    error StepNotInModel(uint256 step);
    error StepNotInTrace(uint256 step);
    error NotInState(uint32 node);
    error OutputMismatch(bytes32 expected, bytes32 actual);
    error WrongCount(uint256 given, uint256 expected);
    error NotRevealed(uint256 disputeId);
    error BadChoice(uint256 choice);
    error WrongLeaf(uint256 disputeId);
    error InitialStateKnown(uint256 disputeId);
    error InitialStateUnknown(uint256 disputeId);
    error WrongWeights(bytes32 expected, bytes32 actual);
    error WrongInputs(bytes32 expected, bytes32 actual);
    error TransitionValid(uint256 disputeId);
    error EdgeMismatch(uint32 descriptor, uint32 claimed);
    error WrongRoot(bytes32 expectedDigest);
    error WrongChildren(uint256 disputeId);
    error WrongChunk(uint256 disputeId);
    error TileOutsideChunk(uint256 tile, uint32 chunk);
    error NothingToWithdraw();
    error TransferFailed(address to, uint256 amount);
    error NotBonds(address caller);

    constructor(
        ClaimRegistry claims_,
        ModelRegistry models_,
        IOneStepVerifier verifier_,
        uint256 arity_,
        uint64 clockSeconds_,
        uint256 challengeBond_
    ) {
        if (arity_ < 2 || arity_ > 256 || arity_ & (arity_ - 1) != 0) revert BadArity(arity_);
        claims = claims_;
        models = models_;
        verifier = verifier_;
        arity = arity_;
        levelsPerRound = Sha256Merkle.depthOf(arity_);
        clockSeconds = clockSeconds_;
        challengeBond = challengeBond_;
        receiptDomainSeparator = Receipts.domainSeparator(address(claims_));
        bonds = new ChallengeBonds(this);
    }

    /// @notice Forfeited claim bonds arrive here before they are credited.
    receive() external payable {}

    // ---------------------------------------------------------------- opening

    /// @notice Disputes receipt `leafIndex` of claim `claimId`. A receipt that the claim's node
    /// did not validly sign, or that names another model or step count, loses the game for the
    /// node at once: the node put it in its own signed claim.
    function open(
        uint256 claimId,
        Receipts.Receipt calldata receipt,
        bytes calldata signature,
        uint256 leafIndex,
        bytes32[] calldata batchProof
    ) external payable returns (uint256 disputeId) {
        return _open(msg.sender, address(0), claimId, receipt, signature, leafIndex, batchProof);
    }

    /// @notice `open` for a client of `bonds`: `challenger` (the client's agent) plays, `payee`
    /// (the client, whose deposit paid the bond) is paid if the challenger wins.
    function openFor(
        address challenger,
        address payee,
        uint256 claimId,
        Receipts.Receipt calldata receipt,
        bytes calldata signature,
        uint256 leafIndex,
        bytes32[] calldata batchProof
    ) external payable returns (uint256 disputeId) {
        if (msg.sender != address(bonds)) revert NotBonds(msg.sender);
        return _open(challenger, payee, claimId, receipt, signature, leafIndex, batchProof);
    }

    function _open(
        address challenger,
        address payee,
        uint256 claimId,
        Receipts.Receipt calldata receipt,
        bytes calldata signature,
        uint256 leafIndex,
        bytes32[] calldata batchProof
    ) private returns (uint256 disputeId) {
        if (msg.value != challengeBond) revert WrongBond(msg.value, challengeBond);
        ClaimRegistry.Claim memory claim = claims.get(claimId);
        bytes32 receiptDigest = Receipts.digest(receipt, receiptDomainSeparator);
        if (
            leafIndex >= claim.receipts || batchProof.length != Sha256Merkle.depthOf(claim.receipts)
                || !Sha256Merkle.verify(
                    claim.batchRoot,
                    Sha256Merkle.leafHash(abi.encodePacked(receiptDigest, signature)),
                    leafIndex,
                    batchProof
                )
        ) revert ReceiptNotInBatch(claimId, leafIndex);
        claims.disputeOpened(claimId);

        disputeId = ++disputeCount;
        Dispute storage d = disputes[disputeId];
        d.claimId = claimId;
        d.claimant = claim.node;
        d.challenger = challenger;
        if (payee != address(0)) d.payee = payee;
        d.bond = msg.value;
        d.modelId = claim.modelId;
        d.traceRoot = receipt.traceRoot;
        d.inputDigest = receipt.inputDigest;
        d.outputDigest = receipt.outputDigest;
        d.steps = receipt.steps;
        d.claimantClock = clockSeconds;
        d.challengerClock = clockSeconds;
        d.lastMoveAt = uint64(block.timestamp);
        // A receipt without a trace root (traces on demand) leaves the root to the claimant's first
        // move; everything after judges that root exactly as if the receipt had carried it.
        d.phase = receipt.traceRoot == bytes32(0) ? Phase.AwaitTrace : Phase.AwaitFinal;
        emit DisputeOpened(disputeId, claimId, challenger, claim.node, receipt.traceRoot);

        if (Receipts.signer(receiptDigest, signature) != claim.node || receipt.node != claim.node) {
            _resolve(disputeId, d, true, "receipt not signed by the claim's node");
        } else if (receipt.modelId != claim.modelId) {
            _resolve(disputeId, d, true, "receipt names another model than its claim");
        } else if (receipt.steps != _model(d).steps) {
            _resolve(disputeId, d, true, "receipt's step count differs from the model's");
        }
    }

    // ---------------------------------------------------------------- phase 1

    /// @notice Traces on demand: the claimant of a receipt without a trace root commits the root
    /// of the trace it will defend, on its own clock. A root inconsistent with the receipt's
    /// output cannot pass `revealFinal`, one inconsistent with its inputs loses at step 0 (the
    /// initial state is rebuilt from the receipt's inputDigest), and a claimant that never
    /// commits runs out of time.
    function commitTrace(uint256 disputeId, bytes32 traceRoot) external {
        Dispute storage d = _move(disputeId, Phase.AwaitTrace);
        if (traceRoot == bytes32(0)) revert NoTraceRoot(disputeId);
        d.traceRoot = traceRoot;
        emit TraceCommitted(disputeId, traceRoot);
        d.phase = Phase.AwaitFinal;
    }

    /// @notice The claimant opens its last step leaf and the output digests in the final state,
    /// which must make the receipt's outputDigest. Then it descends its trace tree.
    function revealFinal(
        uint256 disputeId,
        Point calldata last,
        bytes32[] calldata stepProof,
        Layout calldata layout,
        bytes32[] calldata outputDigests,
        bytes32[][] calldata outputProofs
    ) external {
        Dispute storage d = _move(disputeId, Phase.AwaitFinal);
        _checkLayout(d, layout);
        _checkLeaf(d, d.steps - 1, last, stepProof);
        if (outputDigests.length != layout.outputs.length) revert WrongCount(outputDigests.length, layout.outputs.length);
        for (uint256 j = 0; j < outputDigests.length; j++) {
            _checkInState(last.state, layout.outputs[j], outputDigests[j], outputProofs[j]);
        }
        bytes32 made = Sha256Merkle.boundaryDigest(outputDigests);
        if (made != d.outputDigest) revert OutputMismatch(d.outputDigest, made);
        emit FinalRevealed(disputeId, last);
        d.node = d.traceRoot;
        d.nodeIndex = 0;
        d.level = uint8(Sha256Merkle.depthOf(d.steps));
        // The claimant moves again: the first nodes of its trace tree, or its only step.
        d.phase = d.level == 0 ? Phase.RevealStep : Phase.TraceDescend;
    }

    /// @notice The claimant opens leaf lo (the step phase 1 found) and, for lo > 0, leaf lo − 1,
    /// whose state root is the state the step starts from.
    function revealStep(uint256 disputeId, Point calldata step, Point calldata previous, bytes32[] calldata previousProof)
        external
    {
        Dispute storage d = _move(disputeId, Phase.RevealStep);
        bytes32 leaf = Sha256Merkle.stepLeaf(d.lo, step.edge, step.state, step.output);
        if (Sha256Merkle.leafHash32(leaf) != d.node) revert WrongLeaf(disputeId);
        if (d.lo > 0) {
            _checkLeaf(d, d.lo - 1, previous, previousProof);
            d.loState = previous.state;
            d.loKnown = true;
        }
        d.hiPoint = step;
        emit StepRevealed(disputeId, d.lo, step);
        _handTo(d, Phase.StepReached);
    }

    /// @notice When the disputed step is step 0, the state before it is the initial state:
    /// the registered weights and the receipt's inputs. Anyone may rebuild it here.
    function setInitialState(
        uint256 disputeId,
        Layout calldata layout,
        bytes32[] calldata paramDigests,
        bytes32[] calldata inputDigests
    ) external {
        Dispute storage d = _get(disputeId);
        if (d.phase == Phase.Resolved || d.phase < Phase.StepReached) revert WrongPhase(disputeId, d.phase);
        if (d.loKnown) revert InitialStateKnown(disputeId);
        _checkLayout(d, layout);
        ModelRegistry.Model memory model = _model(d);
        if (paramDigests.length != layout.params.length) revert WrongCount(paramDigests.length, layout.params.length);
        if (inputDigests.length != layout.inputs.length) revert WrongCount(inputDigests.length, layout.inputs.length);
        bytes32 weights = Sha256Merkle.rootOf32(paramDigests);
        if (weights != model.weightsRoot) revert WrongWeights(model.weightsRoot, weights);
        bytes32 inputs = Sha256Merkle.boundaryDigest(inputDigests);
        if (inputs != d.inputDigest) revert WrongInputs(d.inputDigest, inputs);

        bytes32[] memory digests = new bytes32[](layout.nodes);
        for (uint256 j = 0; j < paramDigests.length; j++) digests[layout.params[j]] = paramDigests[j];
        for (uint256 j = 0; j < inputDigests.length; j++) digests[layout.inputs[j]] = inputDigests[j];
        bytes32[] memory leaves = new bytes32[](layout.nodes);
        uint256 live = 0;
        for (uint256 n = 0; n < layout.nodes; n++) {
            bool isLive = live < layout.initiallyLive.length && layout.initiallyLive[live] == n;
            if (isLive) live++;
            leaves[n] = Sha256Merkle.leafHash32(isLive ? digests[n] : bytes32(0));
        }
        d.loState = Sha256Merkle.rootOfHashes(leaves);
        d.loKnown = true;
        emit InitialStateSet(disputeId, d.loState);
    }

    // ---------------------------------------------------------------- the disputed step

    /// @notice Wins for the challenger when the claimant's leaf for step lo names another edge
    /// than the model's schedule, or a state root that is not the agreed state with the step's
    /// output added and its dead inputs dropped. `oldDigests[u]` and `proofs[u]` open the node
    /// of update u (the output, then each dead input in order) in the state after the updates
    /// before it. Reverts when the transition is right.
    function proveTransitionFault(
        uint256 disputeId,
        Step calldata step,
        bytes32[] calldata stepProof,
        bytes32[] calldata oldDigests,
        bytes32[][] calldata proofs
    ) external {
        Dispute storage d = _move(disputeId, Phase.StepReached);
        if (!d.loKnown) revert InitialStateUnknown(disputeId);
        _checkStep(d, step, stepProof);
        if (step.edge != d.hiPoint.edge) {
            _resolve(disputeId, d, true, "the step's edge is not the schedule's");
            return;
        }
        uint256 updates = 1 + step.deadAfter.length;
        if (oldDigests.length != updates || proofs.length != updates) revert WrongCount(proofs.length, updates);
        bytes32 root = _update(d.loState, step.outputNode, bytes32(0), d.hiPoint.output, proofs[0]);
        for (uint256 u = 1; u < updates; u++) {
            root = _update(root, step.deadAfter[u - 1], oldDigests[u], bytes32(0), proofs[u]);
        }
        if (root == d.hiPoint.state) revert TransitionValid(disputeId);
        _resolve(disputeId, d, true, "the state after the step is not the state transition's");
    }

    /// @notice The challenger disputes the output tensor of step lo: phase 2 starts.
    function startTileBisection(uint256 disputeId, Step calldata step, bytes32[] calldata stepProof) external {
        Dispute storage d = _move(disputeId, Phase.StepReached);
        _checkStep(d, step, stepProof);
        if (step.edge != d.hiPoint.edge) revert EdgeMismatch(step.edge, d.hiPoint.edge);
        uint256 bytes_ = TileRule.elements(step.outputType.shape) * TileRule.dtypeBytes(step.outputType.dtype);
        uint256 chunks = (bytes_ + Sha256Merkle.CHUNK_BYTES - 1) / Sha256Merkle.CHUNK_BYTES;
        d.stepHash = Sha256Merkle.leafHash(abi.encode(step));
        d.outputBytes = uint32(bytes_);
        d.chunks = uint32(chunks);
        d.level = uint8(Sha256Merkle.depthOf(chunks));
        emit TileBisectionStarted(disputeId, d.lo, uint32(chunks));
        _handTo(d, Phase.RevealRoot);
    }

    function revealOutputRoot(uint256 disputeId, bytes32 chunkRoot) external {
        Dispute storage d = _move(disputeId, Phase.RevealRoot);
        if (Sha256Merkle.tensorDigest(d.outputBytes, chunkRoot) != d.hiPoint.output) revert WrongRoot(d.hiPoint.output);
        d.node = chunkRoot;
        d.nodeIndex = 0;
        emit OutputRootRevealed(disputeId, chunkRoot);
        d.phase = d.level == 0 ? Phase.RevealChunk : Phase.OutputDescend;
    }

    /// @notice The claimant reveals the 2^m nodes m = min(log2 k, level) levels below the
    /// current node of the tree being descended (its trace tree in phase 1, the disputed
    /// output's chunk tree in phase 2).
    function revealChildren(uint256 disputeId, bytes32[] calldata children) external {
        Dispute storage d = _get(disputeId);
        Phase phase = d.phase == Phase.OutputDescend ? Phase.OutputDescend : Phase.TraceDescend;
        _move(disputeId, phase);
        uint256 m = d.level < levelsPerRound ? d.level : levelsPerRound;
        if (children.length != 1 << m) revert WrongChildren(disputeId);
        bytes32[] memory level = children;
        for (uint256 width = children.length; width > 1; width >>= 1) {
            for (uint256 i = 0; i < width; i += 2) level[i >> 1] = Sha256Merkle.nodeHash(level[i], level[i + 1]);
        }
        if (level[0] != d.node) revert WrongChildren(disputeId);
        d.pending = keccak256(abi.encode(children));
        emit ChildrenRevealed(disputeId, phase, uint32(d.nodeIndex << m), uint8(d.level - m), children);
        _handTo(d, phase == Phase.TraceDescend ? Phase.TracePick : Phase.OutputPick);
    }

    /// @notice The challenger picks the child it disagrees with (an honest one: the leftmost).
    function pickChild(uint256 disputeId, uint256 child, bytes32[] calldata children) external {
        Dispute storage d = _get(disputeId);
        bool trace = d.phase != Phase.OutputPick;
        _move(disputeId, trace ? Phase.TracePick : Phase.OutputPick);
        if (keccak256(abi.encode(children)) != d.pending) revert NotRevealed(disputeId);
        if (child >= children.length) revert BadChoice(child);
        uint256 m = d.level < levelsPerRound ? d.level : levelsPerRound;
        d.node = children[child];
        d.nodeIndex = uint32((d.nodeIndex << m) | child);
        d.level -= uint8(m);
        d.rounds += 1;
        emit ChildPicked(disputeId, trace ? Phase.TracePick : Phase.OutputPick, d.nodeIndex, d.level);
        if (d.level > 0) {
            _handTo(d, trace ? Phase.TraceDescend : Phase.OutputDescend);
        } else if (d.nodeIndex >= (trace ? d.steps : d.chunks)) {
            // A leaf past the last step or chunk is padding: it must be zero.
            if (d.node != bytes32(0)) _resolve(disputeId, d, true, "nonzero padding in the claimant's tree");
            else _resolve(disputeId, d, false, "the challenger picked correct padding");
        } else if (trace) {
            d.lo = d.nodeIndex;
            _handTo(d, Phase.RevealStep);
        } else {
            _handTo(d, Phase.RevealChunk);
        }
    }

    function revealChunk(uint256 disputeId, bytes calldata data) external {
        Dispute storage d = _move(disputeId, Phase.RevealChunk);
        uint256 start = uint256(d.nodeIndex) * Sha256Merkle.CHUNK_BYTES;
        uint256 size = d.outputBytes - start < Sha256Merkle.CHUNK_BYTES ? d.outputBytes - start : Sha256Merkle.CHUNK_BYTES;
        if (data.length != size || Sha256Merkle.leafHash(data) != d.node) revert WrongChunk(disputeId);
        d.pending = keccak256(data);
        emit ChunkRevealed(disputeId, d.nodeIndex, data);
        _handTo(d, Phase.OneStep);
    }

    /// @notice Settles canonical tile `tile` of the disputed step, restricted to the revealed
    /// chunk: the verifier's bytes for it against the claimant's. Equal bytes: the claimant wins.
    function proveTile(
        uint256 disputeId,
        Step calldata step,
        bytes calldata chunk,
        uint256 tile,
        bytes calldata witness
    ) external {
        Dispute storage d = _move(disputeId, Phase.OneStep);
        if (!d.loKnown) revert InitialStateUnknown(disputeId);
        if (Sha256Merkle.leafHash(abi.encode(step)) != d.stepHash) revert StepNotInModel(d.lo);
        if (keccak256(chunk) != d.pending) revert WrongChunk(disputeId);
        uint256 width = TileRule.dtypeBytes(step.outputType.dtype);
        (uint256 start, uint256 end) = _tileInChunk(step, tile, d.nodeIndex, chunk.length / width, width);
        bytes32 expected = verifier.outputHash(d.loState, step, start, end, witness);
        uint256 offset = (start * width) - uint256(d.nodeIndex) * Sha256Merkle.CHUNK_BYTES;
        bytes32 claimed = sha256(chunk[offset:offset + (end - start) * width]);
        if (expected != claimed) _resolve(disputeId, d, true, "the one-step verifier disagrees with the claimant's tile");
        else _resolve(disputeId, d, false, "the one-step verifier agrees with the claimant's tile");
    }

    // ---------------------------------------------------------------- clocks and money

    /// @notice Anyone may end a game whose party to move has run out of time: that party loses.
    function timeout(uint256 disputeId) external {
        Dispute storage d = _get(disputeId);
        if (d.phase == Phase.Resolved) revert WrongPhase(disputeId, d.phase);
        (address mover, uint64 left) = _clockOf(d);
        uint256 elapsed = block.timestamp - d.lastMoveAt;
        if (elapsed <= left) revert ClockRunning(disputeId, uint64(left - elapsed));
        _resolve(disputeId, d, mover == d.claimant, "the party to move ran out of time");
    }

    function withdraw() external {
        uint256 amount = credit[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        credit[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed(msg.sender, amount);
    }

    function get(uint256 disputeId) external view returns (Dispute memory) {
        return _get(disputeId);
    }

    /// @notice The party whose move it is and the seconds left on its clock right now.
    function toMove(uint256 disputeId) external view returns (address party, uint64 secondsLeft) {
        Dispute storage d = _get(disputeId);
        (address mover, uint64 left) = _clockOf(d);
        uint256 elapsed = block.timestamp - d.lastMoveAt;
        return (mover, elapsed >= left ? 0 : uint64(left - elapsed));
    }

    // ---------------------------------------------------------------- internals

    function _get(uint256 disputeId) private view returns (Dispute storage d) {
        d = disputes[disputeId];
        if (d.phase == Phase.None) revert UnknownDispute(disputeId);
    }

    /// @dev The commitments the claimant registered for the dispute's model.
    function _model(Dispute storage d) private view returns (ModelRegistry.Model memory) {
        return models.get(d.modelId, d.claimant);
    }

    function _claimantMoves(Phase phase) private pure returns (bool) {
        return phase == Phase.AwaitTrace || phase == Phase.AwaitFinal || phase == Phase.TraceDescend || phase == Phase.RevealStep
            || phase == Phase.RevealRoot || phase == Phase.OutputDescend || phase == Phase.RevealChunk;
    }

    function _clockOf(Dispute storage d) private view returns (address, uint64) {
        return _claimantMoves(d.phase) ? (d.claimant, d.claimantClock) : (d.challenger, d.challengerClock);
    }

    /// @dev Checks phase, turn and clock, and charges the mover for the time it took.
    function _move(uint256 disputeId, Phase phase) private returns (Dispute storage d) {
        d = _get(disputeId);
        if (d.phase != phase) revert WrongPhase(disputeId, d.phase);
        (address mover, uint64 left) = _clockOf(d);
        if (msg.sender != mover) revert NotYourTurn(msg.sender, mover);
        uint256 elapsed = block.timestamp - d.lastMoveAt;
        if (elapsed > left) revert ClockExpired(disputeId, mover);
        if (mover == d.claimant) d.claimantClock = uint64(left - elapsed);
        else d.challengerClock = uint64(left - elapsed);
        d.lastMoveAt = uint64(block.timestamp);
    }

    /// @dev Passes the move to the other party; its clock starts now.
    function _handTo(Dispute storage d, Phase phase) private {
        d.phase = phase;
        d.lastMoveAt = uint64(block.timestamp);
    }

    function _checkLayout(Dispute storage d, Layout calldata layout) private view {
        if (sha256(abi.encode(layout)) != _model(d).layoutHash) revert WrongLayout(d.modelId);
    }

    /// @dev `point` must be the claimant's leaf for `step` under its trace root.
    function _checkLeaf(Dispute storage d, uint256 step, Point calldata point, bytes32[] calldata proof) private view {
        bytes32 leaf = Sha256Merkle.stepLeaf(step, point.edge, point.state, point.output);
        if (!Sha256Merkle.verify(d.traceRoot, Sha256Merkle.leafHash32(leaf), step, proof)) {
            revert StepNotInTrace(step);
        }
    }

    function _checkStep(Dispute storage d, Step calldata step, bytes32[] calldata proof) private view {
        if (
            step.index != d.lo
                || !Sha256Merkle.verify(
                    _model(d).stepsRoot, Sha256Merkle.leafHash(abi.encode(step)), d.lo, proof
                )
        ) revert StepNotInModel(d.lo);
    }

    function _checkInState(bytes32 stateRoot, uint32 node, bytes32 digest, bytes32[] calldata proof) private pure {
        if (!Sha256Merkle.verify(stateRoot, Sha256Merkle.leafHash32(digest), node, proof)) revert NotInState(node);
    }

    function _update(bytes32 root, uint32 node, bytes32 oldDigest, bytes32 newDigest, bytes32[] calldata proof)
        private
        pure
        returns (bytes32)
    {
        _checkInState(root, node, oldDigest, proof);
        return Sha256Merkle.rootFromProof(Sha256Merkle.leafHash32(newDigest), node, proof);
    }

    function _tileInChunk(Step calldata step, uint256 tile, uint32 chunk, uint256 chunkElements, uint256 width)
        private
        pure
        returns (uint256 start, uint256 end)
    {
        uint256 perTile = TileRule.elementsPerTile(step);
        uint256 total = TileRule.elements(step.outputType.shape);
        uint256 chunkStart = (uint256(chunk) * Sha256Merkle.CHUNK_BYTES) / width;
        uint256 tileStart = tile * perTile;
        uint256 tileEnd = tileStart + perTile < total ? tileStart + perTile : total;
        start = tileStart > chunkStart ? tileStart : chunkStart;
        end = tileEnd < chunkStart + chunkElements ? tileEnd : chunkStart + chunkElements;
        if (start >= end) revert TileOutsideChunk(tile, chunk);
    }

    function _resolve(uint256 disputeId, Dispute storage d, bool challengerWon, string memory reason) private {
        d.phase = Phase.Resolved;
        d.challengerWon = challengerWon;
        emit DisputeResolved(disputeId, challengerWon, reason);
        address winner = d.payee == address(0) ? d.challenger : d.payee;
        if (challengerWon) {
            uint256 forfeited = claims.disputeResolved(d.claimId, false, winner);
            credit[winner] += d.bond + forfeited;
        } else {
            claims.disputeResolved(d.claimId, true, winner);
            credit[d.claimant] += d.bond;
        }
    }
}
