import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { boundaryDigest, type Model, tensorDigest } from '@stoa/ir';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeBinaryInputs, encodeBinaryInputs, isBinaryInputs } from './binary-inputs.js';
import { parseInputs } from './tensors.js';

let model: Model;
let digits: number[][];

beforeAll(() => {
  model = importMnistModel('cnn').model;
  const test = loadMnist('test');
  digits = Array.from({ length: 50 }, (_, i) => Array.from(test.images.subarray(784 * i, 784 * (i + 1))));
});

const digestOf = (tensors: ReturnType<typeof parseInputs>) =>
  boundaryDigest(tensors.map((t) => tensorDigest(t.dtype, t.data)));

describe('binary inputs', () => {
  it('mean exactly what the JSON form means: the same integers, so the same input digest', () => {
    for (const digit of digits) {
      const json = parseInputs(model, JSON.parse(JSON.stringify({ inputs: [digit] })));
      for (const type of ['float32', 'float64'] as const) {
        const binary = decodeBinaryInputs(model, encodeBinaryInputs([digit], type));
        expect(binary[0]!.data).toEqual(json[0]!.data);
        expect(binary[0]!.shape).toEqual(json[0]!.shape);
        expect(digestOf(binary)).toEqual(digestOf(json));
      }
      const ints = Array.from(json[0]!.data);
      const asInt = decodeBinaryInputs(model, encodeBinaryInputs([ints], 'int32'));
      expect(asInt).toEqual(parseInputs(model, { inputs: [ints], format: 'int' }));
    }
  });

  it('decode each body into tensors of its own (the reused scratch array is never handed out)', () => {
    // Item bodies at odd offsets, as the items of a batch body lie in it.
    const bodies = digits.slice(0, 8).map((digit, i) => {
      const body = encodeBinaryInputs([digit]);
      return Buffer.concat([Buffer.alloc(1 + (i % 3)), body]).subarray(1 + (i % 3));
    });
    const decoded = bodies.map((body) => decodeBinaryInputs(model, body));
    decoded.forEach((tensors, i) => {
      expect(tensors[0]!.data).toEqual(parseInputs(model, { inputs: [digits[i]] })[0]!.data);
    });
  });

  it('are told apart from JSON by their first bytes', () => {
    expect(isBinaryInputs(encodeBinaryInputs([digits[0]!]))).toBe(true);
    expect(isBinaryInputs(Buffer.from(JSON.stringify({ inputs: [digits[0]] })))).toBe(false);
    expect(isBinaryInputs(Buffer.from('sto'))).toBe(false);
  });

  it('refuse a malformed body with a 400 naming what is wrong', () => {
    const good = encodeBinaryInputs([digits[0]!]);
    const refused = (body: Buffer) => {
      try {
        decodeBinaryInputs(model, body);
      } catch (error) {
        return { status: (error as { status: number }).status, message: (error as Error).message };
      }
      throw new Error('accepted');
    };
    const patched = (at: number, byte: number) => {
      const copy = Buffer.from(good);
      copy[at] = byte;
      return copy;
    };
    expect(refused(encodeBinaryInputs([digits[0]!.slice(1)])).message).toMatch(
      /inputs\[0\]\.data has 783 values/,
    );
    expect(refused(encodeBinaryInputs([digits[0]!, digits[1]!])).message).toMatch(
      /has 2 tensors; the model takes 1/,
    );
    expect(refused(good.subarray(0, good.length - 4)).message).toMatch(/ends before its 784 values/);
    expect(refused(Buffer.concat([good, Buffer.alloc(1)])).message).toMatch(/1 bytes after its last tensor/);
    expect(refused(patched(4, 9)).message).toMatch(/version 9/);
    expect(refused(patched(5, 7)).message).toMatch(/element type 7/);
    expect(refused(Buffer.from('stoa')).message).toMatch(/8-byte header/);
    const nan = [...digits[0]!];
    nan[5] = Number.NaN;
    expect(refused(encodeBinaryInputs([nan])).message).toMatch(
      /inputs\[0\]\.data\[5\] must be a finite number/,
    );
    const tooBig = Array(784).fill(0);
    tooBig[3] = 1 << 20;
    const wide = refused(encodeBinaryInputs([tooBig], 'int32'));
    expect(wide.status).toBe(400);
    expect(wide.message).toMatch(/inputs\[0\]\.data\[3\] = 1048576 is not an i8 integer \(-128\.\.127\)/);
  });
});
