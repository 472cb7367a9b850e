// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title FixedPoint: the integer primitives of docs/semantics.md §2, bit for bit.
/// @notice The one-step verifier re-executes tiles with these; differential tests compare
/// them with the TypeScript reference on random inputs.
library FixedPoint {
    int256 internal constant EXP_ONE = 65536;
    int256 internal constant LOG2E_Q16 = 94548;

    error NonPositiveDivisor(int256 divisor);
    error PositiveExpArgument(int256 d);

    function saturate(int256 x, int256 lo, int256 hi) internal pure returns (int256) {
        return x < lo ? lo : x > hi ? hi : x;
    }

    /// @dev floor(a / b) for b > 0 (Solidity's `/` truncates toward zero).
    function floorDiv(int256 a, int256 b) internal pure returns (int256 q) {
        if (b <= 0) revert NonPositiveDivisor(b);
        q = a / b;
        if (a % b != 0 && a < 0) q -= 1;
    }

    /// @dev Nearest, ties toward +infinity: floor((2a + b) / (2b)).
    function divRound(int256 a, int256 b) internal pure returns (int256) {
        return floorDiv(2 * a + b, 2 * b);
    }

    /// @dev s > 0: floor((x + 2^(s-1)) / 2^s), an arithmetic shift; s <= 0: x * 2^-s.
    function shiftRound(int256 x, int256 s) internal pure returns (int256) {
        if (s <= 0) return x * int256(1 << uint256(-s));
        if (s >= 200) return 0; // |x| < 2^52 in valid models: the rounded quotient is 0
        return (x + int256(1 << uint256(s - 1))) >> uint256(s);
    }

    function requantize(int256 x, int256 fromFrac, int256 toFrac, int256 lo, int256 hi) internal pure returns (int256) {
        return saturate(shiftRound(x, fromFrac - toFrac), lo, hi);
    }

    /// @dev ≈ 2^16 · exp(d · 2^-frac) for d <= 0 (docs/semantics.md §2.1).
    function expNeg(int256 d, int256 frac) internal pure returns (int256) {
        if (d > 0) revert PositiveExpArgument(d);
        if (d == 0) return EXP_ONE;
        int256 y = -d * LOG2E_Q16;
        int256 f = frac + 16;
        int256 n;
        int256 r16;
        if (f >= 0) {
            n = y >> uint256(f);
            int256 rem = y - (n << uint256(f));
            r16 = f >= 16 ? rem >> uint256(f - 16) : rem << uint256(16 - f);
        } else {
            n = y << uint256(-f);
            r16 = 0;
        }
        if (n > 30) return 0;
        int256 p = 453;
        p = shiftRound(p * r16, 16) - 3498;
        p = shiftRound(p * r16, 16) + 15699;
        p = shiftRound(p * r16, 16) - 45422;
        p = shiftRound(p * r16, 16) + 65536;
        return shiftRound(p, n);
    }
}
