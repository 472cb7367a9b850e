// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DisputeGame} from "./DisputeGame.sol";
import {Receipts} from "./Receipts.sol";

/// @title ChallengeBonds: clients' challenge deposits, spent only by a challenge they signed.
/// @notice A client that doubts a receipt but cannot play the bisection game itself deposits
/// ETH here and signs an EIP-712 `ChallengeAuthorization` naming the receipt, the most bond it
/// will pay, the agent (a gateway's key) that may open and play the dispute, a deadline and a
/// nonce. The agent opens the dispute with it: the game's bond leaves the client's deposit and
/// the dispute is the agent's to play but the client's to win: the bond and the forfeited claim
/// bond are credited to the client in the game (`DisputeGame.withdraw`), the slashing reward to
/// the client in the stake manager (`withdrawReward`); a lost game pays the bond to the node.
/// Deployed by the DisputeGame's constructor (`DisputeGame.bonds()`), the only opener it trusts.
contract ChallengeBonds {
    struct ChallengeAuthorization {
        /// The receipt's EIP-712 digest (its identity; the claim holding it may come later).
        bytes32 receiptDigest;
        uint256 maxBond;
        address agent;
        uint256 deadline;
        uint256 nonce;
    }

    /// @notice What `DisputeGame.open` takes: the receipt and where it sits in its claim.
    struct Opening {
        uint256 claimId;
        Receipts.Receipt receipt;
        bytes receiptSignature;
        uint256 leafIndex;
        bytes32[] batchProof;
    }

    bytes32 public constant AUTHORIZATION_TYPEHASH = keccak256(
        "ChallengeAuthorization(bytes32 receiptDigest,uint256 maxBond,address agent,uint256 deadline,uint256 nonce)"
    );

    DisputeGame public immutable game;
    bytes32 public immutable domainSeparator;
    /// @notice Each client's deposit not yet spent on a bond.
    mapping(address => uint256) public deposits;
    /// @notice Nonces spent by an opened challenge or cancelled by their client.
    mapping(address => mapping(uint256 => bool)) public nonceUsed;

    event Deposited(address indexed client, uint256 amount, uint256 balance);
    event Withdrawn(address indexed client, uint256 amount, uint256 balance);
    event NonceCancelled(address indexed client, uint256 nonce);
    event ChallengeOpened(
        uint256 indexed disputeId, address indexed client, address indexed agent, bytes32 receiptDigest, uint256 bond, uint256 nonce
    );

    error ZeroAmount();
    error InsufficientDeposit(address client, uint256 available, uint256 required);
    error AuthorizationExpired(uint256 deadline, uint256 now_);
    error NotAgent(address caller, address agent);
    error BadAuthorizationSignature(address client, address signer);
    error NonceAlreadyUsed(address client, uint256 nonce);
    error WrongReceipt(bytes32 authorized, bytes32 given);
    error BondAboveMax(uint256 bond, uint256 maxBond);
    error TransferFailed(address to, uint256 amount);

    constructor(DisputeGame game_) {
        game = game_;
        domainSeparator = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("Stoa Challenges"),
                keccak256("1"),
                block.chainid,
                address(this)
            )
        );
    }

    function deposit() external payable {
        if (msg.value == 0) revert ZeroAmount();
        uint256 balance = deposits[msg.sender] += msg.value;
        emit Deposited(msg.sender, msg.value, balance);
    }

    /// @notice Takes back unspent deposit; a bond in an open dispute has left the deposit and
    /// comes back (with the winnings) only through the game.
    function withdraw(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        uint256 available = deposits[msg.sender];
        if (amount > available) revert InsufficientDeposit(msg.sender, available, amount);
        deposits[msg.sender] = available - amount;
        emit Withdrawn(msg.sender, amount, available - amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed(msg.sender, amount);
    }

    /// @notice A client withdraws an authorization it signed and no longer wants used.
    function cancelNonce(uint256 nonce) external {
        if (nonceUsed[msg.sender][nonce]) revert NonceAlreadyUsed(msg.sender, nonce);
        nonceUsed[msg.sender][nonce] = true;
        emit NonceCancelled(msg.sender, nonce);
    }

    function authorizationDigest(ChallengeAuthorization calldata a) public view returns (bytes32) {
        bytes32 structHash =
            keccak256(abi.encode(AUTHORIZATION_TYPEHASH, a.receiptDigest, a.maxBond, a.agent, a.deadline, a.nonce));
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator, structHash));
    }

    /// @notice The agent opens a dispute on the receipt of `opening` for `client`, who signed
    /// `authorization`; the game's bond is paid from the client's deposit.
    function openAuthorized(
        address client,
        ChallengeAuthorization calldata authorization,
        bytes calldata clientSignature,
        Opening calldata opening
    ) external returns (uint256 disputeId) {
        uint256 bond = _authorize(client, authorization, clientSignature, opening.receipt);
        deposits[client] -= bond;
        disputeId = _openInGame(client, bond, opening);
        emit ChallengeOpened(disputeId, client, msg.sender, authorization.receiptDigest, bond, authorization.nonce);
    }

    function _openInGame(address client, uint256 bond, Opening calldata o) private returns (uint256) {
        return game.openFor{value: bond}(
            msg.sender, client, o.claimId, o.receipt, o.receiptSignature, o.leafIndex, o.batchProof
        );
    }

    /// @dev Every check of an authorization, each with its own revert; spends the nonce.
    function _authorize(
        address client,
        ChallengeAuthorization calldata a,
        bytes calldata signature,
        Receipts.Receipt calldata receipt
    ) private returns (uint256 bond) {
        if (block.timestamp > a.deadline) revert AuthorizationExpired(a.deadline, block.timestamp);
        if (msg.sender != a.agent) revert NotAgent(msg.sender, a.agent);
        address signer = Receipts.signer(authorizationDigest(a), signature);
        if (signer != client || client == address(0)) revert BadAuthorizationSignature(client, signer);
        if (nonceUsed[client][a.nonce]) revert NonceAlreadyUsed(client, a.nonce);
        nonceUsed[client][a.nonce] = true;
        bytes32 given = Receipts.digest(receipt, game.receiptDomainSeparator());
        if (given != a.receiptDigest) revert WrongReceipt(a.receiptDigest, given);
        bond = game.challengeBond();
        if (bond > a.maxBond) revert BondAboveMax(bond, a.maxBond);
        uint256 available = deposits[client];
        if (available < bond) revert InsufficientDeposit(client, available, bond);
    }
}
