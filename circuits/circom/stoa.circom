pragma circom 2.1.0;

// Stoa tile circuits: the integer semantics of docs/semantics.md, bit for bit, for the ops
// of the MNIST CNN. Every circuit has the same public interface: `inPacked` is the tile's
// input stream (opened input bytes, weights, bias, shift bytes: see circuits/ts/streams.ts)
// and `outPacked` the tile's canonical output bytes, each packed 31 bytes per field element
// big-endian (a group is its bytes read as one big-endian integer: one mload and a shift in
// the EVM, so packing costs the contract almost nothing). The verifier contract rebuilds
// both from bytes it opened or was handed, so the proof binds to the trace commitments.

// n little-endian bits of `in`; fails unless 0 <= in < 2^n.
template Bits(n) {
    signal input in;
    signal output out[n];
    var sum = 0;
    var weight = 1;
    for (var i = 0; i < n; i++) {
        out[i] <-- (in >> i) & 1;
        out[i] * (out[i] - 1) === 0;
        sum += out[i] * weight;
        weight += weight;
    }
    sum === in;
}

// Splits the packed stream into bytes, each range-checked through its 8 bits: without the
// range check a prover could pick other "bytes" with the same packed sum.
template UnpackBytes(nBytes) {
    var nPacked = (nBytes + 30) \ 31;
    signal input packed[nPacked];
    signal output bits[nBytes][8];
    for (var k = 0; k < nPacked; k++) {
        var len = nBytes - 31 * k < 31 ? nBytes - 31 * k : 31;
        var sum = 0;
        for (var i = 0; i < len; i++) {
            var b = 31 * k + i;
            var shift = 8 * (len - 1 - i);
            var byteWeight = 1;
            for (var j = 0; j < 8; j++) {
                bits[b][j] <-- (packed[k] >> (shift + j)) & 1;
                bits[b][j] * (bits[b][j] - 1) === 0;
                sum += bits[b][j] * byteWeight * (1 << shift);
                byteWeight += byteWeight;
            }
        }
        sum === packed[k];
    }
}

// Binds computed output bytes (each already known to be in 0..255) to the packed outputs.
template PackBytes(nBytes) {
    var nPacked = (nBytes + 30) \ 31;
    signal input bytes[nBytes];
    signal input packed[nPacked];
    for (var k = 0; k < nPacked; k++) {
        var len = nBytes - 31 * k < 31 ? nBytes - 31 * k : 31;
        var sum = 0;
        for (var i = 0; i < len; i++) {
            sum += bytes[31 * k + i] * (1 << (8 * (len - 1 - i)));
        }
        sum === packed[k];
    }
}

function byteOf(bits) {
    var v = 0;
    for (var j = 0; j < 8; j++) v += bits[j] * (1 << j);
    return v;
}

// isZero(x) = 1 when x = 0, else 0 (two constraints).
template IsZero() {
    signal input in;
    signal output out;
    signal inv;
    inv <-- in != 0 ? 1 / in : 0;
    out <== 1 - in * inv;
    in * out === 0;
}

// 2^(S - s) for a shift byte s <= S given by its bits; the verifier contract refuses s > S,
// so the product below is that power of two (computed with inverses of 2 in the field).
template ShiftMultiplier(S) {
    signal input bits[8];
    signal output out;
    signal partial[8];
    var inverse = 1;
    var factor[8];
    for (var j = 0; j < 8; j++) {
        // 2^(-2^j) in the field
        var p = 1;
        for (var r = 0; r < (1 << j); r++) p = p * 2;
        factor[j] = 1 / p;
    }
    partial[0] <== (1 + bits[0] * (factor[0] - 1)) * (1 << S);
    for (var j = 1; j < 8; j++) {
        partial[j] <== partial[j - 1] * (1 + bits[j] * (factor[j] - 1));
    }
    out <== partial[7];
}

