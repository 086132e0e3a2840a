// Byte-addressed memories with a written-bytes map, so a read of memory nothing wrote traps instead of
// returning zeros. Backing storage grows on demand up to the configured size.
import { f16BitsToF32, f32ToF16Bits } from '../../../src/util/float16.ts';

export class Trap extends Error {
  constructor(readonly index: number, readonly reason: string) { super(`NPU trap at instruction ${index}: ${reason}`); }
}

/** f16 bits → value, for every bit pattern. */
export const F16 = (() => { const t = new Float32Array(65536); for (let i = 0; i < 65536; i++) t[i] = f16BitsToF32(i); return t; })();
export const toF16 = f32ToF16Bits;

export class Memory {
  buf = new ArrayBuffer(0);
  u8 = new Uint8Array(0);
  i8 = new Int8Array(0);
  u16 = new Uint16Array(0);
  i32 = new Int32Array(0);
  f32 = new Float32Array(0);
  valid = new Uint8Array(0);
  /** `backed` false: bounds checks only (timing-only simulation allocates nothing). */
  constructor(readonly name: string, readonly size: number, readonly backed = true) {}

  private grow(end: number): void {
    let cap = Math.max(4096, this.u8.length);
    while (cap < end) cap *= 2;
    cap = Math.min(Math.ceil(cap / 4) * 4, Math.ceil(this.size / 4) * 4);
    const buf = new ArrayBuffer(cap), valid = new Uint8Array(cap);
    new Uint8Array(buf).set(this.u8);
    valid.set(this.valid);
    this.buf = buf; this.valid = valid;
    this.u8 = new Uint8Array(buf); this.i8 = new Int8Array(buf); this.u16 = new Uint16Array(buf);
    this.i32 = new Int32Array(buf); this.f32 = new Float32Array(buf);
  }

  /** Checks [lo, hi) is inside the memory and aligned to `align`; grows the backing store. */
  range(lo: number, hi: number, align: number, index: number, what: string): void {
    if (lo < 0 || hi > this.size || lo > hi) throw new Trap(index, `${what}: ${this.name} address range [${lo}, ${hi}) outside 0..${this.size}`);
    if (lo % align) throw new Trap(index, `${what}: ${this.name} address ${lo} not aligned to ${align}`);
    if (this.backed && hi > this.u8.length) this.grow(hi);
  }
  checkWritten(lo: number, hi: number, index: number, what: string): void {
    const v = this.valid;
    for (let i = lo; i < hi; i++) if (v[i] === 0) throw new Trap(index, `${what}: read of unwritten ${this.name} byte ${i}`);
  }
  mark(lo: number, hi: number): void { this.valid.fill(1, lo, hi); }
}
