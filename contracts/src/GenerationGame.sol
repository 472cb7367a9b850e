// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ClaimRegistry} from "./ClaimRegistry.sol";
import {DisputeGame} from "./DisputeGame.sol";
import {FixedPoint} from "./FixedPoint.sol";
import {Receipts} from "./Receipts.sol";
import {Sha256Merkle} from "./Sha256Merkle.sol";

/// @title GenerationGame: the dispute over a text generation's tokens (issue 16).
/// @notice A generation receipt is an ordinary signed receipt in a batch claim whose
/// inputDigest = H(0x11 ‖ u64 temperatureMilli ‖ u64 seed ‖ prompt ids as u32),
/// outputDigest = H(0x12 ‖ generated ids as u32), traceRoot = the SHA-256 tree over the token
/// leaves H(0x10 ‖ u64 index ‖ u64 position ‖ u64 token ‖ step inputDigest ‖ step outputDigest)
/// and steps = the token count (libs/ir generation/commitment.ts).
/// 1. The claimant descends its token tree log2(k) levels per round (it reveals the nodes, the
///    challenger picks one), down to one token t in ⌈log_k tokens⌉ rounds, as DisputeGame's phase 1.
/// 2. The claimant opens leaf t. The challenger then proves one fault, each decided here:
///    the leaf's token is not the receipt's token t; the step ran on another window than the
///    prompt + tokens before t; or the sampler step: the logits the step committed to, read at
///    the leaf's position with the receipt's temperature and seed and draw number t, give
///    another token. Wrong logits are a fault of the step's forward pass: the challenger disputes
///    the step's own signed execution receipt (claimed by the node like any answer) in
///    DisputeGame and hands over to that dispute (`handOver`); the generation game then waits
///    and follows its verdict (`settleForward`).
/// A party that does not move within `moveSeconds` loses; a node that loses is slashed by the
/// claim registry as for any lost dispute.
contract GenerationGame {
    enum Phase {
        None,
        Descend, // claimant: reveal the nodes log2(k) levels below the current one
        Pick, // challenger: pick one of them
        OpenToken, // claimant: open the leaf
        Prove, // challenger: prove a fault of the opened token
        Resolved,
        Forward // waiting for the DisputeGame over the opened token's forward pass
    }

    /// @notice One token's leaf: the step receipt's digests and the sampler's pick.
    struct TokenStep {
        uint64 position;
        uint64 token;
        bytes32 inputDigest;
        bytes32 outputDigest;
    }

    /// @notice What the on-chain sampler and window need of a model (set once per model).
    struct Shape {
        uint32 context;
        uint32 vocab;
        uint8 inputWidth;
        uint8 logitsWidth;
        int16 logitsFrac;
    }

    struct Game {
        uint256 claimId;
        address claimant;
        address challenger;
        Phase phase;
        bool challengerWon;
        uint8 height;
        uint16 rounds;
        uint32 index;
        uint32 tokens;
        uint64 deadline;
        bytes32 modelId;
        bytes32 inputDigest;
        bytes32 outputDigest;
        bytes32 node;
        bytes32 pending;
        TokenStep step;
        uint256 bond;
        /// The DisputeGame over the opened token's step receipt, once handed over.
        uint256 forwardDispute;
    }

    ClaimRegistry public immutable claims;
    uint256 public immutable arity;
    uint256 private immutable levelsPerRound;
    uint64 public immutable moveSeconds;
    uint256 public immutable challengeBond;
    bytes32 public immutable receiptDomainSeparator;
    address public immutable governor;

    uint256 public gameCount;
    mapping(uint256 => Game) private games;
    mapping(bytes32 => Shape) public shapes;
    mapping(address => uint256) public credit;

    event GenerationDisputed(uint256 indexed gameId, uint256 indexed claimId, address indexed challenger, uint32 tokens);
    event ChildrenRevealed(uint256 indexed gameId, uint8 height, uint32 index, bytes32[] children);
    event ChildPicked(uint256 indexed gameId, uint32 index, uint8 height);
    event TokenOpened(uint256 indexed gameId, uint32 index, TokenStep step);
    event HandedOver(uint256 indexed gameId, uint256 indexed disputeId);
    event GenerationResolved(uint256 indexed gameId, bool challengerWon, uint16 rounds, string reason);

    error BadArity(uint256 arity);
    error NotGovernor(address caller);
    error ShapeSet(bytes32 modelId);
    error NoShape(bytes32 modelId);
    error WrongBond(uint256 sent, uint256 required);
    error ReceiptNotInBatch(uint256 claimId, uint256 index);
    error WrongPhase(uint256 gameId, Phase phase);
    error NotYourTurn(address caller, address expected);
    error DeadlineNotReached(uint256 gameId, uint64 deadline);
    error WrongChildren(uint256 gameId);
    error BadChoice(uint256 choice);
    error WrongLeaf(uint256 gameId);
    error WrongPrompt(uint256 gameId);
    error WrongTokens(uint256 gameId);
    error WrongLogits(uint256 gameId);
    error NoFault(uint256 gameId);
    error NotTheStep(uint256 gameId, uint256 disputeId);
    error DisputeNotResolved(uint256 disputeId);
    error NothingToWithdraw();
    error TransferFailed(address to, uint256 amount);

    constructor(ClaimRegistry claims_, uint256 arity_, uint64 moveSeconds_, uint256 challengeBond_) {
        if (arity_ < 2 || arity_ > 256 || arity_ & (arity_ - 1) != 0) revert BadArity(arity_);
        claims = claims_;
        arity = arity_;
        levelsPerRound = Sha256Merkle.depthOf(arity_);
        moveSeconds = moveSeconds_;
        challengeBond = challengeBond_;
        receiptDomainSeparator = Receipts.domainSeparator(address(claims_));
        governor = msg.sender;
    }

    /// @notice Forfeited claim bonds arrive here before they are credited.
    receive() external payable {}

    /// @notice The sampler's view of a model's output (once per model, by the governor).
    function setShape(bytes32 modelId, Shape calldata shape) external {
        if (msg.sender != governor) revert NotGovernor(msg.sender);
        if (shapes[modelId].vocab != 0) revert ShapeSet(modelId);
        shapes[modelId] = shape;
    }

    // ---------------------------------------------------------------- opening and descent

    /// @notice Disputes generation receipt `leafIndex` of claim `claimId`.
    function open(
        uint256 claimId,
        Receipts.Receipt calldata receipt,
        bytes calldata signature,
        uint256 leafIndex,
        bytes32[] calldata batchProof
    ) external payable returns (uint256 gameId) {
        if (msg.value != challengeBond) revert WrongBond(msg.value, challengeBond);
        ClaimRegistry.Claim memory claim = claims.get(claimId);
        bytes32 digest = Receipts.digest(receipt, receiptDomainSeparator);
        if (
            leafIndex >= claim.receipts || batchProof.length != Sha256Merkle.depthOf(claim.receipts)
                || !Sha256Merkle.verify(
                    claim.batchRoot, Sha256Merkle.leafHash(abi.encodePacked(digest, signature)), leafIndex, batchProof
                )
        ) revert ReceiptNotInBatch(claimId, leafIndex);
        if (shapes[receipt.modelId].vocab == 0) revert NoShape(receipt.modelId);
        claims.disputeOpened(claimId);
        gameId = ++gameCount;
        Game storage g = games[gameId];
        g.claimId = claimId;
        g.claimant = claim.node;
        g.challenger = msg.sender;
        g.bond = msg.value;
        g.tokens = receipt.steps;
        g.modelId = receipt.modelId;
        g.inputDigest = receipt.inputDigest;
        g.outputDigest = receipt.outputDigest;
        g.node = receipt.traceRoot;
        g.height = uint8(Sha256Merkle.depthOf(receipt.steps));
        emit GenerationDisputed(gameId, claimId, msg.sender, receipt.steps);
        if (
            Receipts.signer(digest, signature) != claim.node || receipt.node != claim.node
                || receipt.modelId != claim.modelId || receipt.steps == 0
        ) {
            _resolve(gameId, true, "the claim holds a receipt its node did not sign or that is not a generation");
        } else {
            _advance(g, g.height == 0 ? Phase.OpenToken : Phase.Descend);
        }
    }

    /// @notice Claimant: the nodes min(log2 k, height) levels below the current node.
    function revealChildren(uint256 gameId, bytes32[] calldata children) external {
        Game storage g = _turn(gameId, Phase.Descend);
        uint256 depth = g.height < levelsPerRound ? g.height : levelsPerRound;
        if (children.length != 1 << depth || _fold(children) != g.node) revert WrongChildren(gameId);
        g.pending = keccak256(abi.encodePacked(children));
        emit ChildrenRevealed(gameId, g.height, g.index, children);
        _advance(g, Phase.Pick);
    }

    /// @notice Challenger: descend into child `child` of the revealed `children`.
    function pickChild(uint256 gameId, uint256 child, bytes32[] calldata children) external {
        Game storage g = _turn(gameId, Phase.Pick);
        if (keccak256(abi.encodePacked(children)) != g.pending) revert WrongChildren(gameId);
        if (child >= children.length) revert BadChoice(child);
        uint256 depth = g.height < levelsPerRound ? g.height : levelsPerRound;
        uint256 index = uint256(g.index) * children.length + child;
        if (g.height == depth && index >= g.tokens) revert BadChoice(child);
        g.index = uint32(index);
        g.height -= uint8(depth);
        g.node = children[child];
        g.rounds++;
        emit ChildPicked(gameId, g.index, g.height);
        _advance(g, g.height == 0 ? Phase.OpenToken : Phase.Descend);
    }

    /// @notice Claimant: open the token leaf the descent reached.
    function openToken(uint256 gameId, TokenStep calldata step) external {
        Game storage g = _turn(gameId, Phase.OpenToken);
        if (Sha256Merkle.leafHash32(tokenLeaf(g.index, step)) != g.node) revert WrongLeaf(gameId);
        g.step = step;
        emit TokenOpened(gameId, g.index, step);
        _advance(g, Phase.Prove);
    }

    // ---------------------------------------------------------------- faults of the opened token

    /// @notice The leaf's token is not token t of the receipt's outputDigest.
    function proveTokenMismatch(uint256 gameId, uint32[] calldata tokens) external {
        Game storage g = _turn(gameId, Phase.Prove);
        _checkTokens(g, gameId, tokens);
        if (tokens[g.index] == g.step.token) revert NoFault(gameId);
        _resolve(gameId, true, "the token leaf disagrees with the receipt's tokens");
    }

    /// @notice The step did not run on the prompt + the tokens before t (or read another row).
    function proveWindowFault(
        uint256 gameId,
        uint32[] calldata prompt,
        uint64 temperatureMilli,
        uint64 seed,
        uint32[] calldata tokens
    ) external {
        Game storage g = _turn(gameId, Phase.Prove);
        _checkPrompt(g, gameId, prompt, temperatureMilli, seed);
        _checkTokens(g, gameId, tokens);
        Shape memory s = shapes[g.modelId];
        uint256 all = prompt.length + g.index;
        uint256 start = all > s.context ? all - s.context : 0;
        bytes memory window = new bytes(uint256(s.context) * s.inputWidth);
        for (uint256 k = start; k < all; k++) {
            uint256 id = k < prompt.length ? prompt[k] : tokens[k - prompt.length];
            _writeLE(window, (k - start) * s.inputWidth, id, s.inputWidth);
        }
        uint256 position = all - start == 0 ? 0 : all - start - 1;
        if (_boundaryDigest(window) == g.step.inputDigest && position == g.step.position) revert NoFault(gameId);
        _resolve(gameId, true, "the token's step ran on another window");
    }

    /// @notice The committed logits, the receipt's temperature and seed and draw t give another token.
    function proveSamplerFault(
        uint256 gameId,
        uint32[] calldata prompt,
        uint64 temperatureMilli,
        uint64 seed,
        bytes calldata logits
    ) external {
        Game storage g = _turn(gameId, Phase.Prove);
        _checkPrompt(g, gameId, prompt, temperatureMilli, seed);
        if (_boundaryDigestOf(logits) != g.step.outputDigest) revert WrongLogits(gameId);
        Shape memory s = shapes[g.modelId];
        uint256 expected = sampleToken(
            logits, g.step.position * s.vocab, s.vocab, s.logitsWidth, s.logitsFrac, temperatureMilli, seed, g.index
        );
        if (expected == g.step.token) revert NoFault(gameId);
        _resolve(gameId, true, "the sampler step picks another token");
    }

    /// @notice The opened token's logits are not what its window computes: DisputeGame `disputeId`
    /// disputes an execution receipt of the same node and model with the step's input and output
    /// digests (the token's step receipt). The game waits for that dispute's verdict.
    function handOver(uint256 gameId, uint256 disputeId) external {
        Game storage g = _turn(gameId, Phase.Prove);
        DisputeGame.Dispute memory d = DisputeGame(payable(claims.disputeGame())).get(disputeId);
        if (
            d.claimant != g.claimant || d.modelId != g.modelId || d.inputDigest != g.step.inputDigest
                || d.outputDigest != g.step.outputDigest
        ) revert NotTheStep(gameId, disputeId);
        g.forwardDispute = disputeId;
        g.phase = Phase.Forward;
        emit HandedOver(gameId, disputeId);
    }

    /// @notice Anyone, once the forward-pass dispute has ended: its winner wins this game.
    function settleForward(uint256 gameId) external {
        Game storage g = games[gameId];
        if (g.phase != Phase.Forward) revert WrongPhase(gameId, g.phase);
        DisputeGame.Dispute memory d = DisputeGame(payable(claims.disputeGame())).get(g.forwardDispute);
        if (d.phase != DisputeGame.Phase.Resolved) revert DisputeNotResolved(g.forwardDispute);
        _resolve(
            gameId,
            d.challengerWon,
            d.challengerWon ? "the token's forward pass is wrong (DisputeGame)" : "the token's forward pass stood"
        );
    }

    /// @notice The party to move let its deadline pass: it loses.
    function timeout(uint256 gameId) external {
        Game storage g = games[gameId];
        if (g.phase == Phase.None || g.phase == Phase.Resolved || g.phase == Phase.Forward) {
            revert WrongPhase(gameId, g.phase);
        }
        if (block.timestamp <= g.deadline) revert DeadlineNotReached(gameId, g.deadline);
        bool claimantToMove = g.phase == Phase.Descend || g.phase == Phase.OpenToken;
        _resolve(gameId, claimantToMove, "timed out");
    }

    function withdraw() external {
        uint256 amount = credit[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        credit[msg.sender] = 0;
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed(msg.sender, amount);
    }

    function get(uint256 gameId) external view returns (Game memory) {
        return games[gameId];
    }

    // ---------------------------------------------------------------- the sampler, as libs/ir generation/sampling.ts

    /// @notice H(0x10 ‖ u64 index ‖ u64 position ‖ u64 token ‖ inputDigest ‖ outputDigest).
    function tokenLeaf(uint256 index, TokenStep memory step) public pure returns (bytes32) {
        return sha256(
            abi.encodePacked(
                uint8(0x10), uint64(index), step.position, step.token, step.inputDigest, step.outputDigest
            )
        );
    }

    /// @notice SplitMix64's output for counter `counter` of stream `seed`.
    function splitMix64(uint64 seed, uint256 counter) public pure returns (uint64) {
        uint256 mask = type(uint64).max;
        uint256 z = (uint256(seed) + (counter + 1) * 0x9e3779b97f4a7c15) & mask;
        z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & mask;
        z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & mask;
        return uint64(z ^ (z >> 31));
    }

    /// @notice Greedy (temperature 0: the largest logit, ties to the lowest id) or the integer
    /// inverse CDF over e_k = expNeg(⌊((x_k − max)·1000 + ⌊t/2⌋) / t⌋, frac) at draw `draw`.
    function sampleToken(
        bytes calldata logits,
        uint256 rowStart,
        uint256 vocab,
        uint256 width,
        int256 frac,
        uint64 temperatureMilli,
        uint64 seed,
        uint256 draw
    ) public pure returns (uint256) {
        int256[] memory row = new int256[](vocab);
        uint256 best = 0;
        for (uint256 k = 0; k < vocab; k++) {
            row[k] = _readLE(logits, (rowStart + k) * width, width);
            if (row[k] > row[best]) best = k;
        }
        if (temperatureMilli == 0) return best;
        int256 t = int256(uint256(temperatureMilli));
        int256 max = row[best];
        uint256 total = 0;
        for (uint256 k = 0; k < vocab; k++) {
            row[k] = FixedPoint.expNeg(FixedPoint.floorDiv((row[k] - max) * 1000 + t / 2, t), frac);
            total += uint256(row[k]);
        }
        uint256 u = uint256(splitMix64(seed, draw)) % total;
        for (uint256 k = 0; k < vocab; k++) {
            if (u < uint256(row[k])) return k;
            u -= uint256(row[k]);
        }
        revert("sampleToken: past the vocabulary");
    }

    // ---------------------------------------------------------------- internals

    function _turn(uint256 gameId, Phase phase) private view returns (Game storage g) {
        g = games[gameId];
        if (g.phase != phase) revert WrongPhase(gameId, g.phase);
        address expected = phase == Phase.Pick || phase == Phase.Prove ? g.challenger : g.claimant;
        if (msg.sender != expected) revert NotYourTurn(msg.sender, expected);
    }

    function _advance(Game storage g, Phase phase) private {
        g.phase = phase;
        g.deadline = uint64(block.timestamp) + moveSeconds;
    }

    function _resolve(uint256 gameId, bool challengerWon, string memory reason) private {
        Game storage g = games[gameId];
        g.phase = Phase.Resolved;
        g.challengerWon = challengerWon;
        uint256 forfeited = claims.disputeResolved(g.claimId, !challengerWon, g.challenger);
        credit[challengerWon ? g.challenger : g.claimant] += g.bond + forfeited;
        emit GenerationResolved(gameId, challengerWon, g.rounds, reason);
    }

    function _checkPrompt(Game storage g, uint256 gameId, uint32[] calldata prompt, uint64 temperatureMilli, uint64 seed)
        private
        view
    {
        if (sha256(abi.encodePacked(uint8(0x11), temperatureMilli, seed, _ids(prompt))) != g.inputDigest) {
            revert WrongPrompt(gameId);
        }
    }

    function _checkTokens(Game storage g, uint256 gameId, uint32[] calldata tokens) private view {
        if (tokens.length != g.tokens || sha256(abi.encodePacked(uint8(0x12), _ids(tokens))) != g.outputDigest) {
            revert WrongTokens(gameId);
        }
    }

    function _ids(uint32[] calldata ids) private pure returns (bytes memory out) {
        out = new bytes(4 * ids.length);
        for (uint256 i = 0; i < ids.length; i++) {
            uint32 v = ids[i];
            out[4 * i] = bytes1(uint8(v >> 24));
            out[4 * i + 1] = bytes1(uint8(v >> 16));
            out[4 * i + 2] = bytes1(uint8(v >> 8));
            out[4 * i + 3] = bytes1(uint8(v));
        }
    }

    function _fold(bytes32[] calldata nodes) private pure returns (bytes32) {
        bytes32[] memory level = nodes;
        for (uint256 width = level.length; width > 1; width >>= 1) {
            for (uint256 i = 0; i < width; i += 2) level[i >> 1] = Sha256Merkle.nodeHash(level[i], level[i + 1]);
        }
        return level[0];
    }

    /// @notice The boundary digest of one tensor's canonical bytes (H(0x04 ‖ root over its digest)).
    function _boundaryDigest(bytes memory data) private pure returns (bytes32) {
        bytes32[] memory leaves = new bytes32[](_chunks(data.length));
        for (uint256 c = 0; c < leaves.length; c++) {
            (uint256 from, uint256 to) = _chunkAt(c, data.length);
            bytes memory chunk = new bytes(to - from);
            for (uint256 i = from; i < to; i++) chunk[i - from] = data[i];
            leaves[c] = Sha256Merkle.leafHash(chunk);
        }
        return _boundaryOfChunks(data.length, leaves);
    }

    /// @notice As above for calldata, whose chunks are copied by slicing (the logits: kilobytes).
    function _boundaryDigestOf(bytes calldata data) private pure returns (bytes32) {
        bytes32[] memory leaves = new bytes32[](_chunks(data.length));
        for (uint256 c = 0; c < leaves.length; c++) {
            (uint256 from, uint256 to) = _chunkAt(c, data.length);
            leaves[c] = Sha256Merkle.leafHash(data[from:to]);
        }
        return _boundaryOfChunks(data.length, leaves);
    }

    function _chunks(uint256 length) private pure returns (uint256) {
        return (length + Sha256Merkle.CHUNK_BYTES - 1) / Sha256Merkle.CHUNK_BYTES;
    }

    function _chunkAt(uint256 c, uint256 length) private pure returns (uint256 from, uint256 to) {
        from = c * Sha256Merkle.CHUNK_BYTES;
        to = from + Sha256Merkle.CHUNK_BYTES < length ? from + Sha256Merkle.CHUNK_BYTES : length;
    }

    function _boundaryOfChunks(uint256 length, bytes32[] memory leaves) private pure returns (bytes32) {
        bytes32[] memory one = new bytes32[](1);
        one[0] = Sha256Merkle.tensorDigest(length, leaves.length == 0 ? bytes32(0) : Sha256Merkle.rootOfHashes(leaves));
        return Sha256Merkle.boundaryDigest(one);
    }

    function _readLE(bytes calldata data, uint256 at, uint256 width) private pure returns (int256 v) {
        uint256 u = 0;
        for (uint256 i = 0; i < width; i++) u |= uint256(uint8(data[at + i])) << (8 * i);
        v = int256(u);
        if (u >> (8 * width - 1) == 1) v -= int256(1 << (8 * width));
    }

    function _writeLE(bytes memory data, uint256 at, uint256 value, uint256 width) private pure {
        for (uint256 i = 0; i < width; i++) data[at + i] = bytes1(uint8(value >> (8 * i)));
    }
}