// requantize(acc, s) to i8 as its canonical byte: saturate(floor((acc + 2^(s-1)) / 2^s)),
// ties toward +inf, for |acc| < 2^31 and 0 <= s <= S. With m = 2^(S - s),
// floor((acc·m + 2^(S-1)) / 2^S) is the same rounding with one fixed shift, so the shift
// costs one multiplication instead of a bit decomposition per possible s.
template RequantizeI8(S) {
    signal input acc;
    signal input multiplier;
    signal output byte;
    signal scaled <== acc * multiplier;
    // t >= 0 and t < 2^(32 + S); u = t >> S = q + 2^31.
    component bits = Bits(32 + S);
    bits.in <== scaled + (1 << (S - 1)) + (1 << (31 + S));
    var high = 0;
    for (var k = 7; k < 31; k++) high += bits.out[S + k];
    component none = IsZero();
    none.in <== high;
    component all = IsZero();
    all.in <== high - 24;
    signal sign <== 1 - bits.out[S + 31]; // q < 0
    signal over <== (1 - sign) * (1 - none.out); // q > 127
    signal under <== sign * (1 - all.out); // q < -128
    var low = 0;
    for (var k = 0; k < 8; k++) low += bits.out[S + k] * (1 << k);
    signal overLow <== over * low;
    signal underLow <== under * low;
    byte <== low + over * 127 - overLow + under * 128 - underLow;
}

function signedI8(bits) {
    var v = 0;
    for (var j = 0; j < 7; j++) v += bits[j] * (1 << j);
    return v - bits[7] * 128;
}

function signedI32(b0, b1, b2, b3) {
    var v = 0;
    for (var j = 0; j < 8; j++) {
        v += b0[j] * (1 << j) + b1[j] * (1 << (8 + j)) + b2[j] * (1 << (16 + j));
    }
    for (var j = 0; j < 7; j++) v += b3[j] * (1 << (24 + j));
    return v - b3[7] * (1 << 31);
}

// Relu on i8 (and Reshape's copy): y = max(x, 0) per byte.
template ReluTile(B) {
    signal input inPacked[(B + 30) \ 31];
    signal input outPacked[(B + 30) \ 31];
    component x = UnpackBytes(B);
    x.packed <== inPacked;
    component y = PackBytes(B);
    for (var i = 0; i < B; i++) y.bytes[i] <== byteOf(x.bits[i]) * (1 - x.bits[i][7]);
    y.packed <== outPacked;
}

// Reshape moves canonical bytes unchanged: the output groups equal the input groups.
template CopyTile(B) {
    signal input inPacked[(B + 30) \ 31];
    signal input outPacked[(B + 30) \ 31];
    for (var k = 0; k < (B + 30) \ 31; k++) outPacked[k] === inPacked[k];
}

// max of two signed i8 values carried as (value, sign bit): a >= b iff a - b + 256 >= 256.
template Max2() {
    signal input a;
    signal input aSign;
    signal input b;
    signal input bSign;
    signal output value;
    signal output sign;
    component d = Bits(9);
    d.in <== a - b + 256;
    value <== b + d.out[8] * (a - b);
    sign <== bSign + d.out[8] * (aSign - bSign);
}

// MaxPool, kernel and stride 2x2, no padding, over R output rows of Wo = W / 2 elements: the
// stream holds the 2R input rows of W bytes those rows read.
template MaxPool2Tile(R, W) {
    var Wo = W \ 2;
    var nIn = 2 * R * W;
    signal input inPacked[(nIn + 30) \ 31];
    signal input outPacked[(R * Wo + 30) \ 31];
    component x = UnpackBytes(nIn);
    x.packed <== inPacked;
    component m[R * Wo][3];
    component y = PackBytes(R * Wo);
    for (var r = 0; r < R; r++) {
        for (var j = 0; j < Wo; j++) {
            var o = r * Wo + j;
            var p00 = (2 * r) * W + 2 * j;
            var p10 = (2 * r + 1) * W + 2 * j;
            m[o][0] = Max2();
            m[o][0].a <== signedI8(x.bits[p00]);
            m[o][0].aSign <== x.bits[p00][7];
            m[o][0].b <== signedI8(x.bits[p00 + 1]);
            m[o][0].bSign <== x.bits[p00 + 1][7];
            m[o][1] = Max2();
            m[o][1].a <== signedI8(x.bits[p10]);
            m[o][1].aSign <== x.bits[p10][7];
            m[o][1].b <== signedI8(x.bits[p10 + 1]);
            m[o][1].bSign <== x.bits[p10 + 1][7];
            m[o][2] = Max2();
            m[o][2].a <== m[o][0].value;
            m[o][2].aSign <== m[o][0].sign;
            m[o][2].b <== m[o][1].value;
            m[o][2].bSign <== m[o][1].sign;
            y.bytes[o] <== m[o][2].value + 256 * m[o][2].sign;
        }
    }
    y.packed <== outPacked;
}

