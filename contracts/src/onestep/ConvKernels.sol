// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Step, Window} from "./StepTypes.sol";
import {TileOperands} from "./TileOperands.sol";

/// @title ConvKernels: Conv tiles (2-D convolution, NCHW, zero padding, groups, dilations).
/// @notice docs/semantics.md §3 "Multiply-accumulate"; reference: libs/ir/src/ops/conv.ts.
///     acc[n,o,i,j] = bias[o] + Σ_{c,u,v} x[n, g·C/group + c, i·sh + u·dh − top, j·sw + v·dw − left] · w[o,c,u,v]
///     y = requantize(acc, fx + fw[o], fo, do)
/// over the in-bounds taps only. A tile has up to 4096 multiply-accumulates spread over as many
/// as 4096 outputs, so the whole loop is assembly: per output it finds the in-bounds block of
/// taps, checks that block's first and last element against the windows (a window is
/// contiguous, so that covers every tap) and accumulates it straight from the window bytes.
library ConvKernels {
    using TileOperands for TileOperands.Operand;

    // Word offsets in the frame handed to the assembly (see `frame`).
    uint256 private constant CHANNELS = 0;
    uint256 private constant HEIGHT = 1;
    uint256 private constant WIDTH = 2;
    uint256 private constant OUT_CHANNELS = 3;
    uint256 private constant GROUP_CHANNELS = 4;
    uint256 private constant KERNEL_H = 5;
    uint256 private constant KERNEL_W = 6;
    uint256 private constant OUT_H = 7;
    uint256 private constant OUT_W = 8;
    uint256 private constant STRIDE_H = 9;
    uint256 private constant STRIDE_W = 10;
    uint256 private constant PAD_TOP = 11;
    uint256 private constant PAD_LEFT = 12;
    uint256 private constant DILATION_H = 13;
    uint256 private constant DILATION_W = 14;
    uint256 private constant OUT_PER_GROUP = 15;
    uint256 private constant X_OPERAND = 16;
    uint256 private constant W_OPERAND = 17;
    uint256 private constant BIAS_OPERAND = 18;
    uint256 private constant W_FRACS = 19;
    uint256 private constant BASE_SHIFT = 20;
    uint256 private constant LO = 21;
    uint256 private constant HI = 22;
    uint256 private constant OUT_WIDTH = 23;
    uint256 private constant FRAME_WORDS = 24;

    function conv(Step memory step, Window[] memory inputs, uint256 start, uint256 end, uint256 dst)
        internal
        pure
    {
        uint256[FRAME_WORDS] memory frameWords = frame(step, inputs);
        if (denseI8(step, frameWords)) {
            convI8(frameWords, start, end, dst);
            return;
        }
        // The loop's state: (batch, output channel, row, column) of the output it is at, that
        // channel's requantization shift and bias, then the current run of outputs: its length
        // and its in-bounds taps (first column tap, columns, first row tap, rows).
        uint256[11] memory cursor;
        cursor[3] = start % frameWords[OUT_W];
        cursor[2] = (start / frameWords[OUT_W]) % frameWords[OUT_H];
        cursor[1] = (start / (frameWords[OUT_W] * frameWords[OUT_H])) % frameWords[OUT_CHANNELS];
        cursor[0] = start / (frameWords[OUT_W] * frameWords[OUT_H] * frameWords[OUT_CHANNELS]);
        assembly ("memory-safe") {
            // TileOperands.InputNotOpened(input, element)
            function fail(input, element) {
                mstore(0, shl(224, 0x6f2b6e93))
                mstore(4, input)
                mstore(36, element)
                revert(0, 68)
            }
            // Address of element `first` of an Operand after checking first..last are opened.
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
            // In-bounds taps of a window starting at signed `start_` over `size` positions.
            function taps(start_, size, kernel, dilation) -> first, count {
                if slt(start_, 0) { first := div(add(sub(0, start_), sub(dilation, 1)), dilation) }
                let room := sub(sub(size, 1), start_)
                if slt(room, 0) { leave }
                let last := div(room, dilation)
                if gt(last, sub(kernel, 1)) { last := sub(kernel, 1) }
                if lt(last, first) { leave }
                count := add(sub(last, first), 1)
            }
            function requantize(x, shift, lo, hi) -> y {
                switch sgt(shift, 0)
                case 1 {
                    switch lt(shift, 200)
                    case 1 { y := sar(shift, add(x, shl(sub(shift, 1), 1))) }
                    default { y := 0 }
                }
                default { y := shl(sub(0, shift), x) }
                if slt(y, lo) { y := lo }
                if sgt(y, hi) { y := hi }
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
            // Requantization shift and bias of output channel `oc`.
            function channel(f, oc) -> shift, bias {
                let fracs := mload(add(f, 608))
                let at := 0
                if gt(mload(fracs), 1) { at := oc }
                shift := add(mload(add(f, 640)), signextend(0, byte(0, mload(add(add(fracs, 32), at)))))
                let biasOperand := mload(add(f, 576))
                if biasOperand { bias := load(span(biasOperand, oc, oc), mload(add(biasOperand, 128))) }
            }
            // How many outputs from `at` along its row have every column tap in bounds (<= limit).
            function interiorRun(f, at, limit) -> n {
                let left := sub(mul(mload(add(at, 96)), mload(add(f, 320))), mload(add(f, 384)))
                if slt(left, 0) { leave }
                // The last in-bounds start of a field: W − 1 − (kw − 1)·dw.
                let room := sub(sub(mload(add(f, 64)), 1), mul(sub(mload(add(f, 192)), 1), mload(add(f, 448))))
                if slt(room, left) { leave }
                let jMax := div(add(room, mload(add(f, 384))), mload(add(f, 320)))
                if gt(jMax, sub(mload(add(f, 256)), 1)) { jMax := sub(mload(add(f, 256)), 1) }
                n := add(sub(jMax, mload(add(at, 96))), 1)
                if gt(n, limit) { n := limit }
            }
            // Adds one kernel row of one input channel to each of the run's n accumulators: the
            // field slides by the stride from one output to the next.
            function rowRun(f, at, xp, wp, accs) {
                let end_ := add(accs, shl(5, mload(add(at, 192))))
                let xWidth := mload(add(mload(add(f, 512)), 128))
                let stride := mul(mload(add(f, 320)), xWidth)
                let cols := mload(add(at, 256))
                if and(and(eq(xWidth, 1), eq(mload(add(mload(add(f, 544)), 128)), 1)), and(eq(cols, 3), eq(mload(add(f, 448)), 1))) {
                    // i8 · i8, three contiguous taps: the weights stay on the stack.
                    let w0 := sar(248, mload(wp))
                    let w1 := sar(248, mload(add(wp, 1)))
                    let w2 := sar(248, mload(add(wp, 2)))
                    for { let slot := accs } lt(slot, end_) { slot := add(slot, 32) } {
                        mstore(
                            slot,
                            add(
                                mload(slot),
                                add(
                                    add(mul(sar(248, mload(xp)), w0), mul(sar(248, mload(add(xp, 1))), w1)),
                                    mul(sar(248, mload(add(xp, 2))), w2)
                                )
                            )
                        )
                        xp := add(xp, stride)
                    }
                    leave
                }
                let wWidth := mload(add(mload(add(f, 544)), 128))
                let xColumn := mul(mload(add(f, 448)), xWidth)
                for { let slot := accs } lt(slot, end_) { slot := add(slot, 32) } {
                    let acc := mload(slot)
                    for { let v := 0 } lt(v, cols) { v := add(v, 1) } {
                        acc := add(acc, mul(load(add(xp, mul(v, xColumn)), xWidth), load(add(wp, mul(v, wWidth)), wWidth)))
                    }
                    mstore(slot, acc)
                    xp := add(xp, stride)
                }
            }
            // Σ x·w over one output's in-bounds taps: every channel of its group, kernel rows
            // uLo.., columns vLo.. (xp and wp address the first tap). i16 · i16 with one to three
            // contiguous taps per kernel row (the recognizer's 1×1 and 1×3 convolutions, the
            // detector's 3×3 ones) reads both operands straight from the window words.
            function dot(f, at, xp, wp, xWidth, wWidth) -> acc {
                if and(eq(xWidth, 2), eq(wWidth, 2)) {
                    let cols := mload(add(at, 256))
                    if and(eq(cols, 1), eq(mload(add(at, 320)), 1)) {
                        acc := dot16Taps1(xp, wp, mload(add(f, 128)), mul(mul(mload(add(f, 32)), mload(add(f, 64))), 2), mul(mul(mload(add(f, 160)), mload(add(f, 192))), 2))
                        leave
                    }
                    if and(and(gt(cols, 1), lt(cols, 4)), eq(mload(add(f, 448)), 1)) {
                        acc := dot16Rows(f, at, xp, wp, cols)
                        leave
                    }
                }
                acc := dotAny(f, at, xp, wp, xWidth, wWidth)
            }
            // A little-endian i16 at byte 2k of a word is or(shl(8, sar(248, shl(16k + 8, m))), byte(2k, m)):
            // the signed high byte shifted up, the low byte below it.
            function dot16Taps1(xp, wp, channels, xChan, wChan) -> acc {
                for { let wEnd := add(wp, mul(channels, wChan)) } lt(wp, wEnd) { wp := add(wp, wChan) } {
                    let mx := mload(xp)
                    let mw := mload(wp)
                    acc := add(acc, mul(or(shl(8, sar(248, shl(8, mx))), byte(0, mx)), or(shl(8, sar(248, shl(8, mw))), byte(0, mw))))
                    xp := add(xp, xChan)
                }
            }
            // Two or three contiguous taps per kernel row (a 1×3 or 3×3 kernel, clipped at a border
            // or not), one MUL per (channel, kernel row): the three i16 of each word are
            // byte-swapped into big-endian 16-bit lanes, offset to unsigned (xor 0x8000), copied
            // into 64-bit lanes by one MUL, masked and the offset taken off, so that
            // X = x0·2^128 + x1·2^64 + x2 and W = w0·2^32 + w1·2^96 + w2·2^160 (signed, mod 2^256);
            // for two taps the mask drops w2. x_j·w_i lands at bit 160 + 64(i − j), so the
            // coefficient of 2^160 in Σ X·W is the dot. Below it the cross terms sum to under
            // 2^(129 + 31) in magnitude for fewer than 2^31 (channel, row) pairs, above it they
            // start at 2^224, and |dot| < 2^63: adding 2^159 and sign-extending bits 160..223
            // recovers it.
            function dot16Rows(f, at, xp, wp, cols) -> acc {
                let wMask := 0xffff000000000000ffff000000000000ffff00000000
                let wOffset := 0x80000000000000008000000000000000800000000000
                if eq(cols, 2) {
                    wMask := 0xffff000000000000ffff00000000
                    wOffset := 0x8000000000000000800000000000
                }
                for { let u := mload(add(at, 320)) } u { u := sub(u, 1) } {
                    acc := add(acc, dot16Lanes(f, xp, wp, wMask, wOffset))
                    // Next kernel row: dh input rows down, kw weights on.
                    xp := add(xp, mul(mul(mload(add(f, 416)), mload(add(f, 64))), 2))
                    wp := add(wp, mul(mload(add(f, 192)), 2))
                }
                acc := signextend(7, shr(160, add(acc, shl(159, 1))))
            }
            // Σ X·W (mod 2^256, see dot16Rows) over the channels of one kernel row.
            function dot16Lanes(f, xp, wp, wMask, wOffset) -> acc {
                let xChan := mul(mul(mload(add(f, 32)), mload(add(f, 64))), 2)
                let wChan := mul(mul(mload(add(f, 160)), mload(add(f, 192))), 2)
                for { let wEnd := add(wp, mul(mload(add(f, 128)), wChan)) } lt(wp, wEnd) { wp := add(wp, wChan) } {
                    let y := shr(208, mload(xp))
                    y := xor(or(and(shr(8, y), 0x00ff00ff00ff), and(shl(8, y), 0xff00ff00ff00)), 0x800080008000)
                    let x := sub(
                        and(mul(y, 0x1000000000001000000000001), 0xffff000000000000ffff000000000000ffff),
                        0x800000000000000080000000000000008000
                    )
                    y := shr(208, mload(wp))
                    y := xor(or(and(shr(8, y), 0x00ff00ff00ff), and(shl(8, y), 0xff00ff00ff00)), 0x800080008000)
                    acc := add(acc, mul(x, sub(and(mul(y, 0x10000000000000000000100000000000000000001), wMask), wOffset)))
                    xp := add(xp, xChan)
                }
            }
            // Any widths, kernel rows, columns and dilations.
            function dotAny(f, at, xp, wp, xWidth, wWidth) -> acc {
                let xCol := mul(mload(add(f, 448)), xWidth)
                let cols := mload(add(at, 256))
                for { let c := mload(add(f, 128)) } c { c := sub(c, 1) } {
                    let xu := xp
                    let wu := wp
                    for { let u := mload(add(at, 320)) } u { u := sub(u, 1) } {
                        for { let v := 0 } lt(v, cols) { v := add(v, 1) } {
                            acc := add(acc, mul(load(add(xu, mul(v, xCol)), xWidth), load(add(wu, mul(v, wWidth)), wWidth)))
                        }
                        xu := add(xu, mul(mul(mload(add(f, 416)), mload(add(f, 64))), xWidth))
                        wu := add(wu, mul(mload(add(f, 192)), wWidth))
                    }
                    xp := add(xp, mul(mul(mload(add(f, 32)), mload(add(f, 64))), xWidth))
                    wp := add(wp, mul(mul(mload(add(f, 160)), mload(add(f, 192))), wWidth))
                }
            }
            // Checks the run's whole receptive field against both windows once, then adds every
            // in-bounds tap to the run's accumulators, kernel row by kernel row.
            function accumulate(f, at, accs) {
                let px := 0
                {
                    let plane := add(mul(mload(at), mload(f)), mul(div(mload(add(at, 32)), mload(add(f, 480))), mload(add(f, 128))))
                    let y := add(sub(mul(mload(add(at, 64)), mload(add(f, 288))), mload(add(f, 352))), mul(mload(add(at, 288)), mload(add(f, 416))))
                    let x := add(sub(mul(mload(add(at, 96)), mload(add(f, 320))), mload(add(f, 384))), mul(mload(add(at, 224)), mload(add(f, 448))))
                    let first := add(mul(add(mul(plane, mload(add(f, 32))), y), mload(add(f, 64))), x)
                    let last := add(
                        add(first, mul(sub(mload(add(at, 192)), 1), mload(add(f, 320)))),
                        add(
                            add(
                                mul(sub(mload(add(f, 128)), 1), mul(mload(add(f, 32)), mload(add(f, 64)))),
                                mul(mul(sub(mload(add(at, 320)), 1), mload(add(f, 416))), mload(add(f, 64)))
                            ),
                            mul(sub(mload(add(at, 256)), 1), mload(add(f, 448)))
                        )
                    )
                    px := span(mload(add(f, 512)), first, last)
                }
                let pw := 0
                {
                    let first := add(mul(add(mul(mul(mload(add(at, 32)), mload(add(f, 128))), mload(add(f, 160))), mload(add(at, 288))), mload(add(f, 192))), mload(add(at, 224)))
                    let last := add(
                        first,
                        add(
                            add(
                                mul(sub(mload(add(f, 128)), 1), mul(mload(add(f, 160)), mload(add(f, 192)))),
                                mul(sub(mload(add(at, 320)), 1), mload(add(f, 192)))
                            ),
                            sub(mload(add(at, 256)), 1)
                        )
                    )
                    pw := span(mload(add(f, 544)), first, last)
                }
                let xWidth := mload(add(mload(add(f, 512)), 128))
                let wWidth := mload(add(mload(add(f, 544)), 128))
                if iszero(and(eq(xWidth, 1), eq(wWidth, 1))) {
                    // Wide operands: one output at a time, its whole reduction in one loop (a
                    // run here is often one output over hundreds of channels).
                    let xStep := mul(mload(add(f, 320)), xWidth)
                    for { let accEnd := add(accs, shl(5, mload(add(at, 192)))) } lt(accs, accEnd) { accs := add(accs, 32) } {
                        mstore(accs, add(mload(accs), dot(f, at, px, pw, xWidth, wWidth)))
                        px := add(px, xStep)
                    }
                    leave
                }
                for { let c := 0 } lt(c, mload(add(f, 128))) { c := add(c, 1) } {
                    let xp := add(px, mul(mul(mul(c, mload(add(f, 32))), mload(add(f, 64))), xWidth))
                    let wp := add(pw, mul(mul(mul(c, mload(add(f, 160))), mload(add(f, 192))), wWidth))
                    for { let u := 0 } lt(u, mload(add(at, 320))) { u := add(u, 1) } {
                        rowRun(f, at, xp, wp, accs)
                        xp := add(xp, mul(mul(mload(add(f, 416)), mload(add(f, 64))), xWidth))
                        wp := add(wp, mul(mload(add(f, 192)), wWidth))
                    }
                }
            }
            // The run's n outputs: bias, in-bounds taps, requantize, store. The accumulators live
            // in scratch memory past the free memory pointer.
            function runOutputs(f, at, to) -> next {
                let n := mload(add(at, 192))
                let accs := mload(0x40)
                let bias := mload(add(at, 160))
                for { let k := 0 } lt(k, n) { k := add(k, 1) } { mstore(add(accs, shl(5, k)), bias) }
                {
                    let uLo, rows := taps(
                        sub(mul(mload(add(at, 64)), mload(add(f, 288))), mload(add(f, 352))),
                        mload(add(f, 32)),
                        mload(add(f, 160)),
                        mload(add(f, 416))
                    )
                    mstore(add(at, 288), uLo)
                    mstore(add(at, 320), rows)
                }
                if and(iszero(iszero(mload(add(at, 320)))), iszero(iszero(mload(add(at, 256))))) {
                    accumulate(f, at, accs)
                }
                let width := mload(add(f, 736))
                next := to
                for { let k := 0 } lt(k, n) { k := add(k, 1) } {
                    store(next, width, requantize(mload(add(accs, shl(5, k))), mload(add(at, 128)), mload(add(f, 672)), mload(add(f, 704))))
                    next := add(next, width)
                }
            }
            // Moves `at` n outputs along its row (never past the row's end), wrapping into the
            // next row, channel and batch; loads the new channel's shift and bias when needed.
            function advance(f, at, n, more) {
                let j := add(mload(add(at, 96)), n)
                mstore(add(at, 96), j)
                if eq(j, mload(add(f, 256))) {
                    mstore(add(at, 96), 0)
                    let i := add(mload(add(at, 64)), 1)
                    mstore(add(at, 64), i)
                    if eq(i, mload(add(f, 224))) {
                        mstore(add(at, 64), 0)
                        let oc := add(mload(add(at, 32)), 1)
                        if eq(oc, mload(add(f, 96))) {
                            oc := 0
                            mstore(at, add(mload(at), 1))
                        }
                        mstore(add(at, 32), oc)
                        // The next channel's bias is only needed if the tile reaches it.
                        if more {
                            let shift, bias := channel(f, oc)
                            mstore(add(at, 128), shift)
                            mstore(add(at, 160), bias)
                        }
                    }
                }
            }

            {
                let shift, bias := channel(frameWords, mload(add(cursor, 32)))
                mstore(add(cursor, 128), shift)
                mstore(add(cursor, 160), bias)
            }
            for { let idx := start } lt(idx, end) {} {
                // A run of outputs whose column taps are all in bounds, or else one output with
                // its own clipped columns.
                let n := interiorRun(frameWords, cursor, sub(end, idx))
                switch n
                case 0 {
                    n := 1
                    let vLo, cols := taps(
                        sub(mul(mload(add(cursor, 96)), mload(add(frameWords, 320))), mload(add(frameWords, 384))),
                        mload(add(frameWords, 64)),
                        mload(add(frameWords, 192)),
                        mload(add(frameWords, 448))
                    )
                    mstore(add(cursor, 224), vLo)
                    mstore(add(cursor, 256), cols)
                }
                default {
                    mstore(add(cursor, 224), 0)
                    mstore(add(cursor, 256), mload(add(frameWords, 192)))
                }
                mstore(add(cursor, 192), n)
                dst := runOutputs(frameWords, cursor, dst)
                idx := add(idx, n)
                advance(frameWords, cursor, n, lt(idx, end))
            }
        }
    }

    /// @notice Whether the i8 fast path applies: i8 activations, weights and output, no dilation, every
    /// pad smaller than the kernel, fewer than 2^17 taps and the output shape the window implies. Then every output
    /// has at least one in-bounds tap in each direction, and a tile splits into runs along
    /// output rows whose receptive fields are contiguous spans of input rows.
    function denseI8(Step memory step, uint256[FRAME_WORDS] memory f) private pure returns (bool) {
        if (step.inputTypes[0].dtype != 1 || step.inputTypes[1].dtype != 1 || step.outputType.dtype != 1) return false;
        if (f[DILATION_H] != 1 || f[DILATION_W] != 1 || f[STRIDE_H] == 0 || f[STRIDE_W] == 0) return false;
        uint256 bottom = uint256(TileOperands.attrValue(step.attrs, 1, 2));
        uint256 right = uint256(TileOperands.attrValue(step.attrs, 1, 3));
        uint256 kh = f[KERNEL_H];
        uint256 kw = f[KERNEL_W];
        if (kh == 0 || kw == 0 || f[PAD_TOP] >= kh || bottom >= kh || f[PAD_LEFT] >= kw || right >= kw) return false;
        // Fewer than 2^17 taps per output: every partial sum of i8 products stays within ±2^31.
        if (f[GROUP_CHANNELS] * kh * kw >= 1 << 17) return false;
        if (f[HEIGHT] + f[PAD_TOP] + bottom < kh || f[WIDTH] + f[PAD_LEFT] + right < kw) return false;
        return f[OUT_H] == (f[HEIGHT] + f[PAD_TOP] + bottom - kh) / f[STRIDE_H] + 1
            && f[OUT_W] == (f[WIDTH] + f[PAD_LEFT] + right - kw) / f[STRIDE_W] + 1;
    }

    /// @notice Conv over i8 activations and weights (see `denseI8`). The tile is cut into runs of
    /// outputs along one output row. Per run the in-bounds input columns it reads are copied,
    /// per (input channel, kernel row), into a zeroed buffer laid out as the padded input row, so
    /// the inner loop has no bounds tests: a padded tap reads 0 and adds nothing. Each copied
    /// span and the run's block of weights is checked against its window once.
    function convI8(uint256[FRAME_WORDS] memory frameWords, uint256 start, uint256 end, uint256 dst) private pure {
        // The run's geometry (word offsets): 0 c0, the signed input column of buffer byte 0;
        // 1 cFirst and 2 cLast, the in-bounds columns read; 3 vLo and 4 vHi, the kernel columns
        // some output reads; 5 r0, the signed first input row; 6 uLo and 7 uHi, the in-bounds
        // kernel rows; 8 accumulators, 9 their end, which is also the buffer; 10 bytes copied per
        // row; 11 where they go in the buffer; 12 address of w[o, 0, 0, 0]; 13..16 the cursor
        // (batch, output channel, row, column); 17 outputs per packed accumulator (0: scalar path).
        uint256[18] memory runWords;
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
            function channel(f, oc) -> shift, bias {
                let fracs := mload(add(f, 608))
                let at := 0
                if gt(mload(fracs), 1) { at := oc }
                shift := add(mload(add(f, 640)), signextend(0, byte(0, mload(add(add(fracs, 32), at)))))
                let biasOperand := mload(add(f, 576))
                if biasOperand { bias := load(span(biasOperand, oc, oc), mload(add(biasOperand, 128))) }
            }
            // The run of L outputs from column j0: its in-bounds columns and kernel columns.
            function columns(f, g, j0, L) {
                let sw := mload(add(f, 320))
                let kw := mload(add(f, 192))
                let wLast := sub(mload(add(f, 64)), 1)
                let c0 := sub(mul(j0, sw), mload(add(f, 384)))
                mstore(g, c0)
                let cFirst := c0
                if slt(c0, 0) { cFirst := 0 }
                mstore(add(g, 32), cFirst)
                // The last output's first column (in bounds, as the output shape fits the window).
                let s := add(c0, mul(sub(L, 1), sw))
                let cLast := add(s, sub(kw, 1))
                if sgt(cLast, wLast) { cLast := wLast }
                mstore(add(g, 64), cLast)
                mstore(add(g, 320), add(sub(cLast, cFirst), 1))
                let vLo := 0
                if slt(s, 0) { vLo := sub(0, s) }
                mstore(add(g, 96), vLo)
                let vHi := sub(kw, 1)
                if sgt(add(c0, vHi), wLast) { vHi := sub(wLast, c0) }
                mstore(add(g, 128), vHi)
            }
            // Output row i: its first input row and in-bounds kernel rows.
            function kernelRows(f, g, i) {
                let hLast := sub(mload(add(f, 32)), 1)
                let r0 := sub(mul(i, mload(add(f, 288))), mload(add(f, 352)))
                mstore(add(g, 160), r0)
                let uLo := 0
                if slt(r0, 0) { uLo := sub(0, r0) }
                mstore(add(g, 192), uLo)
                let uHi := sub(mload(add(f, 160)), 1)
                if sgt(add(r0, uHi), hLast) { uHi := sub(hLast, r0) }
                mstore(add(g, 224), uHi)
            }
            // Scratch past the free memory pointer: the accumulators, then the zeroed buffer
            // (calldata past its end reads as zeros) with a word of slack. Scalar path: one word
            // per output, set to the bias. Packed path: one word per K outputs, eight 32-bit lanes
            // each offset by 2^31 (see `macPacked`).
            function scratch(f, g, L, bias) {
                let accs := add(mload(0x40), 64)
                mstore(add(g, 256), accs)
                let k := mload(add(g, 544))
                let buf := add(accs, shl(5, L))
                if k {
                    buf := add(accs, shl(5, div(add(L, sub(k, 1)), k)))
                    bias := 0x8000000080000000800000008000000080000000800000008000000080000000
                }
                mstore(add(g, 288), buf)
                for { let a := accs } lt(a, buf) { a := add(a, 32) } { mstore(a, bias) }
                mstore(add(g, 352), add(buf, sub(mload(add(g, 32)), mload(g))))
                calldatacopy(buf, calldatasize(), add(add(mul(sub(L, 1), mload(add(f, 320))), mload(add(f, 192))), 32))
            }
            // Checks the run's weights w[o, 0..Cg-1, uLo..uHi, vLo..vHi] (first and last are
            // read, the window is contiguous) and stores the address of w[o, 0, 0, 0].
            function weights(f, g, o) {
                let cg := mload(add(f, 128))
                let kh := mload(add(f, 160))
                let kw := mload(add(f, 192))
                let base := mul(mul(mul(o, cg), kh), kw)
                let firstOffset := add(mul(mload(add(g, 192)), kw), mload(add(g, 96)))
                let last := add(base, add(mul(add(mul(sub(cg, 1), kh), mload(add(g, 224))), kw), mload(add(g, 128))))
                let p := span(mload(add(f, 544)), add(base, firstOffset), last)
                mstore(add(g, 384), sub(p, firstOffset))
            }
            // acc[k] += Σ_v buf[k·sw + v] · w[v] over the run, v in vLo..vHi (other taps are
            // padding for every output of the run).
            function macRow(g, wp, sw, kw) {
                let accs := mload(add(g, 256))
                let buf := mload(add(g, 288))
                let vLo := mload(add(g, 96))
                let vHi := mload(add(g, 128))
                if eq(kw, 3) {
                    let w0 := 0
                    let w1 := 0
                    let w2 := 0
                    if iszero(vLo) { w0 := sar(248, mload(wp)) }
                    if and(lt(vLo, 2), gt(vHi, 0)) { w1 := sar(248, mload(add(wp, 1))) }
                    if eq(vHi, 2) { w2 := sar(248, mload(add(wp, 2))) }
                    for { let accEnd := buf } lt(accs, accEnd) { accs := add(accs, 32) } {
                        let m := mload(buf)
                        mstore(
                            accs,
                            add(
                                mload(accs),
                                add(
                                    add(mul(sar(248, m), w0), mul(sar(248, shl(8, m)), w1)),
                                    mul(sar(248, shl(16, m)), w2)
                                )
                            )
                        )
                        buf := add(buf, sw)
                    }
                    leave
                }
                for { let v := vLo } iszero(gt(v, vHi)) { v := add(v, 1) } {
                    let wv := sar(248, mload(add(wp, v)))
                    let b := add(buf, v)
                    for { let a := accs } lt(a, buf) { a := add(a, 32) } {
                        mstore(a, add(mload(a), mul(sar(248, mload(b)), wv)))
                        b := add(b, sw)
                    }
                }
            }
            // Stride 1: one MUL correlates eight buffer bytes with the kernel row. With
            // X = Σ_t x_t·B^(7−t) (B = 2^32, t < 8, the bytes from the chunk's first) and
            // Wk = Σ_v w_v·B^v, the coefficient of B^(7−k) in X·Wk is Σ_v x_{k+v}·w_v, output k of
            // the chunk, for k < K = 9 − kw; coefficients past B^7 fall off mod 2^256. The exact
            // sums stay within ±2^31 per lane (|x·w| <= 2^14 and at most 2^17 − 1 taps, see
            // `denseI8`), so lanes offset by 2^31 never carry into each other.
            function macPacked(g, wp, kw) {
                let a := mload(add(g, 256))
                let accEnd := mload(add(g, 288))
                let wk := 0
                for { let v := mload(add(g, 96)) } iszero(gt(v, mload(add(g, 128)))) { v := add(v, 1) } {
                    wk := add(wk, shl(shl(5, v), sar(248, mload(add(wp, v)))))
                }
                let step := sub(9, kw)
                for { let b := accEnd } lt(a, accEnd) { a := add(a, 32) } {
                    // Eight bytes, biased to unsigned (x + 128), spread into 32-bit lanes.
                    let x := xor(shr(192, mload(b)), 0x8080808080808080)
                    x := and(or(x, shl(32, x)), 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff)
                    x := and(or(x, shl(16, x)), 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff)
                    x := and(or(x, shl(8, x)), 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff)
                    x := and(or(x, shl(64, x)), 0x0000000000000000ffffffffffffffff0000000000000000ffffffffffffffff)
                    x := and(or(x, shl(32, x)), 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff)
                    x := and(or(x, shl(16, x)), 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff)
                    // Unbias: each lane back to x (padding bytes, 0, become 0 again).
                    x := sub(x, 0x0000008000000080000000800000008000000080000000800000008000000080)
                    mstore(a, add(mload(a), mul(x, wk)))
                    b := add(b, step)
                }
            }
            // Every in-bounds (input channel, kernel row) of the run: check and copy the input
            // span into the buffer, then multiply-accumulate it. `x0` is the element index of
            // x[n, first input channel of o's group, 0, 0].
            function accumulate(f, g, x0) {
                let kw := mload(add(f, 192))
                let w := mload(add(f, 64))
                let uLo := mload(add(g, 192))
                let rows := add(sub(mload(add(g, 224)), uLo), 1)
                let xRow := add(add(x0, mul(add(mload(add(g, 160)), uLo), w)), mload(add(g, 32)))
                let wp := add(mload(add(g, 384)), mul(uLo, kw))
                // From past the run's last kernel row to its first one in the next channel.
                let xGap := mul(sub(mload(add(f, 32)), rows), w)
                let wGap := mul(sub(mload(add(f, 160)), rows), kw)
                for { let c := mload(add(f, 128)) } c { c := sub(c, 1) } {
                    for { let u := rows } u { u := sub(u, 1) } {
                        let count := mload(add(g, 320))
                        mcopy(mload(add(g, 352)), span(mload(add(f, 512)), xRow, add(xRow, sub(count, 1))), count)
                        switch mload(add(g, 544))
                        case 0 { macRow(g, wp, mload(add(f, 320)), kw) }
                        default { macPacked(g, wp, kw) }
                        xRow := add(xRow, w)
                        wp := add(wp, kw)
                    }
                    xRow := add(xRow, xGap)
                    wp := add(wp, wGap)
                }
            }
            // One run: bias, taps, requantize, store.
            function outputs(f, g, L, to) -> next {
                let o := mload(add(g, 448))
                let shift, bias := channel(f, o)
                {
                    // Stride 1 and at most 6 kernel columns: the packed path (3 or more outputs
                    // per MUL).
                    let k := 0
                    if and(eq(mload(add(f, 320)), 1), lt(mload(add(f, 192)), 7)) { k := sub(9, mload(add(f, 192))) }
                    mstore(add(g, 544), k)
                }
                columns(f, g, mload(add(g, 512)), L)
                kernelRows(f, g, mload(add(g, 480)))
                scratch(f, g, L, bias)
                weights(f, g, o)
                let x0 := add(mul(mload(add(g, 416)), mload(f)), mul(div(o, mload(add(f, 480))), mload(add(f, 128))))
                accumulate(f, g, mul(mul(x0, mload(add(f, 32))), mload(add(f, 64))))
                next := add(to, L)
                switch mload(add(g, 544))
                case 0 { finishScalar(g, shift, to) }
                default { finishPacked(g, shift, bias, to, next) }
            }
            // requantize to i8 as y = sar(sr, shl(sl, acc + half)): a rounding right shift for
            // shift > 0, a left shift otherwise. |acc| < 2^32 here, so shifts of 200 or more
            // (quotient 0 in the reference) can use sar(255, acc + 2^254).
            function rounding(shift) -> sl, sr, half {
                if sgt(shift, 0) {
                    sr := shift
                    if gt(sr, 199) { sr := 255 }
                    half := shl(sub(sr, 1), 1)
                    leave
                }
                sl := sub(0, shift)
            }
            // Packed path: output k of a chunk is lane 7 − k, less the 2^31 offset, plus the bias.
            function finishPacked(g, shift, bias, next, end_) {
                let accs := mload(add(g, 256))
                let chunk := mload(add(g, 544))
                let sl, sr, half := rounding(shift)
                let c := sub(add(bias, half), 0x80000000)
                for {} lt(next, end_) { accs := add(accs, 32) } {
                    let r := mload(accs)
                    let chunkEnd := add(next, chunk)
                    if gt(chunkEnd, end_) { chunkEnd := end_ }
                    for { let s := 224 } lt(next, chunkEnd) { s := sub(s, 32) } {
                        let y := sar(sr, shl(sl, add(and(shr(s, r), 0xffffffff), c)))
                        if slt(y, sub(0, 128)) { y := sub(0, 128) }
                        if sgt(y, 127) { y := 127 }
                        mstore8(next, y)
                        next := add(next, 1)
                    }
                }
            }
            // Scalar path: one accumulator per output.
            function finishScalar(g, shift, next) {
                let accs := mload(add(g, 256))
                let accEnd := mload(add(g, 288))
                let sl, sr, half := rounding(shift)
                for {} lt(accs, accEnd) { accs := add(accs, 32) } {
                    let y := sar(sr, shl(sl, add(mload(accs), half)))
                    if slt(y, sub(0, 128)) { y := sub(0, 128) }
                    if sgt(y, 127) { y := 127 }
                    mstore8(next, y)
                    next := add(next, 1)
                }
            }
            // Moves the cursor (g words 13..16: n, o, i, j) past a run that ended its row.
            function nextRow(f, g) {
                mstore(add(g, 512), 0)
                let i := add(mload(add(g, 480)), 1)
                if eq(i, mload(add(f, 224))) {
                    i := 0
                    let o := add(mload(add(g, 448)), 1)
                    if eq(o, mload(add(f, 96))) {
                        o := 0
                        mstore(add(g, 416), add(mload(add(g, 416)), 1))
                    }
                    mstore(add(g, 448), o)
                }
                mstore(add(g, 480), i)
            }

            {
                let ow := mload(add(frameWords, 256))
                let oh := mload(add(frameWords, 224))
                let oc := mload(add(frameWords, 96))
                mstore(add(runWords, 512), mod(start, ow))
                mstore(add(runWords, 480), mod(div(start, ow), oh))
                mstore(add(runWords, 448), mod(div(div(start, ow), oh), oc))
                mstore(add(runWords, 416), div(div(div(start, ow), oh), oc))
            }
            for { let idx := start } lt(idx, end) {} {
                let L := sub(mload(add(frameWords, 256)), mload(add(runWords, 512)))
                if gt(L, sub(end, idx)) { L := sub(end, idx) }
                dst := outputs(frameWords, runWords, L, dst)
                idx := add(idx, L)
                nextRow(frameWords, runWords)
            }
        }
    }

    /// @notice The step's shapes, attributes, operands and requantization, as words.
    function frame(Step memory step, Window[] memory inputs) private pure returns (uint256[FRAME_WORDS] memory f) {
        uint32[] memory xShape = step.inputTypes[0].shape;
        uint32[] memory wShape = step.inputTypes[1].shape;
        int64[] memory attrs = step.attrs;
        f[CHANNELS] = xShape[1];
        f[HEIGHT] = xShape[2];
        f[WIDTH] = xShape[3];
        f[OUT_CHANNELS] = wShape[0];
        f[GROUP_CHANNELS] = wShape[1];
        f[KERNEL_H] = wShape[2];
        f[KERNEL_W] = wShape[3];
        f[OUT_H] = step.outputType.shape[2];
        f[OUT_W] = step.outputType.shape[3];
        // Declared order: strides, pads [top, left, bottom, right], dilations, group.
        f[STRIDE_H] = uint256(TileOperands.attrValue(attrs, 0, 0));
        f[STRIDE_W] = uint256(TileOperands.attrValue(attrs, 0, 1));
        f[PAD_TOP] = uint256(TileOperands.attrValue(attrs, 1, 0));
        f[PAD_LEFT] = uint256(TileOperands.attrValue(attrs, 1, 1));
        f[DILATION_H] = uint256(TileOperands.attrValue(attrs, 2, 0));
        f[DILATION_W] = uint256(TileOperands.attrValue(attrs, 2, 1));
        f[OUT_PER_GROUP] = f[OUT_CHANNELS] / uint256(TileOperands.attrValue(attrs, 3, 0));
        TileOperands.Operand memory x = TileOperands.operand(step.inputTypes, inputs, 0);
        TileOperands.Operand memory w = TileOperands.operand(step.inputTypes, inputs, 1);
        TileOperands.Operand memory bias;
        if (step.inputTypes.length > 2) bias = TileOperands.operand(step.inputTypes, inputs, 2);
        bytes memory fracs = step.inputTypes[1].fracs;
        int256 baseShift = TileOperands.fracOf(step.inputTypes[0], 0) - TileOperands.fracOf(step.outputType, 0);
        (int256 lo, int256 hi) = TileOperands.boundsOf(step.outputType.dtype);
        uint256 biasAddress;
        assembly ("memory-safe") {
            mstore(add(f, 512), x)
            mstore(add(f, 544), w)
            biasAddress := bias
            mstore(add(f, 608), fracs)
            mstore(add(f, 640), baseShift)
            mstore(add(f, 672), lo)
            mstore(add(f, 704), hi)
        }
        f[BIAS_OPERAND] = step.inputTypes.length > 2 ? biasAddress : 0;
        f[OUT_WIDTH] = TileOperands.widthOf(step.outputType.dtype);
    }
}
