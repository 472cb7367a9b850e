// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title StakeManager: node stakes, an unbonding delay, and slashing by the dispute game only.
/// @notice A node bonds ETH to serve; withdrawing takes `unbondingDelay` seconds, during which
/// the unbonding amount can still be slashed, so a node cannot escape a pending dispute.
/// A slash burns most of what it takes: the challenger's reward is `rewardBps` of it, at most
/// `rewardCap`, and is paid out only `unbondingDelay` seconds later, so a node that disputes
/// itself from another account loses stake and cannot use slashing to skip the delay
/// (docs/decisions.md, issue 18).
contract StakeManager {
    struct Account {
        uint256 bonded;
        uint256 unbonding;
        uint64 unbondingReleaseAt;
    }

    uint64 public immutable unbondingDelay;
    /// @notice May name the slasher once (at deployment wiring); has no other power.
    address public immutable governor;
    /// @notice The only address allowed to slash: the dispute game.
    address public slasher;
    mapping(address => Account) public accounts;
    /// @notice Share of a slash paid to the challenger, in basis points, and its cap in wei.
    uint256 public immutable rewardBps;
    uint256 public immutable rewardCap;
    /// @notice Slashed wei nobody can ever withdraw (it stays in this contract).
    uint256 public burned;
    /// @notice Slashing rewards, each account's total and when it may be withdrawn.
    mapping(address => Account) public rewards;
    /// @notice Node signing address => the operator whose stake backs it. Set once by that
    /// operator and never cleared: a revoked signer's past claims still slash the operator.
    mapping(address => address) public operatorOf;
    /// @notice True once the operator revoked the signer: it backs no new claims.
    mapping(address => bool) public signerRevoked;

    event Staked(address indexed node, uint256 amount, uint256 bonded);
    event UnbondRequested(address indexed node, uint256 amount, uint64 releaseAt);
    event Withdrawn(address indexed node, uint256 amount);
    event Slashed(address indexed node, uint256 amount, address indexed recipient, uint256 reward, uint64 rewardReleaseAt);
    event RewardWithdrawn(address indexed recipient, uint256 amount);
    event SlasherSet(address indexed slasher);
    event SignerAuthorized(address indexed operator, address indexed signer);
    event SignerRevoked(address indexed operator, address indexed signer);

    error ZeroAmount();
    error InsufficientBond(uint256 bonded, uint256 requested);
    error NothingToWithdraw();
    error StillUnbonding(uint64 releaseAt);
    error NotSlasher(address caller);
    error NotGovernor(address caller);
    error SlasherAlreadySet(address slasher);
    error TransferFailed(address to, uint256 amount);
    error BadReward(uint256 rewardBps);
    error SignerAlreadyBound(address signer, address operator);
    error SignerHasOwnStake(address signer);
    error NotOperatorOf(address signer, address caller);
    error SignerCannotStake(address signer);

    constructor(uint64 delay, uint256 rewardBps_, uint256 rewardCap_) {
        if (rewardBps_ > 10_000) revert BadReward(rewardBps_);
        unbondingDelay = delay;
        rewardBps = rewardBps_;
        rewardCap = rewardCap_;
        governor = msg.sender;
    }

    function setSlasher(address newSlasher) external {
        if (msg.sender != governor) revert NotGovernor(msg.sender);
        if (slasher != address(0)) revert SlasherAlreadySet(slasher);
        slasher = newSlasher;
        emit SlasherSet(newSlasher);
    }

    function stake() external payable {
        if (msg.value == 0) revert ZeroAmount();
        if (operatorOf[msg.sender] != address(0)) revert SignerCannotStake(msg.sender);
        Account storage account = accounts[msg.sender];
        account.bonded += msg.value;
        emit Staked(msg.sender, msg.value, account.bonded);
    }

    /// @notice Moves `amount` from bonded to unbonding; the whole unbonding balance is released
    /// `unbondingDelay` seconds after the latest request.
    function requestUnbond(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Account storage account = accounts[msg.sender];
        if (amount > account.bonded) revert InsufficientBond(account.bonded, amount);
        account.bonded -= amount;
        account.unbonding += amount;
        account.unbondingReleaseAt = uint64(block.timestamp) + unbondingDelay;
        emit UnbondRequested(msg.sender, amount, account.unbondingReleaseAt);
    }

    function withdraw() external {
        Account storage account = accounts[msg.sender];
        uint256 amount = account.unbonding;
        if (amount == 0) revert NothingToWithdraw();
        if (block.timestamp < account.unbondingReleaseAt) revert StillUnbonding(account.unbondingReleaseAt);
        account.unbonding = 0;
        emit Withdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    /// @notice Takes up to `amount` from the node's bonded, then unbonding, balance; credits
    /// `recipient` a reward of `rewardBps` of it (at most `rewardCap`), withdrawable after the
    /// unbonding delay, and burns the rest. Only the slasher (the claim registry) calls this.
    function slash(address node, uint256 amount, address recipient) external returns (uint256 taken) {
        if (msg.sender != slasher) revert NotSlasher(msg.sender);
        Account storage account = accounts[stakerOf(node)];
        uint256 fromBonded = amount < account.bonded ? amount : account.bonded;
        account.bonded -= fromBonded;
        uint256 rest = amount - fromBonded;
        uint256 fromUnbonding = rest < account.unbonding ? rest : account.unbonding;
        account.unbonding -= fromUnbonding;
        taken = fromBonded + fromUnbonding;
        uint256 reward = (taken * rewardBps) / 10_000;
        if (reward > rewardCap) reward = rewardCap;
        burned += taken - reward;
        Account storage owed = rewards[recipient];
        owed.unbonding += reward;
        owed.unbondingReleaseAt = uint64(block.timestamp) + unbondingDelay;
        emit Slashed(node, taken, recipient, reward, owed.unbondingReleaseAt);
    }

    /// @notice Pays out the caller's slashing rewards once the delay after the latest has passed.
    function withdrawReward() external {
        Account storage owed = rewards[msg.sender];
        uint256 amount = owed.unbonding;
        if (amount == 0) revert NothingToWithdraw();
        if (block.timestamp < owed.unbondingReleaseAt) revert StillUnbonding(owed.unbondingReleaseAt);
        owed.unbonding = 0;
        emit RewardWithdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    /// @notice What backs `node`'s claims: its operator's bond while the signer is authorized,
    /// nothing once revoked, its own bond when it is no operator's signer.
    function bondedOf(address node) external view returns (uint256) {
        if (signerRevoked[node]) return 0;
        return accounts[stakerOf(node)].bonded;
    }

    /// @notice The account slashed for `node`'s claims: its operator if it ever was authorized.
    function stakerOf(address node) public view returns (address) {
        address operator = operatorOf[node];
        return operator == address(0) ? node : operator;
    }

    /// @notice The operator lets `signer` (a key generated on, and never leaving, its node) post
    /// claims backed by the operator's stake. A signer is bound to one operator for good, and
    /// must hold no stake of its own (else its own pending slashes could move to another account).
    function authorizeSigner(address signer) external {
        address bound = operatorOf[signer];
        if (bound != address(0)) revert SignerAlreadyBound(signer, bound);
        Account storage own = accounts[signer];
        if (own.bonded != 0 || own.unbonding != 0) revert SignerHasOwnStake(signer);
        operatorOf[signer] = msg.sender;
        emit SignerAuthorized(msg.sender, signer);
    }

    /// @notice A compromised node key stops backing claims at once; claims it already posted
    /// remain disputable and still slash the operator.
    function revokeSigner(address signer) external {
        if (operatorOf[signer] != msg.sender) revert NotOperatorOf(signer, msg.sender);
        signerRevoked[signer] = true;
        emit SignerRevoked(msg.sender, signer);
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }
}
