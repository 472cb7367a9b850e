import { IrError } from '../errors.js';

/** Little-endian byte writer for the canonical encoding. */
export class ByteWriter {
  private buffer = new Uint8Array(1024);
  private view = new DataView(this.buffer.buffer);
  private length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  u8(value: number): this {
    this.reserve(1);
    this.view.setUint8(this.length, value);
    this.length += 1;
    return this;
  }

  i8(value: number): this {
    this.reserve(1);
    this.view.setInt8(this.length, value);
    this.length += 1;
    return this;
  }

  u16(value: number): this {
    this.reserve(2);
    this.view.setUint16(this.length, value, true);
    this.length += 2;
    return this;
  }

  u32(value: number): this {
    this.reserve(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
    return this;
  }

  i64(value: number): this {
    this.reserve(8);
    this.view.setBigInt64(this.length, BigInt(value), true);
    this.length += 8;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
    return this;
  }

  string(value: string): this {
    const data = new TextEncoder().encode(value);
    return this.u32(data.length).bytes(data);
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

/** Reader whose every failure names the byte offset and the field being read. */
export class ByteReader {
  private readonly view: DataView;
  offset = 0;

  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  get remaining(): number {
    return this.data.length - this.offset;
  }

  fail(field: string, message: string): never {
    throw new IrError(
      'ENCODING_CORRUPT',
      `corrupt model encoding at byte ${this.offset} (${field}): ${message}`,
    );
  }

  private need(bytes: number, field: string): void {
    if (this.remaining < bytes) {
      this.fail(field, `needs ${bytes} more bytes, only ${this.remaining} left (truncated?)`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.view.getUint8(this.offset++);
  }

  i8(field: string): number {
    this.need(1, field);
    return this.view.getInt8(this.offset++);
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }

  i64(field: string): number {
    this.need(8, field);
    const v = this.view.getBigInt64(this.offset, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      this.fail(field, `integer ${v} is out of the safe range`);
    }
    this.offset += 8;
    return Number(v);
  }

  /** A count of items that each take at least `minItemBytes`: rejects counts the data cannot hold. */
  count(field: string, minItemBytes: number): number {
    const n = this.u32(field);
    if (n * minItemBytes > this.remaining)
      this.fail(field, `count ${n} cannot fit in the ${this.remaining} bytes left`);
    return n;
  }

  bytes(length: number, field: string): Uint8Array {
    this.need(length, field);
    const out = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  string(field: string): string {
    const length = this.count(field, 1);
    return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes(length, field));
  }
}
