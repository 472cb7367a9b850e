// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ClaimRegistry} from "./ClaimRegistry.sol";
import {Receipts} from "./Receipts.sol";
import {Sha256Merkle} from "./Sha256Merkle.sol";

/// @title FeeEscrow: a deployment's owner pays its nodes per receipt, for finalized claims only.
/// @notice The owner opens a deployment of a model with a price per receipt, a cap (the
/// `defineModel()` budget: the escrow never pays past it) and the address whose signatures
/// vouch for requests (the gateway, signing on its clients' behalf), and funds it. A node is
/// paid for a claim in one transaction, `settle`, once the claim has finalized: it shows every
/// leaf of the claim (the tree must be the claim's root), and each leaf whose receipt the
/// deployment's voucher signer signed, and that was never paid before in any claim, is paid the
/// price. A receipt no request stands behind, or paid once already, earns nothing. A node may
/// `reserve` a pending claim's fee (so the owner cannot withdraw it while the window runs); a
/// claim that is rejected (lost a dispute, a proven fault) has its reservation `refund`ed.
/// Invariant: this contract's balance is the sum of every deployment's `available + reserved`.
contract FeeEscrow {
    struct Deployment {
        address owner;
        bytes32 modelId;
        address voucherSigner;
        uint256 pricePerReceipt;
        /// Wei this deployment may ever pay (`paid` never exceeds it).
        uint256 cap;
        uint256 paid;
        /// Funded and neither reserved nor paid: the owner may withdraw it.
        uint256 available;
        /// Held for pending claims' receipts.
        uint256 reserved;
    }

    /// @notice One leaf of a claim's tree (receipt digest ‖ node signature) and the voucher of
    /// its request: the voucher signer's signature over `voucherDigest(receiptDigest)`.
    struct Leaf {
        bytes32 receiptDigest;
        bytes nodeSignature;
        bytes voucher;
    }

    bytes32 internal constant VOUCHER_TYPEHASH = keccak256("Voucher(bytes32 receiptDigest)");

    ClaimRegistry public immutable claims;
    bytes32 public immutable voucherDomainSeparator;
    uint256 public deploymentCount;
    mapping(uint256 => Deployment) private deployments;
    /// @notice Receipts reserved for a claim (and the deployment they were reserved from).
    mapping(uint256 => uint256) public reservedReceipts;
    mapping(uint256 => uint256) public reservedFrom;
    mapping(uint256 => bool) public settled;
    /// @notice Receipt digests already paid, in any claim of any deployment.
    mapping(bytes32 => bool) public paidReceipt;

    event DeploymentOpened(uint256 indexed deploymentId, address indexed owner, bytes32 indexed modelId, address voucherSigner, uint256 pricePerReceipt, uint256 cap);
    event Funded(uint256 indexed deploymentId, uint256 amount);
    event Withdrawn(uint256 indexed deploymentId, uint256 amount);
    event Reserved(uint256 indexed deploymentId, uint256 indexed claimId, uint256 receipts);
    event Refunded(uint256 indexed deploymentId, uint256 indexed claimId, uint256 amount);
    /// @notice `paid` receipts of `claimed` paid; the rest had no voucher, were paid before, or
    /// lay past the cap.
    event Settled(uint256 indexed deploymentId, uint256 indexed claimId, address indexed node, uint256 claimed, uint256 paid, uint256 amount);

    error UnknownDeployment(uint256 deploymentId);
    error NotOwner(address caller);
    error ZeroPrice();
    error CapBelowPrice(uint256 cap, uint256 pricePerReceipt);
    error NoVoucherSigner();
    error WrongModel(uint256 claimId, bytes32 modelId);
    error NotFinalized(uint256 claimId, ClaimRegistry.Status status);
    error NotRejected(uint256 claimId, ClaimRegistry.Status status);
    error AlreadySettled(uint256 claimId);
    error AlreadyReserved(uint256 claimId);
    error NotPending(uint256 claimId, ClaimRegistry.Status status);
    error NothingReserved(uint256 claimId);
    error ReservedElsewhere(uint256 claimId, uint256 deploymentId);
    error WrongLeafCount(uint256 claimId, uint256 given, uint256 receipts);
    error WrongRoot(uint256 claimId);
    error Insufficient(uint256 available, uint256 amount);
    error TransferFailed(address to, uint256 amount);

    constructor(ClaimRegistry claims_) {
        claims = claims_;
        voucherDomainSeparator = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("Stoa Fees"),
                keccak256("1"),
                block.chainid,
                address(this)
            )
        );
    }

    function open(bytes32 modelId, address voucherSigner, uint256 pricePerReceipt, uint256 cap)
        external
        payable
        returns (uint256 deploymentId)
    {
        if (pricePerReceipt == 0) revert ZeroPrice();
        if (cap < pricePerReceipt) revert CapBelowPrice(cap, pricePerReceipt);
        if (voucherSigner == address(0)) revert NoVoucherSigner();
        deploymentId = ++deploymentCount;
        deployments[deploymentId] = Deployment(msg.sender, modelId, voucherSigner, pricePerReceipt, cap, 0, msg.value, 0);
        emit DeploymentOpened(deploymentId, msg.sender, modelId, voucherSigner, pricePerReceipt, cap);
        if (msg.value > 0) emit Funded(deploymentId, msg.value);
    }

    function fund(uint256 deploymentId) external payable {
        _deployment(deploymentId).available += msg.value;
        emit Funded(deploymentId, msg.value);
    }

    /// @notice The owner takes back funds no claim has reserved or been paid.
    function withdraw(uint256 deploymentId, uint256 amount) external {
        Deployment storage d = _deployment(deploymentId);
        if (msg.sender != d.owner) revert NotOwner(msg.sender);
        if (amount > d.available) revert Insufficient(d.available, amount);
        d.available -= amount;
        emit Withdrawn(deploymentId, amount);
        _send(d.owner, amount);
    }

    /// @notice Holds a pending claim's fee (as many of its receipts as funds and cap allow) so
    /// the owner cannot withdraw it before the claim finalizes. Anyone may call it.
    function reserve(uint256 deploymentId, uint256 claimId) external {
        Deployment storage d = _deployment(deploymentId);
        ClaimRegistry.Claim memory claim = _claimOf(d, claimId);
        if (claim.status != ClaimRegistry.Status.Pending) revert NotPending(claimId, claim.status);
        if (reservedFrom[claimId] != 0 || settled[claimId]) revert AlreadyReserved(claimId);
        _reserve(d, deploymentId, claimId, claim.receipts);
    }

    /// @notice Returns a rejected claim's reservation to the owner's available funds.
    function refund(uint256 claimId) external {
        ClaimRegistry.Status status = claims.get(claimId).status;
        if (status != ClaimRegistry.Status.Rejected) revert NotRejected(claimId, status);
        uint256 deploymentId = reservedFrom[claimId];
        if (deploymentId == 0) revert NothingReserved(claimId);
        if (settled[claimId]) revert AlreadySettled(claimId);
        settled[claimId] = true;
        Deployment storage d = deployments[deploymentId];
        uint256 amount = reservedReceipts[claimId] * d.pricePerReceipt;
        d.reserved -= amount;
        d.available += amount;
        emit Refunded(deploymentId, claimId, amount);
    }

    /// @notice Pays a finalized claim's node for its vouched, never-paid receipts, in one
    /// transaction: `leaves` are all the claim's leaves, in order.
    function settle(uint256 deploymentId, uint256 claimId, Leaf[] calldata leaves) external returns (uint256 amount) {
        Deployment storage d = _deployment(deploymentId);
        ClaimRegistry.Claim memory claim = _claimOf(d, claimId);
        if (claim.status != ClaimRegistry.Status.Finalized) revert NotFinalized(claimId, claim.status);
        if (settled[claimId]) revert AlreadySettled(claimId);
        if (leaves.length != claim.receipts) revert WrongLeafCount(claimId, leaves.length, claim.receipts);
        if (_root(leaves) != claim.batchRoot) revert WrongRoot(claimId);
        settled[claimId] = true;
        uint256 reservedBy = reservedFrom[claimId];
        if (reservedBy == 0) _reserve(d, deploymentId, claimId, claim.receipts);
        else if (reservedBy != deploymentId) revert ReservedElsewhere(claimId, reservedBy);
        uint256 room = reservedReceipts[claimId];
        uint256 count;
        for (uint256 i = 0; i < leaves.length && count < room; i++) {
            if (_payable(d.voucherSigner, leaves[i])) {
                paidReceipt[leaves[i].receiptDigest] = true;
                count++;
            }
        }
        amount = count * d.pricePerReceipt;
        uint256 unused = (room - count) * d.pricePerReceipt;
        d.reserved -= amount + unused;
        d.available += unused;
        d.paid += amount;
        emit Settled(deploymentId, claimId, claim.node, leaves.length, count, amount);
        if (amount > 0) _send(claim.node, amount);
    }

    function get(uint256 deploymentId) external view returns (Deployment memory) {
        return _deployment(deploymentId);
    }

    /// @notice The EIP-712 digest a voucher signer signs for a receipt it stands behind.
    function voucherDigest(bytes32 receiptDigest) public view returns (bytes32) {
        return keccak256(
            abi.encodePacked("\x19\x01", voucherDomainSeparator, keccak256(abi.encode(VOUCHER_TYPEHASH, receiptDigest)))
        );
    }

    // ---------------------------------------------------------------- internals

    function _deployment(uint256 deploymentId) private view returns (Deployment storage d) {
        d = deployments[deploymentId];
        if (d.owner == address(0)) revert UnknownDeployment(deploymentId);
    }

    function _claimOf(Deployment storage d, uint256 claimId) private view returns (ClaimRegistry.Claim memory claim) {
        claim = claims.get(claimId);
        if (claim.modelId != d.modelId) revert WrongModel(claimId, claim.modelId);
    }

    /// @dev Reserves as many of `receipts` as the deployment's funds and remaining cap cover.
    function _reserve(Deployment storage d, uint256 deploymentId, uint256 claimId, uint256 receipts) private {
        uint256 byFunds = d.available / d.pricePerReceipt;
        uint256 byCap = (d.cap - d.paid - d.reserved) / d.pricePerReceipt;
        uint256 count = receipts < byFunds ? receipts : byFunds;
        if (byCap < count) count = byCap;
        uint256 amount = count * d.pricePerReceipt;
        d.available -= amount;
        d.reserved += amount;
        reservedReceipts[claimId] = count;
        reservedFrom[claimId] = deploymentId;
        emit Reserved(deploymentId, claimId, count);
    }

    function _payable(address voucherSigner, Leaf calldata leaf) private view returns (bool) {
        return !paidReceipt[leaf.receiptDigest]
            && Receipts.signer(voucherDigest(leaf.receiptDigest), leaf.voucher) == voucherSigner;
    }

    /// @dev The claim tree over `leaves`, as ClaimRegistry proves leaves against it.
    function _root(Leaf[] calldata leaves) private pure returns (bytes32) {
        bytes32[] memory hashes = new bytes32[](leaves.length);
        for (uint256 i = 0; i < leaves.length; i++) {
            hashes[i] = Sha256Merkle.leafHash(abi.encodePacked(leaves[i].receiptDigest, leaves[i].nodeSignature));
        }
        return Sha256Merkle.rootOfHashes(hashes);
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }
}