// Conv (stride 1, dilation 1, group 1, zero padding P on every side) for R output rows of one
// output channel. Stream: for each of the C input channels, the R + KH - 1 input rows (W bytes
// each, zero rows outside the image) those rows read; the channel's C·KH·KW weights; its bias
// (i32 little-endian); its shift byte s = fx + fw - fo.
template ConvTile(C, W, KH, KW, P, R, S) {
    var Wo = W + 2 * P - KW + 1;
    var rows = R + KH - 1;
    var nX = C * rows * W;
    var nW = C * KH * KW;
    var nIn = nX + nW + 4 + 1;
    signal input inPacked[(nIn + 30) \ 31];
    signal input outPacked[(R * Wo + 30) \ 31];
    component s = UnpackBytes(nIn);
    s.packed <== inPacked;
    component mult = ShiftMultiplier(S);
    mult.bits <== s.bits[nIn - 1];
    var bias = signedI32(s.bits[nX + nW], s.bits[nX + nW + 1], s.bits[nX + nW + 2], s.bits[nX + nW + 3]);
    signal products[R * Wo][nW];
    component q[R * Wo];
    component y = PackBytes(R * Wo);
    for (var r = 0; r < R; r++) {
        for (var j = 0; j < Wo; j++) {
            var o = r * Wo + j;
            var acc = bias;
            for (var c = 0; c < C; c++) {
                for (var u = 0; u < KH; u++) {
                    for (var v = 0; v < KW; v++) {
                        var k = (c * KH + u) * KW + v;
                        var col = j + v - P;
                        if (col >= 0 && col < W) {
                            var at = (c * rows + r + u) * W + col;
                            products[o][k] <== signedI8(s.bits[at]) * signedI8(s.bits[nX + k]);
                        } else {
                            products[o][k] <== 0;
                        }
                        acc += products[o][k];
                    }
                }
            }
            q[o] = RequantizeI8(S);
            q[o].acc <== acc;
            q[o].multiplier <== mult.out;
            y.bytes[o] <== q[o].byte;
        }
    }
    y.packed <== outPacked;
}

// MatMul of one input row a[K] with B consecutive weight rows w[n][K] (n = n0 .. n0 + B - 1).
// Stream: a (K bytes), the B weight rows, the B biases (i32 LE), the B shift bytes.
template MatMulTile(K, B, S) {
    var nIn = K + B * K + 4 * B + B;
    signal input inPacked[(nIn + 30) \ 31];
    signal input outPacked[(B + 30) \ 31];
    component s = UnpackBytes(nIn);
    s.packed <== inPacked;
    signal products[B][K];
    component mult[B];
    component q[B];
    component y = PackBytes(B);
    for (var n = 0; n < B; n++) {
        var b0 = K + B * K + 4 * n;
        var acc = signedI32(s.bits[b0], s.bits[b0 + 1], s.bits[b0 + 2], s.bits[b0 + 3]);
        for (var k = 0; k < K; k++) {
            products[n][k] <== signedI8(s.bits[k]) * signedI8(s.bits[K + n * K + k]);
            acc += products[n][k];
        }
        mult[n] = ShiftMultiplier(S);
        mult[n].bits <== s.bits[K + B * K + 4 * B + n];
        q[n] = RequantizeI8(S);
        q[n].acc <== acc;
        q[n].multiplier <== mult[n].out;
        y.bytes[n] <== q[n].byte;
    }
    y.packed <== outPacked;
}
