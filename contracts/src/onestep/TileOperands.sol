// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {TensorType, Window} from "./StepTypes.sol";

/// @title TileOperands: reading opened input windows and writing canonical output bytes.
/// @notice Shared by every tile kernel. An input is only ever read through `span` or `load`,
/// which revert with `InputNotOpened` when an element the op needs lies outside its window:
/// a window is contiguous, so checking the first and last element a loop reads is checking
/// every element in between.
library TileOperands {
    /// @notice Element `element` of input `input` is needed but lies outside its window.
    error InputNotOpened(uint256 input, uint256 element);
    error UnknownDtype(uint8 dtype);
    error AttributeMissing(uint256 attribute);

    /// @dev An input window in memory. `data` is the address of the window's first byte, which
    /// holds byte `firstByte` of the tensor's canonical bytes.
    struct Operand {
        uint256 input;
        uint256 data;
        uint256 firstByte;
        uint256 byteLength;
        uint256 width;
    }

    function operand(TensorType[] memory types, Window[] memory inputs, uint256 input)
        internal
        pure
        returns (Operand memory o)
    {
        // A step input without any window has nothing opened: its first element is missing.
        if (input >= inputs.length) revert InputNotOpened(input, 0);
        Window memory window = inputs[input];
        bytes memory data = window.data;
        uint256 address_;
        assembly ("memory-safe") {
            address_ := add(data, 32)
        }
        o = Operand(input, address_, window.firstByte, data.length, widthOf(types[input].dtype));
    }

    /// @notice Memory address of element `first` after checking that elements first..last
    /// (inclusive, first <= last) are all inside the window.
    function span(Operand memory o, uint256 first, uint256 last) internal pure returns (uint256) {
        uint256 width = o.width;
        if (first * width < o.firstByte) revert InputNotOpened(o.input, first);
        if ((last + 1) * width > o.firstByte + o.byteLength) revert InputNotOpened(o.input, last);
        return o.data + first * width - o.firstByte;
    }

    /// @notice One element, checked.
    function load(Operand memory o, uint256 element) internal pure returns (int256) {
        return read(span(o, element, element), o.width);
    }

    /// @notice The little-endian two's complement integer of `width` (1, 2 or 4) bytes at `ptr`.
    function read(uint256 ptr, uint256 width) internal pure returns (int256 v) {
        assembly ("memory-safe") {
            let m := mload(ptr)
            switch width
            case 1 { v := sar(248, m) }
            case 2 { v := signextend(1, or(shr(248, m), and(shr(232, m), 0xff00))) }
            default {
                v := signextend(
                    3,
                    or(
                        or(shr(248, m), and(shr(232, m), 0xff00)),
                        or(and(shr(216, m), 0xff0000), and(shr(200, m), 0xff000000))
                    )
                )
            }
        }
    }

    /// @notice Writes `v` as `width` little-endian bytes at `ptr` (v already within its dtype).
    function write(uint256 ptr, uint256 width, int256 v) internal pure {
        assembly ("memory-safe") {
            mstore8(ptr, v)
            if gt(width, 1) {
                mstore8(add(ptr, 1), shr(8, v))
                if gt(width, 2) {
                    mstore8(add(ptr, 2), shr(16, v))
                    mstore8(add(ptr, 3), shr(24, v))
                }
            }
        }
    }

    /// @notice Bytes per element of a dtype code (1 = i8, 2 = i16, 3 = i32).
    function widthOf(uint8 dtype) internal pure returns (uint256) {
        if (dtype == 1) return 1;
        if (dtype == 2) return 2;
        if (dtype == 3) return 4;
        revert UnknownDtype(dtype);
    }

    /// @notice The saturation range of a dtype code.
    function boundsOf(uint8 dtype) internal pure returns (int256 lo, int256 hi) {
        if (dtype == 1) return (-128, 127);
        if (dtype == 2) return (-32768, 32767);
        if (dtype == 3) return (-2147483648, 2147483647);
        revert UnknownDtype(dtype);
    }

    /// @notice The frac of `channel` (axis 0): one byte is a per-tensor frac.
    function fracOf(TensorType memory t, uint256 channel) internal pure returns (int256) {
        bytes memory fracs = t.fracs;
        return int256(int8(uint8(fracs.length == 1 ? fracs[0] : fracs[channel])));
    }

    function elementCount(uint32[] memory shape) internal pure returns (uint256 count) {
        count = 1;
        for (uint256 d = 0; d < shape.length; d++) count *= shape[d];
    }

    /// @notice Row-major strides of `shape`.
    function stridesOf(uint32[] memory shape) internal pure returns (uint256[] memory strides) {
        strides = new uint256[](shape.length);
        uint256 s = 1;
        for (uint256 d = shape.length; d > 0; d--) {
            strides[d - 1] = s;
            s *= shape[d - 1];
        }
    }

    /// @notice Offset in `attrs` of the values of attribute number `attribute` (attributes are
    /// flattened as a count followed by the values, in the op's declared order), and their count.
    function attr(int64[] memory attrs, uint256 attribute) internal pure returns (uint256 at, uint256 count) {
        for (uint256 k = 0; k <= attribute; k++) {
            if (at >= attrs.length) revert AttributeMissing(attribute);
            count = uint256(uint64(attrs[at]));
            if (k < attribute) at += 1 + count;
        }
        at += 1;
        if (at + count > attrs.length) revert AttributeMissing(attribute);
    }

    /// @notice Value `k` of attribute number `attribute`.
    function attrValue(int64[] memory attrs, uint256 attribute, uint256 k) internal pure returns (int256) {
        (uint256 at, uint256 count) = attr(attrs, attribute);
        if (k >= count) revert AttributeMissing(attribute);
        return attrs[at + k];
    }

    /// @notice requantize (docs/semantics.md §2) with `shift` = fromFrac - toFrac, for hot loops.
    function requantize(int256 x, int256 shift, int256 lo, int256 hi) internal pure returns (int256 y) {
        assembly ("memory-safe") {
            switch sgt(shift, 0)
            case 1 {
                // |x| < 2^52 in valid models, so beyond 200 bits the rounded quotient is 0.
                switch lt(shift, 200)
                case 1 { y := sar(shift, add(x, shl(sub(shift, 1), 1))) }
                default { y := 0 }
            }
            default { y := shl(sub(0, shift), x) }
            if slt(y, lo) { y := lo }
            if sgt(y, hi) { y := hi }
        }
    }
}
