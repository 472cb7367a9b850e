// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, Window} from "./StepTypes.sol";
import {FixedPoint} from "../FixedPoint.sol";
import {TileOperands} from "./TileOperands.sol";

/// @title PoolKernels: MaxPool, AveragePool and GlobalAveragePool tiles (NCHW).
/// @notice docs/semantics.md §3 "Pooling"; reference: libs/ir/src/ops/pool.ts. Only in-bounds
/// window positions are read: padding never wins a max and never adds to a sum.
library PoolKernels {
    using TileOperands for TileOperands.Operand;

    uint16 private constant MAX_POOL = 30;

    /// @notice MaxPool: max over the in-bounds positions. AveragePool: divRound(sum, count),
    /// count = in-bounds positions, or kh·kw with count_include_pad = 1. The loop is assembly:
    /// a tile holds up to 4096 outputs, so per-output bookkeeping must stay cheap.
    function windowed(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        // Frame words: H, W, kh, kw, ho, wo, sh, sw, top, left, x operand, isMax, countIncludesPad.
        uint256[13] memory frameWords;
        {
            uint32[] memory xShape = step.inputTypes[0].shape;
            int64[] memory attrs = step.attrs;
            frameWords[0] = xShape[2];
            frameWords[1] = xShape[3];
            // Declared order: kernel_shape, strides, pads (, count_include_pad for AveragePool).
            frameWords[2] = uint256(TileOperands.attrValue(attrs, 0, 0));
            frameWords[3] = uint256(TileOperands.attrValue(attrs, 0, 1));
            frameWords[4] = step.outputType.shape[2];
            frameWords[5] = step.outputType.shape[3];
            frameWords[6] = uint256(TileOperands.attrValue(attrs, 1, 0));
            frameWords[7] = uint256(TileOperands.attrValue(attrs, 1, 1));
            frameWords[8] = uint256(TileOperands.attrValue(attrs, 2, 0));
            frameWords[9] = uint256(TileOperands.attrValue(attrs, 2, 1));
            TileOperands.Operand memory x = TileOperands.operand(step.inputTypes, inputs, 0);
            uint256 operandAddress;
            assembly ("memory-safe") {
                operandAddress := x
            }
            frameWords[10] = operandAddress;
            frameWords[11] = step.op == MAX_POOL ? 1 : 0;
            if (step.op != MAX_POOL) frameWords[12] = TileOperands.attrValue(attrs, 3, 0) == 1 ? 1 : 0;
        }
        if (maxPoolI8Applies(step, frameWords)) {
            maxPoolI8(step, frameWords, start, end, dst);
            return;
        }
        // (plane, row, column) of the output element the loop is at.
        uint256[3] memory cursor = [start / (frameWords[5] * frameWords[4]), (start / frameWords[5]) % frameWords[4], start % frameWords[5]];
        assembly ("memory-safe") {
            function fail(input, element) {
                mstore(0, shl(224, 0x6f2b6e93))
                mstore(4, input)
                mstore(36, element)
                revert(0, 68)
            }
            function span(operand, first, last) -> ptr {
                let width := mload(add(operand, 128))
                let firstByte := mload(add(operand, 64))
                if lt(mul(first, width), firstByte) { fail(mload(operand), first) }
                if gt(mul(add(last, 1), width), add(firstByte, mload(add(operand, 96)))) {
                    fail(mload(operand), last)
                }
                ptr := sub(add(mload(add(operand, 32)), mul(first, width)), firstByte)
            }
            function load(p, width) -> v {
                let m := mload(p)
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
            function taps(start_, size, kernel) -> first, count {
                if slt(start_, 0) { first := sub(0, start_) }
                let room := sub(sub(size, 1), start_)
                if slt(room, 0) { leave }
                let last := room
                if gt(last, sub(kernel, 1)) { last := sub(kernel, 1) }
                if lt(last, first) { leave }
                count := add(sub(last, first), 1)
            }
            // floor((2a + b) / 2b), b > 0: nearest, ties toward +infinity.
            function divRound(a, b) -> q {
                let n := add(add(a, a), b)
                let d := add(b, b)
                q := sdiv(n, d)
                if and(slt(n, 0), iszero(iszero(smod(n, d)))) { q := sub(q, 1) }
            }
            function blockMax(p, rows, cols, rowBytes, width, best) -> m {
                m := best
                for { let u := 0 } lt(u, rows) { u := add(u, 1) } {
                    for { let v := 0 } lt(v, cols) { v := add(v, 1) } {
                        let a := load(add(p, mul(v, width)), width)
                        if sgt(a, m) { m := a }
                    }
                    p := add(p, rowBytes)
                }
            }
            function blockMax8(p, rows, cols, rowBytes, best) -> m {
                m := best
                for { let u := 0 } lt(u, rows) { u := add(u, 1) } {
                    switch cols
                    case 2 {
                        let a := sar(248, mload(p))
                        let b := sar(248, mload(add(p, 1)))
                        if sgt(b, a) { a := b }
                        if sgt(a, m) { m := a }
                    }
                    default {
                        for { let v := 0 } lt(v, cols) { v := add(v, 1) } {
                            let a := sar(248, mload(add(p, v)))
                            if sgt(a, m) { m := a }
                        }
                    }
                    p := add(p, rowBytes)
                }
            }
            function blockSum(p, rows, cols, rowBytes, width) -> sum {
                for { let u := 0 } lt(u, rows) { u := add(u, 1) } {
                    for { let v := 0 } lt(v, cols) { v := add(v, 1) } {
                        sum := add(sum, load(add(p, mul(v, width)), width))
                    }
                    p := add(p, rowBytes)
                }
            }
            function output(f, at) -> value {
                let width := mload(add(mload(add(f, 320)), 128))
                let isMax := mload(add(f, 352))
                // The dtype's minimum: what the reference's max starts from.
                if isMax { value := sub(0, shl(sub(mul(8, width), 1), 1)) }
                let top := sub(mul(mload(add(at, 32)), mload(add(f, 192))), mload(add(f, 256)))
                let left := sub(mul(mload(add(at, 64)), mload(add(f, 224))), mload(add(f, 288)))
                let uLo, rows := taps(top, mload(f), mload(add(f, 64)))
                if iszero(rows) { leave }
                let vLo, cols := taps(left, mload(add(f, 32)), mload(add(f, 96)))
                if iszero(cols) { leave }
                let first := add(mul(add(mul(mload(at), mload(f)), add(top, uLo)), mload(add(f, 32))), add(left, vLo))
                let p := span(mload(add(f, 320)), first, add(first, add(mul(sub(rows, 1), mload(add(f, 32))), sub(cols, 1))))
                let rowBytes := mul(mload(add(f, 32)), width)
                if isMax {
                    switch width
                    case 1 { value := blockMax8(p, rows, cols, rowBytes, value) }
                    default { value := blockMax(p, rows, cols, rowBytes, width, value) }
                    leave
                }
                let count := mul(rows, cols)
                if mload(add(f, 384)) { count := mul(mload(add(f, 64)), mload(add(f, 96))) }
                value := divRound(blockSum(p, rows, cols, rowBytes, width), count)
            }
            function store(p, width, v) {
                mstore8(p, v)
                if gt(width, 1) {
                    mstore8(add(p, 1), shr(8, v))
                    if gt(width, 2) {
                        mstore8(add(p, 2), shr(16, v))
                        mstore8(add(p, 3), shr(24, v))
                    }
                }
            }

            let width := mload(add(mload(add(frameWords, 320)), 128))
            for { let idx := start } lt(idx, end) { idx := add(idx, 1) } {
                store(dst, width, output(frameWords, cursor))
                dst := add(dst, width)
                let j := add(mload(add(cursor, 64)), 1)
                mstore(add(cursor, 64), j)
                if eq(j, mload(add(frameWords, 160))) {
                    mstore(add(cursor, 64), 0)
                    let i := add(mload(add(cursor, 32)), 1)
                    mstore(add(cursor, 32), i)
                    if eq(i, mload(add(frameWords, 128))) {
                        mstore(add(cursor, 32), 0)
                        mstore(cursor, add(mload(cursor), 1))
                    }
                }
            }
        }
    }

    /// @notice Whether the i8 MaxPool fast path applies: i8 input, every pad smaller than the
    /// kernel and the output shape the window implies (the IR's own constraints). Then every
    /// output has an in-bounds tap in each direction.
    function maxPoolI8Applies(Step memory step, uint256[13] memory f) private pure returns (bool) {
        if (f[11] == 0 || step.inputTypes[0].dtype != 1) return false;
        uint256 bottom = uint256(TileOperands.attrValue(step.attrs, 2, 2));
        uint256 right = uint256(TileOperands.attrValue(step.attrs, 2, 3));
        (uint256 kh, uint256 kw, uint256 sh, uint256 sw) = (f[2], f[3], f[6], f[7]);
        if (kh == 0 || kw == 0 || sh == 0 || sw == 0) return false;
        if (f[8] >= kh || bottom >= kh || f[9] >= kw || right >= kw) return false;
        if (f[0] + f[8] + bottom < kh || f[1] + f[9] + right < kw) return false;
        return f[4] == (f[0] + f[8] + bottom - kh) / sh + 1 && f[5] == (f[1] + f[9] + right - kw) / sw + 1;
    }

    /// @notice MaxPool over i8 (see `maxPoolI8Applies`), by runs of outputs along one output row.
    /// Per run, the in-bounds input columns it reads are copied, per in-bounds kernel row, into a
    /// buffer laid out as the padded input row and prefilled with -128 (the dtype minimum, where
    /// the reference's max starts, so padding never wins), and folded into a row-wise max 32
    /// bytes at a time; then each output is the max of its kernel columns in that buffer.
    /// Each copied span is checked against the window once.
    function maxPoolI8(Step memory step, uint256[13] memory frameWords, uint256 start, uint256 end, uint256 dst) private pure {
        // Run words: 0 c0, the signed input column of buffer byte 0; 1 cFirst, the first
        // in-bounds column read; 2 columns read; 3 buffer words; 4..6 cursor (plane, row, column);
        // 7 whether any pad is nonzero.
        uint256[8] memory runWords;
        for (uint256 k = 0; k < 4; k++) {
            if (TileOperands.attrValue(step.attrs, 2, k) != 0) runWords[7] = 1;
        }
        assembly ("memory-safe") {
            function fail(input, element) {
                mstore(0, shl(224, 0x6f2b6e93))
                mstore(4, input)
                mstore(36, element)
                revert(0, 68)
            }
            function span(operand, first, last) -> ptr {
                let firstByte := mload(add(operand, 64))
                if lt(first, firstByte) { fail(mload(operand), first) }
                if gt(add(last, 1), add(firstByte, mload(add(operand, 96)))) { fail(mload(operand), last) }
                ptr := sub(add(mload(add(operand, 32)), first), firstByte)
            }
            // Bytewise signed max of two words: unsigned compare of (x + 128) in 16-bit lanes.
            function smax(a, b) -> r {
                let bias := 0x8080808080808080808080808080808080808080808080808080808080808080
                let lanes := 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff
                let nines := 0x0100010001000100010001000100010001000100010001000100010001000100
                a := xor(a, bias)
                b := xor(b, bias)
                let ae := and(a, lanes)
                let be := and(b, lanes)
                // Bit 8 of a lane of (ae + 256 − be) is set where ae >= be.
                let pick := mul(shr(8, and(sub(or(ae, nines), be), nines)), 0xff)
                r := xor(be, and(xor(ae, be), pick))
                ae := and(shr(8, a), lanes)
                be := and(shr(8, b), lanes)
                pick := mul(shr(8, and(sub(or(ae, nines), be), nines)), 0xff)
                r := xor(or(r, shl(8, xor(be, and(xor(ae, be), pick)))), bias)
            }
            // The run's columns and its two buffers, prefilled with -128; returns the row-max one.
            function prepare(f, g, j0, L) -> buf {
                let sw := mload(add(f, 224))
                let kw := mload(add(f, 96))
                let c0 := sub(mul(j0, sw), mload(add(f, 288)))
                mstore(g, c0)
                let cFirst := c0
                if slt(c0, 0) { cFirst := 0 }
                mstore(add(g, 32), cFirst)
                let cLast := add(add(c0, mul(sub(L, 1), sw)), sub(kw, 1))
                if sgt(cLast, sub(mload(add(f, 32)), 1)) { cLast := sub(mload(add(f, 32)), 1) }
                mstore(add(g, 64), add(sub(cLast, cFirst), 1))
                let words := shr(5, add(add(mul(sub(L, 1), sw), kw), 31))
                mstore(add(g, 96), words)
                buf := add(mload(0x40), 64)
                // The row-max buffer, then a buffer for each further row: both all -128.
                let fillEnd := add(buf, shl(6, words))
                for { let p := buf } lt(p, fillEnd) { p := add(p, 32) } {
                    mstore(p, 0x8080808080808080808080808080808080808080808080808080808080808080)
                }
            }
            // Row-wise max over the in-bounds kernel rows of output row i, into `buf`.
            function rowMax(f, g, buf) {
                let h := mload(f)
                let w := mload(add(f, 32))
                let r0 := sub(mul(mload(add(g, 160)), mload(add(f, 192))), mload(add(f, 256)))
                let uLo := 0
                if slt(r0, 0) { uLo := sub(0, r0) }
                let uEnd := mload(add(f, 64))
                if sgt(add(r0, uEnd), h) { uEnd := sub(h, r0) }
                let count := mload(add(g, 64))
                let first := add(mul(add(mul(mload(add(g, 128)), h), add(r0, uLo)), w), mload(add(g, 32)))
                let at := sub(mload(add(g, 32)), mload(g))
                mcopy(add(buf, at), span(mload(add(f, 320)), first, add(first, sub(count, 1))), count)
                let words := shl(5, mload(add(g, 96)))
                let other := add(buf, words)
                for { let u := add(uLo, 1) } lt(u, uEnd) { u := add(u, 1) } {
                    first := add(first, w)
                    mcopy(add(other, at), span(mload(add(f, 320)), first, add(first, sub(count, 1))), count)
                    for { let p := 0 } lt(p, words) { p := add(p, 32) } {
                        mstore(add(buf, p), smax(mload(add(buf, p)), mload(add(other, p))))
                    }
                }
            }
            // Stores the max of each byte pair of `m` (up to sixteen outputs) at `next`: lanes of
            // 16 bits compared like `smax`, compacted to bytes; bytes past the n-th stay as they are.
            function pairs(m, next, n) {
                let bias := 0x8080808080808080808080808080808080808080808080808080808080808080
                let lanes := 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff
                let nines := 0x0100010001000100010001000100010001000100010001000100010001000100
                let a := xor(m, bias)
                let hiB := and(shr(8, a), lanes)
                let loB := and(a, lanes)
                let x := xor(loB, and(xor(hiB, loB), mul(shr(8, and(sub(or(hiB, nines), loB), nines)), 0xff)))
                x := and(or(x, shr(8, x)), 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff)
                x := and(or(x, shr(16, x)), 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff)
                x := and(or(x, shr(32, x)), 0x0000000000000000ffffffffffffffff0000000000000000ffffffffffffffff)
                x := and(or(x, shr(64, x)), 0xffffffffffffffffffffffffffffffff)
                x := xor(shl(128, x), 0x8080808080808080808080808080808000000000000000000000000000000000)
                let keep := shr(shl(3, n), not(0))
                mstore(next, or(and(x, not(keep)), and(mload(next), keep)))
            }
            // Column pass: output k = max of buf[k·sw .. k·sw + kw − 1].
            function columnMax(f, buf, L, next) {
                let sw := mload(add(f, 224))
                let kw := mload(add(f, 96))
                for { let end_ := add(next, L) } lt(next, end_) { next := add(next, 1) } {
                    let m := sar(248, mload(buf))
                    for { let v := 1 } lt(v, kw) { v := add(v, 1) } {
                        let a := sar(248, mload(add(buf, v)))
                        if sgt(a, m) { m := a }
                    }
                    mstore8(next, m)
                    buf := add(buf, sw)
                }
            }
            // Unpadded: the L outputs from the one whose first tap is at address `p`, read in place.
            function unpaddedRow(f, p, L, next) {
                let w := mload(add(f, 32))
                let kh := mload(add(f, 64))
                if and(eq(mload(add(f, 96)), 2), eq(mload(add(f, 224)), 2)) {
                    for { let end_ := add(next, L) } lt(next, end_) { p := add(p, 32) } {
                        let m := mload(p)
                        for { let u := 1 } lt(u, kh) { u := add(u, 1) } { m := smax(m, mload(add(p, mul(u, w)))) }
                        let n := sub(end_, next)
                        if gt(n, 16) { n := 16 }
                        pairs(m, next, n)
                        next := add(next, n)
                    }
                    leave
                }
                let buf := add(mload(0x40), 64)
                let bytes := add(mul(sub(L, 1), mload(add(f, 224))), mload(add(f, 96)))
                for { let q := 0 } lt(q, bytes) { q := add(q, 32) } {
                    let m := mload(add(p, q))
                    for { let u := 1 } lt(u, kh) { u := add(u, 1) } { m := smax(m, mload(add(add(p, q), mul(u, w)))) }
                    mstore(add(buf, q), m)
                }
                columnMax(f, buf, L, next)
            }
            // Without padding every output reads its whole window, so a tile reads from its first
            // output's first tap to its last output's last tap: one check covers the tile.
            // Element index of the first tap of output `idx` (no padding).
            function firstTap(f, idx) -> e {
                let wo := mload(add(f, 160))
                let ho := mload(add(f, 128))
                let row := add(mul(div(div(idx, wo), ho), mload(f)), mul(mod(div(idx, wo), ho), mload(add(f, 192))))
                e := add(mul(row, mload(add(f, 32))), mul(mod(idx, wo), mload(add(f, 224))))
            }
            // Checks the tile's reads and sets the cursor; returns the address of element 0.
            function unpaddedBase(f, g, from, to) -> base {
                let first := firstTap(f, from)
                let last := add(
                    firstTap(f, sub(to, 1)),
                    add(mul(sub(mload(add(f, 64)), 1), mload(add(f, 32))), sub(mload(add(f, 96)), 1))
                )
                base := sub(span(mload(add(f, 320)), first, last), first)
                let wo := mload(add(f, 160))
                let ho := mload(add(f, 128))
                mstore(add(g, 128), div(div(from, wo), ho))
                mstore(add(g, 160), mod(div(from, wo), ho))
                mstore(add(g, 192), mod(from, wo))
            }
            function unpadded(f, g, from, to, out) {
                let base := unpaddedBase(f, g, from, to)
                for { let idx := from } lt(idx, to) {} {
                    let j := mload(add(g, 192))
                    let L := sub(mload(add(f, 160)), j)
                    if gt(L, sub(to, idx)) { L := sub(to, idx) }
                    let row := add(mul(mload(add(g, 128)), mload(f)), mul(mload(add(g, 160)), mload(add(f, 192))))
                    unpaddedRow(f, add(base, add(mul(row, mload(add(f, 32))), mul(j, mload(add(f, 224))))), L, out)
                    out := add(out, L)
                    idx := add(idx, L)
                    mstore(add(g, 192), 0)
                    let i := add(mload(add(g, 160)), 1)
                    if eq(i, mload(add(f, 128))) {
                        i := 0
                        mstore(add(g, 128), add(mload(add(g, 128)), 1))
                    }
                    mstore(add(g, 160), i)
                }
            }

            // Padded: runs along output rows through a prefilled buffer.
            function padded(f, g, from, to, out) {
                {
                    let wo := mload(add(f, 160))
                    let ho := mload(add(f, 128))
                    mstore(add(g, 192), mod(from, wo))
                    mstore(add(g, 160), mod(div(from, wo), ho))
                    mstore(add(g, 128), div(div(from, wo), ho))
                }
                for { let idx := from } lt(idx, to) {} {
                    let L := sub(mload(add(f, 160)), mload(add(g, 192)))
                    if gt(L, sub(to, idx)) { L := sub(to, idx) }
                    let buf := prepare(f, g, mload(add(g, 192)), L)
                    rowMax(f, g, buf)
                    columnMax(f, buf, L, out)
                    out := add(out, L)
                    idx := add(idx, L)
                    mstore(add(g, 192), 0)
                    let i := add(mload(add(g, 160)), 1)
                    if eq(i, mload(add(f, 128))) {
                        i := 0
                        mstore(add(g, 128), add(mload(add(g, 128)), 1))
                    }
                    mstore(add(g, 160), i)
                }
            }

            switch mload(add(runWords, 224))
            case 0 { unpadded(frameWords, runWords, start, end, dst) }
            default { padded(frameWords, runWords, start, end, dst) }
        }
    }

    /// @notice divRound(Σ_{h,w} x, H·W) per (n, c) plane.
    function globalAverage(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        uint32[] memory shape = step.inputTypes[0].shape;
        planeMeans(step, inputs, start, end, dst, uint256(shape[2]) * shape[3]);
    }

    /// @notice Output p = divRound(Σ of the `area` consecutive input elements from p · area, area):
    /// GlobalAveragePool (planes of H · W) and ReduceMean (rows of the last axis).
    function planeMeans(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst, uint256 area)
        internal
        pure
    {
        TileOperands.Operand memory x = TileOperands.operand(step.inputTypes, inputs, 0);
        uint256 width = x.width;
        uint256 p = x.span(start * area, end * area - 1);
        for (uint256 plane = start; plane < end; plane++) {
            TileOperands.write(dst, width, FixedPoint.divRound(planeSum(p, area, width), int256(area)));
            p += area * width;
            dst += width;
        }
    }

    /// @notice Sum of `count` consecutive little-endian elements of `width` bytes from `p` (a plane
    /// of a global average can hold thousands of elements). i8 and i16 are summed a word at a time
    /// (SWAR): each byte offset to unsigned (x + 2^7 or the high byte + 2^7) and added into 16-bit
    /// lanes, the lanes folded every 128 words (each lane gains at most 255 a word, 128 · 255 < 2^16), the offset
    /// taken off at the end; the tail of under 32 bytes one element at a time.
    function planeSum(uint256 p, uint256 count, uint256 width) private pure returns (int256 sum) {
        assembly ("memory-safe") {
            // Sum of the sixteen 16-bit lanes of v: pairs into 32-bit lanes, then one MUL puts
            // the sum of all eight in the top lane (each lower coefficient stays under 2^32).
            function fold(v) -> total {
                let pairs := add(
                    and(v, 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff),
                    and(shr(16, v), 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff)
                )
                total := shr(224, mul(pairs, 0x0000000100000001000000010000000100000001000000010000000100000001))
            }
            let end := add(p, mul(count, width))
            if lt(width, 3) {
                let flip := 0x8080808080808080808080808080808080808080808080808080808080808080
                if eq(width, 2) { flip := 0x0080008000800080008000800080008000800080008000800080008000800080 }
                let bytes := 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff
                let words := div(mul(count, width), 32)
                let oddWeight := 1
                if eq(width, 2) { oddWeight := 256 }
                // Byte 2i (the low byte of an i16) and byte 2i + 1 of every word, each in its lane.
                let even := 0
                let odd := 0
                for { let w := 0 } lt(w, words) { w := add(w, 1) } {
                    let u := xor(mload(p), flip)
                    even := add(even, and(shr(8, u), bytes))
                    odd := add(odd, and(u, bytes))
                    p := add(p, 32)
                    if iszero(and(add(w, 1), 127)) {
                        sum := add(sum, add(fold(even), mul(fold(odd), oddWeight)))
                        even := 0
                        odd := 0
                    }
                }
                // width 1: both lanes hold elements (x + 128); width 2: low bytes + 256 · (high + 128).
                sum := add(sum, add(fold(even), mul(fold(odd), oddWeight)))
                // Every word added 32 · 2^7 (i8) or 16 · 2^15 (i16).
                switch width
                case 1 { sum := sub(sum, shl(12, words)) }
                default { sum := sub(sum, shl(19, words)) }
            }
            let top := sub(width, 1)
            for {} lt(p, end) { p := add(p, width) } {
                let m := mload(p)
                let v := 0
                for { let k := width } k {} {
                    k := sub(k, 1)
                    v := or(shl(8, v), byte(k, m))
                }
                sum := add(sum, signextend(top, v))
            }
        }
    }
}
