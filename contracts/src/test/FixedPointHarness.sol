// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {FixedPoint} from "../FixedPoint.sol";

/// @notice Exposes the library to differential tests; never deployed outside tests.
contract FixedPointHarness {
    function floorDiv(int256 a, int256 b) external pure returns (int256) {
        return FixedPoint.floorDiv(a, b);
    }

    function divRound(int256 a, int256 b) external pure returns (int256) {
        return FixedPoint.divRound(a, b);
    }

    function shiftRound(int256 x, int256 s) external pure returns (int256) {
        return FixedPoint.shiftRound(x, s);
    }

    function requantize(int256 x, int256 fromFrac, int256 toFrac, int256 lo, int256 hi) external pure returns (int256) {
        return FixedPoint.requantize(x, fromFrac, toFrac, lo, hi);
    }

    function expNeg(int256 d, int256 frac) external pure returns (int256) {
        return FixedPoint.expNeg(d, frac);
    }
}
