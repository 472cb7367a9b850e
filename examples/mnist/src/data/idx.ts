import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const IMAGES_MAGIC = 0x00000803; // unsigned byte data, 3 dimensions
const LABELS_MAGIC = 0x00000801; // unsigned byte data, 1 dimension

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** Raw pixels, count*rows*cols bytes, row-major. */
  pixels: Uint8Array;
}

function readHeader(bytes: Uint8Array, path: string, expectedMagic: number, headerBytes: number): DataView {
  const name = basename(path);
  if (bytes.length < headerBytes) {
    throw new Error(
      `${name}: file is ${bytes.length} bytes, shorter than its ${headerBytes}-byte IDX header`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    throw new Error(
      `${name}: bad IDX magic 0x${magic.toString(16).padStart(8, '0')}, expected 0x${expectedMagic.toString(16).padStart(8, '0')}`,
    );
  }
  return view;
}

function checkPayloadSize(bytes: Uint8Array, path: string, headerBytes: number, payloadBytes: number): void {
  const expected = headerBytes + payloadBytes;
  if (bytes.length !== expected) {
    throw new Error(`${basename(path)}: file is ${bytes.length} bytes, header says it should be ${expected}`);
  }
}

export function readIdxImages(path: string): IdxImages {
  const bytes = readFileSync(path);
  const headerBytes = 16;
  const view = readHeader(bytes, path, IMAGES_MAGIC, headerBytes);
  const count = view.getUint32(4, false);
  const rows = view.getUint32(8, false);
  const cols = view.getUint32(12, false);
  checkPayloadSize(bytes, path, headerBytes, count * rows * cols);
  return {
    count,
    rows,
    cols,
    pixels: new Uint8Array(bytes.buffer, bytes.byteOffset + headerBytes, count * rows * cols),
  };
}

export function readIdxLabels(path: string): Uint8Array {
  const bytes = readFileSync(path);
  const headerBytes = 8;
  const view = readHeader(bytes, path, LABELS_MAGIC, headerBytes);
  const count = view.getUint32(4, false);
  checkPayloadSize(bytes, path, headerBytes, count);
  return new Uint8Array(bytes.buffer, bytes.byteOffset + headerBytes, count);
}
