import { expect } from 'vitest';
import { IrError } from '../errors.js';

/** Runs `fn`, asserts it throws an IrError, and returns it for checks on code and message. */
export function expectIrError(fn: () => unknown): IrError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(IrError);
    return error as IrError;
  }
  throw new Error('expected an IrError');
}
