// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, Window} from "./StepTypes.sol";
import {TileOperands} from "./TileOperands.sol";
import {ElementwiseKernels} from "./ElementwiseKernels.sol";
import {MacKernels} from "./MacKernels.sol";
import {ConvKernels} from "./ConvKernels.sol";
import {PoolKernels} from "./PoolKernels.sol";
import {LayoutKernels} from "./LayoutKernels.sol";

/// @title TileKernels: re-execution of one tile of any op of the integer op set.
/// @notice `run` computes output elements [start, end) of one step from windows of its inputs'
/// canonical bytes, bit for bit as docs/semantics.md §3 and the TypeScript reference kernels
/// (libs/ir/src/ops) define them. The one-step verifier compares the result's digest with the
/// disputed one. Every input element the tile needs must lie inside its window, otherwise the
/// call reverts with `TileOperands.InputNotOpened(input, element)`; elements the reference does
/// not read are never required, so a window covering exactly the elements read always suffices.
library TileKernels {
    error UnknownOp(uint16 op);
    error TileOutOfRange(uint256 start, uint256 end, uint256 total);

    uint16 internal constant ADD = 10;
    uint16 internal constant SUB = 11;
    uint16 internal constant MUL = 12;
    uint16 internal constant RELU = 13;
    uint16 internal constant REQUANTIZE = 14;
    uint16 internal constant MATMUL = 20;
    uint16 internal constant CONV = 21;
    uint16 internal constant MAX_POOL = 30;
    uint16 internal constant AVERAGE_POOL = 31;
    uint16 internal constant GLOBAL_AVERAGE_POOL = 32;
    uint16 internal constant RESHAPE = 40;
    // Transpose (41), Concat (42), Softmax (50), Sigmoid (51) and Tanh (52) run in
    // ExtensionKernels since s27-opgas: their run-copy and assembly kernels did not fit here.

    /// @notice The canonical bytes (little-endian two's complement, 1, 2 or 4 bytes per element
    /// by the output dtype) of output elements [start, end) of `step`.
    /// @param step The step's descriptor: op code, flattened attributes, input and output types.
    /// @param inputs One window per step input, in the step's input order.
    /// @param start First output element (row-major flat index).
    /// @param end One past the last output element.
    function run(Step memory step, Window[] memory inputs, uint256 start, uint256 end)
        internal
        pure
        returns (bytes memory out)
    {
        uint16 op = step.op;
        if (!known(op)) revert UnknownOp(op);
        uint256 dst;
        (out, dst) = output(step, start, end);
        if (start == end) return out;
        if (op == ADD || op == SUB || op == MUL) ElementwiseKernels.binary(step, inputs, start, end, dst);
        else if (op == RELU) ElementwiseKernels.relu(step, inputs, start, end, dst);
        else if (op == REQUANTIZE) ElementwiseKernels.requantize(step, inputs, start, end, dst);
        else if (op == MATMUL) MacKernels.matMul(step, inputs, start, end, dst);
        else if (op == CONV) ConvKernels.conv(step, inputs, start, end, dst);
        else if (op == MAX_POOL || op == AVERAGE_POOL) PoolKernels.windowed(step, inputs, start, end, dst);
        else if (op == GLOBAL_AVERAGE_POOL) PoolKernels.globalAverage(step, inputs, start, end, dst);
        else LayoutKernels.reshape(step, inputs, start, end, dst);
        // Word-wide kernels may write past the last output byte: keep the padding clean.
        uint256 length = out.length;
        assembly ("memory-safe") {
            mstore(add(dst, length), 0)
        }
    }

    /// @notice Zeroed bytes for output elements [start, end) of `step`, after checking the range,
    /// and the address of their first byte.
    function output(Step memory step, uint256 start, uint256 end)
        internal
        pure
        returns (bytes memory out, uint256 dst)
    {
        uint256 total = TileOperands.elementCount(step.outputType.shape);
        if (start > end || end > total) revert TileOutOfRange(start, end, total);
        out = new bytes((end - start) * TileOperands.widthOf(step.outputType.dtype));
        assembly ("memory-safe") {
            dst := add(out, 32)
        }
    }

    /// @dev Bit `op` is set for each op above (ADD..REQUANTIZE, MATMUL, CONV, MAX_POOL..
    /// GLOBAL_AVERAGE_POOL, RESHAPE): one shift instead of a comparison chain keeps
    /// TileVerifier under the EIP-170 code size limit. ReexecVerifier routes by it.
    uint256 internal constant KNOWN_OPS = (0x1f << ADD) | (1 << MATMUL) | (1 << CONV) | (0x7 << MAX_POOL)
        | (1 << RESHAPE);

    function known(uint16 op) private pure returns (bool) {
        return op < 256 && (KNOWN_OPS >> op) & 1 == 1;
    }
}
