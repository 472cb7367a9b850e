/**
 * Inner loops of a 3x3, stride 1, pad 1 convolution on planes stored with a one-pixel zero border,
 * i.e. a padded plane is (height+2) x (width+2). Sliding a three-column window along each row keeps
 * loads to three per output pixel, which dominates speed in plain JavaScript.
 */

/** dst[y, x] += sum over taps of kernel[ky*3+kx] * src[y+ky, x+kx]; dst is unpadded height x width. */
export function accumulateConv3x3(
  src: Float32Array,
  srcBase: number,
  kernel: Float32Array,
  kernelBase: number,
  dst: Float32Array,
  dstBase: number,
  height: number,
  width: number,
): void {
  const stride = width + 2;
  const k0 = kernel[kernelBase];
  const k1 = kernel[kernelBase + 1];
  const k2 = kernel[kernelBase + 2];
  const k3 = kernel[kernelBase + 3];
  const k4 = kernel[kernelBase + 4];
  const k5 = kernel[kernelBase + 5];
  const k6 = kernel[kernelBase + 6];
  const k7 = kernel[kernelBase + 7];
  const k8 = kernel[kernelBase + 8];
  for (let y = 0; y < height; y++) {
    const r0 = srcBase + y * stride;
    const r1 = r0 + stride;
    const r2 = r1 + stride;
    const d = dstBase + y * width;
    let a0 = src[r0];
    let a1 = src[r0 + 1];
    let b0 = src[r1];
    let b1 = src[r1 + 1];
    let c0 = src[r2];
    let c1 = src[r2 + 1];
    for (let x = 0; x < width; x++) {
      const a2 = src[r0 + x + 2];
      const b2 = src[r1 + x + 2];
      const c2 = src[r2 + x + 2];
      dst[d + x] += k0 * a0 + k1 * a1 + k2 * a2 + k3 * b0 + k4 * b1 + k5 * b2 + k6 * c0 + k7 * c1 + k8 * c2;
      a0 = a1;
      a1 = a2;
      b0 = b1;
      b1 = b2;
      c0 = c1;
      c1 = c2;
    }
  }
}

/**
 * kernelGrad[ky*3+kx] += sum over (y, x) of grad[y, x] * src[y+ky, x+kx]: the weight gradient of one
 * (output channel, input channel) pair; grad is unpadded height x width, src padded.
 */
export function accumulateKernelGrad3x3(
  src: Float32Array,
  srcBase: number,
  grad: Float32Array,
  gradBase: number,
  kernelGrad: Float32Array,
  kernelBase: number,
  height: number,
  width: number,
): void {
  const stride = width + 2;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let s5 = 0;
  let s6 = 0;
  let s7 = 0;
  let s8 = 0;
  for (let y = 0; y < height; y++) {
    const r0 = srcBase + y * stride;
    const r1 = r0 + stride;
    const r2 = r1 + stride;
    const g = gradBase + y * width;
    let a0 = src[r0];
    let a1 = src[r0 + 1];
    let b0 = src[r1];
    let b1 = src[r1 + 1];
    let c0 = src[r2];
    let c1 = src[r2 + 1];
    for (let x = 0; x < width; x++) {
      const gv = grad[g + x];
      const a2 = src[r0 + x + 2];
      const b2 = src[r1 + x + 2];
      const c2 = src[r2 + x + 2];
      s0 += gv * a0;
      s1 += gv * a1;
      s2 += gv * a2;
      s3 += gv * b0;
      s4 += gv * b1;
      s5 += gv * b2;
      s6 += gv * c0;
      s7 += gv * c1;
      s8 += gv * c2;
      a0 = a1;
      a1 = a2;
      b0 = b1;
      b1 = b2;
      c0 = c1;
      c1 = c2;
    }
  }
  kernelGrad[kernelBase] += s0;
  kernelGrad[kernelBase + 1] += s1;
  kernelGrad[kernelBase + 2] += s2;
  kernelGrad[kernelBase + 3] += s3;
  kernelGrad[kernelBase + 4] += s4;
  kernelGrad[kernelBase + 5] += s5;
  kernelGrad[kernelBase + 6] += s6;
  kernelGrad[kernelBase + 7] += s7;
  kernelGrad[kernelBase + 8] += s8;
}

/** Copies an unpadded height x width plane into the interior of a padded plane (border left as is). */
export function copyIntoPadded(
  src: Float32Array,
  srcBase: number,
  dst: Float32Array,
  dstBase: number,
  height: number,
  width: number,
): void {
  const stride = width + 2;
  for (let y = 0; y < height; y++) {
    dst.set(src.subarray(srcBase + y * width, srcBase + (y + 1) * width), dstBase + (y + 1) * stride + 1);
  }
}
