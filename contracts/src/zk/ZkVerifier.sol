// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IOneStepVerifier} from "../onestep/IOneStepVerifier.sol";
import {Step, Window} from "../onestep/StepTypes.sol";
import {TensorOpener} from "../onestep/TensorOpener.sol";

/// @title ZkVerifier: settles a tile by checking Groth16 proofs of it (circuits/, issue #6).
/// @notice The inputs are opened against the agreed state root exactly as the re-execution
/// verifier opens them. A circuit proves one fixed-shape *block* of output elements (a few
/// rows of a convolution or pooling, B consecutive MatMul outputs or elementwise values), so a
/// tile is covered by consecutive blocks, one proof each, carried in the witness with the
/// block's output bytes. For each block the contract rebuilds the circuit's public signals
/// from bytes it opened itself: the block's input stream (input bytes, weights, bias, shift
/// bytes, in the order circuits/ts/streams.ts defines) and the claimed output bytes, both
/// packed 31 bytes per field element. A proof therefore binds the claimed bytes to the state
/// root; the function returns SHA-256 of the claimed bytes of elements [start, end).
contract ZkVerifier is IOneStepVerifier, TensorOpener {
    uint16 internal constant RELU = 13;
    uint16 internal constant MATMUL = 20;
    uint16 internal constant CONV = 21;
    uint16 internal constant MAXPOOL = 30;
    uint16 internal constant RESHAPE = 40;
    uint8 internal constant I8 = 1;
    uint8 internal constant I32 = 3;

    /// @notice The Groth16 verifier of one circuit and the block size it was compiled for:
    /// output rows for Conv and MaxPool, output elements for MatMul, Relu and Reshape.
    struct Circuit {
        bytes32 key;
        address verifier;
        uint32 blockParam;
    }

    /// @notice One block's proof in the order of the exported verifier's calldata
    /// (a.x, a.y, b.x1, b.x0, b.y1, b.y0, c.x, c.y) and the block's output bytes.
    struct BlockProof {
        uint256[8] proof;
        bytes output;
    }

    mapping(bytes32 => Circuit) private _circuits;

    error NoCircuit(uint16 op, bytes32 key);
    error UnsupportedStep(uint16 op, string reason);
    error ShiftOutOfRange(uint256 channel, int256 shift, uint256 maxShift);
    error WrongProofCount(uint256 proofs, uint256 blocks);
    error WrongBlockOutput(uint256 blockIndex, uint256 length, uint256 expected);
    error ProofRejected(uint256 blockIndex);
    error InputNotOpened(uint256 input, uint256 byteIndex);

    constructor(Circuit[] memory circuits_) {
        for (uint256 i = 0; i < circuits_.length; i++) {
            _circuits[circuits_[i].key] = circuits_[i];
        }
    }

    function circuitOf(bytes32 key) external view returns (Circuit memory) {
        return _circuits[key];
    }

    function outputHash(bytes32 stateRoot, Step calldata step, uint256 start, uint256 end, bytes calldata witness)
        external
        view
        returns (bytes32)
    {
        (TensorOpening[] memory openings, BlockProof[] memory proofs) =
            abi.decode(witness, (TensorOpening[], BlockProof[]));
        return sha256(_proveBlocks(step, _context(stateRoot, step, openings), proofs, start, end));
    }

    /// @dev What every block of one tile shares.
    struct Context {
        Window[] windows;
        Circuit circuit;
        uint256 maxShift;
        uint256 per;
    }

    function _context(bytes32 stateRoot, Step calldata step, TensorOpening[] memory openings)
        private
        view
        returns (Context memory c)
    {
        c.windows = _openAll(stateRoot, step, openings);
        bytes32 key;
        (key, c.maxShift) = circuitKey(step);
        c.circuit = _circuits[key];
        if (c.circuit.verifier == address(0)) revert NoCircuit(step.op, key);
        c.per = blockElements(step, c.circuit.blockParam);
    }

    /// @dev Checks the proof of every block covering [start, end); returns the claimed bytes.
    function _proveBlocks(Step calldata step, Context memory c, BlockProof[] memory proofs, uint256 start, uint256 end)
        private
        view
        returns (bytes memory out)
    {
        uint256 first = start / c.per;
        uint256 blocks = (end - 1) / c.per - first + 1;
        if (proofs.length != blocks) revert WrongProofCount(proofs.length, blocks);
        out = new bytes(end - start);
        for (uint256 i = 0; i < blocks; i++) {
            BlockProof memory p = proofs[i];
            uint256 b = first + i;
            if (p.output.length != c.per) revert WrongBlockOutput(b, p.output.length, c.per);
            bytes memory stream = _inputStream(step, c.windows, b, c.circuit.blockParam, c.maxShift);
            if (!_verify(c.circuit.verifier, p.proof, _publicSignals(stream, p.output))) revert ProofRejected(b);
            _copyOut(out, p.output, b * c.per, start, end);
        }
    }

    /// @dev out[e − start] = block[e − blockStart] for the block's elements e in [start, end).
    function _copyOut(bytes memory out, bytes memory block_, uint256 blockStart, uint256 start, uint256 end)
        private
        pure
    {
        uint256 lo = blockStart > start ? blockStart : start;
        uint256 hi = blockStart + block_.length < end ? blockStart + block_.length : end;
        assembly ("memory-safe") {
            mcopy(add(add(out, 32), sub(lo, start)), add(add(block_, 32), sub(lo, blockStart)), sub(hi, lo))
        }
    }

    /// @notice Which circuit proves tiles of `step`: a hash of its op, attributes, input and
    /// output shapes and the largest requantization shift of its channels (the circuit's S).
    function circuitKey(Step calldata step) public pure returns (bytes32 key, uint256 maxShift) {
        _checkSupported(step);
        maxShift = step.op == CONV || step.op == MATMUL ? _maxShift(step) : 0;
        uint32[][] memory shapes = new uint32[][](step.inputTypes.length);
        for (uint256 j = 0; j < shapes.length; j++) {
            shapes[j] = step.inputTypes[j].shape;
        }
        key = keccak256(abi.encode(step.op, step.attrs, shapes, step.outputType.shape, maxShift));
    }

    /// @notice Output elements one proof covers.
    function blockElements(Step calldata step, uint256 blockParam) public pure returns (uint256) {
        if (step.op == CONV || step.op == MAXPOOL) return blockParam * step.outputType.shape[3];
        return blockParam;
    }

    // ---------------------------------------------------------------- input streams

    function _inputStream(Step calldata step, Window[] memory windows, uint256 b, uint256 param, uint256 maxShift)
        private
        pure
        returns (bytes memory stream)
    {
        uint16 op = step.op;
        if (op == RELU || op == RESHAPE) {
            stream = _contiguousStream(step, windows[0], b * param, param);
        } else if (op == MAXPOOL) {
            // 2R input rows of W bytes: output row r reads input rows 2r and 2r + 1.
            uint256 n = 2 * param * step.inputTypes[0].shape[3];
            stream = _contiguousStream(step, windows[0], b * n, n);
        } else if (op == CONV) {
            stream = _convStream(step, windows, b, param, maxShift);
        } else {
            stream = _matMulStream(step, windows, b, param, maxShift);
        }
    }

    function _contiguousStream(Step calldata step, Window memory window, uint256 from, uint256 n)
        private
        pure
        returns (bytes memory stream)
    {
        stream = new bytes(n);
        _copy(stream, 0, window, 0, from, _clip(from, n, step));
    }

    function _convStream(Step calldata step, Window[] memory windows, uint256 b, uint256 rowsPerBlock, uint256 maxShift)
        private
        pure
        returns (bytes memory stream)
    {
        uint32[] calldata w = step.inputTypes[1].shape;
        uint256 perChannel = step.outputType.shape[2] / rowsPerBlock;
        uint256 o = b / perChannel;
        uint256 weights = uint256(w[1]) * w[2] * w[3];
        uint256 at;
        (stream, at) = _convRows(step, windows[0], (b % perChannel) * rowsPerBlock, rowsPerBlock + w[2] - 1, weights + 5);
        _copy(stream, at, windows[1], 1, o * weights, weights);
        if (step.inputNodes.length > 2) _copy(stream, at + weights, windows[2], 2, o * 4, 4);
        stream[at + weights + 4] = bytes1(uint8(_shift(step, o, maxShift)));
    }

    /// @dev For each input channel, the `rows` input rows from output row i0 − pad on (zero
    /// rows outside the image: zero padding); `extra` bytes are left for weights, bias, shift.
    function _convRows(Step calldata step, Window memory x, uint256 i0, uint256 rows, uint256 extra)
        private
        pure
        returns (bytes memory stream, uint256 at)
    {
        uint32[] calldata shape = step.inputTypes[0].shape;
        uint256 pad = uint256(int256(step.attrs[4]));
        stream = new bytes(uint256(shape[1]) * rows * shape[3] + extra);
        for (uint256 c = 0; c < shape[1]; c++) {
            for (uint256 r = 0; r < rows; r++) {
                uint256 y = i0 + r;
                if (y >= pad && y - pad < shape[2]) _copy(stream, at, x, 0, (c * shape[2] + y - pad) * shape[3], shape[3]);
                at += shape[3];
            }
        }
    }

    function _matMulStream(Step calldata step, Window[] memory windows, uint256 b, uint256 outputs, uint256 maxShift)
        private
        pure
        returns (bytes memory stream)
    {
        uint256 n = step.inputTypes[1].shape[0];
        uint256 k = step.inputTypes[1].shape[1];
        uint256 m = b / (n / outputs);
        uint256 n0 = (b % (n / outputs)) * outputs;
        stream = new bytes(k + outputs * k + 5 * outputs);
        _copy(stream, 0, windows[0], 0, m * k, k);
        _copy(stream, k, windows[1], 1, n0 * k, outputs * k);
        uint256 at = k + outputs * k;
        if (step.inputNodes.length > 2) _copy(stream, at, windows[2], 2, n0 * 4, 4 * outputs);
        at += 4 * outputs;
        for (uint256 i = 0; i < outputs; i++) {
            stream[at + i] = bytes1(uint8(_shift(step, n0 + i, maxShift)));
        }
    }

    /// @dev How many of `count` bytes from `from` lie inside input 0: a block may run past the
    /// end of an elementwise or pooled tensor, and the circuit reads zeros there.
    function _clip(uint256 from, uint256 count, Step calldata step) private pure returns (uint256) {
        uint256 total = _elements(step.inputTypes[0].shape);
        if (from >= total) return 0;
        return from + count > total ? total - from : count;
    }

    /// @dev stream[at, at + count) = input bytes [from, from + count) of an opened window.
    function _copy(bytes memory stream, uint256 at, Window memory window, uint256 input, uint256 from, uint256 count)
        private
        pure
    {
        if (count == 0) return;
        if (from < window.firstByte) revert InputNotOpened(input, from);
        if (from + count - window.firstByte > window.data.length) {
            revert InputNotOpened(input, window.firstByte + window.data.length);
        }
        bytes memory data = window.data;
        uint256 offset = from - window.firstByte;
        assembly ("memory-safe") {
            mcopy(add(add(stream, 32), at), add(add(data, 32), offset), count)
        }
    }

    // ---------------------------------------------------------------- shifts and support

    /// @dev s = fx + fw[channel] − fo, the requantization shift of one output channel.
    function _channelShift(Step calldata step, uint256 channel) private pure returns (int256) {
        bytes calldata fw = step.inputTypes[1].fracs;
        int256 weightFrac = int8(uint8(fw.length == 1 ? fw[0] : fw[channel]));
        return int256(int8(uint8(step.inputTypes[0].fracs[0]))) + weightFrac
            - int256(int8(uint8(step.outputType.fracs[0])));
    }

    function _maxShift(Step calldata step) private pure returns (uint256) {
        int256 best = 1; // the circuits need S >= 1 (they add 2^(S-1))
        uint256 channels = step.inputTypes[1].shape[0];
        for (uint256 c = 0; c < channels; c++) {
            int256 s = _channelShift(step, c);
            if (s < 0) revert ShiftOutOfRange(c, s, 0);
            if (s > best) best = s;
        }
        if (best > 64) revert ShiftOutOfRange(channels, best, 64);
        return uint256(best);
    }

    function _shift(Step calldata step, uint256 channel, uint256 maxShift) private pure returns (uint256) {
        int256 s = _channelShift(step, channel);
        if (s < 0 || uint256(s) > maxShift) revert ShiftOutOfRange(channel, s, maxShift);
        return uint256(s);
    }

    function _checkSupported(Step calldata step) private pure {
        uint16 op = step.op;
        if (step.outputType.dtype != I8) revert UnsupportedStep(op, "output must be i8");
        if (step.inputTypes[0].dtype != I8) revert UnsupportedStep(op, "input 0 must be i8");
        if (op == CONV) {
            int64[] calldata a = step.attrs; // strides, pads, dilations, group (each: count, values)
            if (a[1] != 1 || a[2] != 1) revert UnsupportedStep(op, "strides must be 1");
            if (a[5] != a[4] || a[6] != a[4] || a[7] != a[4]) revert UnsupportedStep(op, "pads must be equal");
            if (a[9] != 1 || a[10] != 1 || a[12] != 1) revert UnsupportedStep(op, "dilation and group must be 1");
            if (step.inputTypes[0].shape[0] != 1) revert UnsupportedStep(op, "batch must be 1");
        } else if (op == MAXPOOL) {
            int64[] calldata a = step.attrs; // kernel_shape, strides, pads
            if (a[1] != 2 || a[2] != 2 || a[4] != 2 || a[5] != 2) revert UnsupportedStep(op, "kernel and strides must be 2x2");
            if (a[7] != 0 || a[8] != 0 || a[9] != 0 || a[10] != 0) revert UnsupportedStep(op, "pads must be 0");
            if (step.inputTypes[0].shape[2] % 2 != 0 || step.inputTypes[0].shape[3] % 2 != 0) {
                revert UnsupportedStep(op, "input height and width must be even");
            }
        } else if (op == MATMUL) {
            if (step.inputTypes[1].dtype != I8) revert UnsupportedStep(op, "weights must be i8");
        } else if (op != RELU && op != RESHAPE) {
            revert UnsupportedStep(op, "no circuit for this op");
        }
        if (op == CONV || op == MATMUL) {
            if (step.inputTypes[1].dtype != I8) revert UnsupportedStep(op, "weights must be i8");
            if (step.inputTypes.length > 2 && step.inputTypes[2].dtype != I32) {
                revert UnsupportedStep(op, "bias must be i32");
            }
        }
    }

    function _elements(uint32[] calldata shape) private pure returns (uint256 count) {
        count = 1;
        for (uint256 i = 0; i < shape.length; i++) count *= shape[i];
    }

    // ---------------------------------------------------------------- Groth16

    /// @dev pack31(stream) ‖ pack31(output): each group of 31 bytes read as a big-endian integer.
    function _publicSignals(bytes memory stream, bytes memory output) private pure returns (uint256[] memory signals) {
        uint256 ni = (stream.length + 30) / 31;
        uint256 no = (output.length + 30) / 31;
        signals = new uint256[](ni + no);
        _pack(stream, signals, 0);
        _pack(output, signals, ni);
    }

    /// @dev One mload and one shift per group: the top `len` bytes of the word at the group.
    function _pack(bytes memory data, uint256[] memory into, uint256 offset) private pure {
        uint256 length = data.length;
        for (uint256 k = 0; k * 31 < length; k++) {
            uint256 len = length - k * 31 < 31 ? length - k * 31 : 31;
            uint256 word;
            assembly ("memory-safe") {
                word := shr(sub(256, mul(8, len)), mload(add(add(data, 32), mul(k, 31))))
            }
            into[offset + k] = word;
        }
    }

    /// @dev Calls the snarkjs-exported verifier: verifyProof(uint[2], uint[2][2], uint[2], uint[N]).
    function _verify(address verifier, uint256[8] memory proof, uint256[] memory signals) private view returns (bool) {
        bytes4 selector = bytes4(
            keccak256(
                abi.encodePacked(
                    "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", _decimal(signals.length), "])"
                )
            )
        );
        bytes memory call = abi.encodePacked(selector, proof, signals);
        (bool ok, bytes memory result) = verifier.staticcall(call);
        return ok && result.length == 32 && abi.decode(result, (bool));
    }

    function _decimal(uint256 value) private pure returns (bytes memory text) {
        if (value == 0) return "0";
        uint256 digits;
        for (uint256 v = value; v > 0; v /= 10) digits++;
        text = new bytes(digits);
        for (uint256 i = digits; i > 0; i--) {
            text[i - 1] = bytes1(uint8(48 + (value % 10)));
            value /= 10;
        }
    }
}
