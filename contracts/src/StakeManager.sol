// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title StakeManager: node stakes, an unbonding delay, and slashing by the dispute game only.
/// @notice A node bonds ETH to serve; withdrawing takes `unbondingDelay` seconds, during which
/// the unbonding amount can still be slashed, so a node cannot escape a pending dispute.
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

    event Staked(address indexed node, uint256 amount, uint256 bonded);
    event UnbondRequested(address indexed node, uint256 amount, uint64 releaseAt);
    event Withdrawn(address indexed node, uint256 amount);
    event Slashed(address indexed node, uint256 amount, address indexed recipient);
    event SlasherSet(address indexed slasher);

    error ZeroAmount();
    error InsufficientBond(uint256 bonded, uint256 requested);
    error NothingToWithdraw();
    error StillUnbonding(uint64 releaseAt);
    error NotSlasher(address caller);
    error NotGovernor(address caller);
    error SlasherAlreadySet(address slasher);
    error TransferFailed(address to, uint256 amount);

    constructor(uint64 delay) {
        unbondingDelay = delay;
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

    /// @notice Takes up to `amount` from the node's bonded, then unbonding, balance and pays it
    /// to `recipient`. Only the dispute game calls this, after a lost game.
    function slash(address node, uint256 amount, address recipient) external returns (uint256 taken) {
        if (msg.sender != slasher) revert NotSlasher(msg.sender);
        Account storage account = accounts[node];
        uint256 fromBonded = amount < account.bonded ? amount : account.bonded;
        account.bonded -= fromBonded;
        uint256 rest = amount - fromBonded;
        uint256 fromUnbonding = rest < account.unbonding ? rest : account.unbonding;
        account.unbonding -= fromUnbonding;
        taken = fromBonded + fromUnbonding;
        emit Slashed(node, taken, recipient);
        if (taken > 0) _send(recipient, taken);
    }

    function bondedOf(address node) external view returns (uint256) {
        return accounts[node].bonded;
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }
}
