// Weight formats: each precision's encoder against hand-computed cases and against onnxruntime's
// QuantizeLinear / DequantizeLinear run with the same scales (codes must agree bit for bit).
import { describe, expect, it } from 'vitest';
import { OnnxBuilder } from '../../models/builder.ts';
import { runOrt } from '../../src/driver/ort.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { rng } from '../../src/runtime/random.ts';
import { bf16BitsToF32, f16BitsToF32, f32ToF16Bits } from '../../src/util/float16.ts';
import { codesOf, dequantize, fakeQuantize, packBits, quantizeWeight, storageBytes, toTensors, unpackBits, type QuantizedTensor } from '../../src/quant/index.ts';

function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed), out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  return out;
}

/** Runs DequantizeLinear(QuantizeLinear(x)) in onnxruntime with q's own scales and zero points. */
async function ortRoundTrip(x: Float32Array, q: QuantizedTensor): Promise<Float32Array> {
  const t = toTensors(q);
  const b = new OnnxBuilder({ opset: 21 });
  const inp = b.input('x', 'f32', q.shape);
  const s = b.initializer(t.scale!, 's');
  const zp = t.zeroPoint ? b.initializer(t.zeroPoint, 'zp') : b.initializer(new Tensor(q.dtype as 'i8', q.scaleShape), 'zp');
  const g = q.granularity;
  const attrs = g.kind === 'tensor' ? {} : g.kind === 'axis' ? { axis: g.axis } : { axis: g.axis, block_size: g.block };
  const [y] = b.node('QuantizeLinear', [inp, s, zp], attrs);
  const [z] = b.node('DequantizeLinear', [y, s, zp], attrs);
  b.output(z);
  const out = await runOrt(b.toBytes(), { x: new Tensor('f32', q.shape, x) }, { optimization: 'disabled' });
  return out[Object.keys(out)[0]].data as Float32Array;
}

describe('fp16 and bf16', () => {
  it('round to nearest even, hand cases', () => {
    // bf16 keeps 7 mantissa bits: 1 + 2^-8 is a tie → 1 (even); 1 + 3·2^-8 is a tie → 1 + 2^-6 (even).
    const q = quantizeWeight([1 + 2 ** -8, 1 + 3 * 2 ** -8, -3.140625, 65504], [4], { precision: 'bf16' });
    expect(Array.from(codesOf(q))).toEqual([0x3f80, 0x3f82, 0xc049, 0x4780]);
    // fp16: 1 + 2^-11 is a tie → 1; 65520 rounds up past the max → Inf.
    const h = quantizeWeight([1 + 2 ** -11, 1 + 3 * 2 ** -11, 65520, 2 ** -24], [4], { precision: 'fp16' });
    expect(Array.from(codesOf(h))).toEqual([0x3c00, 0x3c02, 0x7c00, 0x0001]);
    expect(storageBytes(h)).toBe(8);
  });
  it('relative error stays within half an ulp on random data', () => {
    const x = randn(4096, 3, 10);
    const hq = dequantize(quantizeWeight(x, [64, 64], { precision: 'fp16' }));
    const bq = dequantize(quantizeWeight(x, [64, 64], { precision: 'bf16' }));
    for (let i = 0; i < x.length; i++) {
      expect(Math.abs(hq[i] - x[i])).toBeLessThanOrEqual(Math.abs(x[i]) * 2 ** -11 + 2 ** -25);
      expect(Math.abs(bq[i] - x[i])).toBeLessThanOrEqual(Math.abs(x[i]) * 2 ** -8);
      expect(hq[i]).toBe(f16BitsToF32(f32ToF16Bits(x[i])));
    }
    expect(bf16BitsToF32(0x3f80)).toBe(1);
  });
});

describe('int8', () => {
  it('per-channel symmetric: scale = amax/127 per output channel, codes match onnxruntime', async () => {
    const shape = [8, 4, 3, 3], x = randn(8 * 36, 5);
    for (let c = 0; c < 8; c++) for (let j = 0; j < 36; j++) x[c * 36 + j] *= 2 ** (c - 4); // channels of very different ranges
    const q = quantizeWeight(x, shape, { precision: 'int8', axis: 0 });
    expect(q.dtype).toBe('i8');
    expect(q.scaleShape).toEqual([8]);
    for (let c = 0; c < 8; c++) {
      let amax = 0;
      for (let j = 0; j < 36; j++) amax = Math.max(amax, Math.abs(x[c * 36 + j]));
      expect(q.scale![c]).toBe(Math.fround(amax / 127));
    }
    const codes = codesOf(q);
    expect(Math.max(...codes)).toBeLessThanOrEqual(127);
    expect(Math.min(...codes)).toBeGreaterThanOrEqual(-127);
    expect(Array.from(dequantize(q))).toEqual(Array.from(await ortRoundTrip(x, q)));
    expect(storageBytes(q)).toBe(288 + 8 * 4);
    // per channel beats per tensor when channel ranges differ
    // (noise relative to each channel's own energy, summed: the big channel no longer hides the rest)
    const err = (y: Float32Array) => y.reduce((s, v, i) => s + (v - x[i]) ** 2 / 4 ** (Math.floor(i / 36) - 4), 0);
    expect(err(dequantize(q))).toBeLessThan(err(fakeQuantize(x, shape, { precision: 'int8' })) / 10);
  });
  it('asymmetric: uint8 with zero exactly representable, matches onnxruntime', async () => {
    const x = Float32Array.from(randn(200, 9), (v) => v + 2.5); // mostly positive
    const q = quantizeWeight(x, [10, 20], { precision: 'int8', symmetric: false, axis: 1 });
    expect(q.dtype).toBe('u8');
    expect(q.zeroPoint!.length).toBe(20);
    expect(Array.from(dequantize(q))).toEqual(Array.from(await ortRoundTrip(x, q)));
    const zero = fakeQuantize(Float32Array.of(0, ...x.subarray(1)), [10, 20], { precision: 'int8', symmetric: false, axis: 1 });
    expect(zero[0]).toBe(0);
  });
  it('hand case: per-tensor codes and ties to even', () => {
    // amax 1.27 → scale fround(0.01); 0.005/0.01 = 0.5 → 0 (even), 0.015/0.01 = 1.5 → 2, -1.27 → -127.
    const q = quantizeWeight([1.27, 0.005, 0.015, -1.27, 0], [5], { precision: 'int8' });
    expect(q.scale![0]).toBe(Math.fround(0.01));
    expect(Array.from(codesOf(q))).toEqual([127, 0, 2, -127, 0]);
  });
});

describe('int4 weight-only', () => {
  it('packs two codes per byte, low nibble first, sign-extends on unpack', () => {
    expect(Array.from(packBits([1, -2, 7, -8, 3], 4))).toEqual([0xe1, 0x87, 0x03]);
    expect(Array.from(unpackBits(Uint8Array.of(0xe1, 0x87, 0x03), 5, 4, true))).toEqual([1, -2, 7, -8, 3]);
    expect(Array.from(packBits([0x3f, 0, 0x2a, 1], 6))).toEqual([0x3f, 0xa0, 0x06]);
  });
  it('group-wise symmetric (i4) and asymmetric (u4) match onnxruntime blocked DequantizeLinear', async () => {
    const x = randn(16 * 40, 11);
    for (const symmetric of [true, false]) {
      const q = quantizeWeight(x, [16, 40], { precision: 'int4w', groupSize: 16, blockAxis: 1, symmetric });
      expect(q.dtype).toBe(symmetric ? 'i4' : 'u4');
      expect(q.scaleShape).toEqual([16, 3]); // 40 / 16 rounded up: a ragged last group
      expect(q.data.length).toBe(320);
      expect(Array.from(dequantize(q))).toEqual(Array.from(await ortRoundTrip(x, q)));
      expect(storageBytes(q)).toBe(320 + 48 * 4 + (symmetric ? 0 : 24));
    }
  });
  it('groups follow the reduction axis (MatMul weights [K, N] group along K)', () => {
    const x = randn(64 * 8, 13);
    const q = quantizeWeight(x, [64, 8], { precision: 'int4w', groupSize: 32, blockAxis: 0 });
    expect(q.scaleShape).toEqual([2, 8]);
    const y = dequantize(q);
    for (let i = 0; i < x.length; i++) {
      const k = Math.floor(i / 8), n = i % 8;
      expect(Math.abs(y[i] - x[i])).toBeLessThanOrEqual(q.scale![Math.floor(k / 32) * 8 + n] / 2 + 1e-7);
    }
  });
});

describe('fp8 weights', () => {
  it('e4m3 and e5m2 per channel: amax maps to the format max, codes match onnxruntime', async () => {
    const x = randn(6 * 50, 17, 3);
    for (const precision of ['fp8e4m3', 'fp8e5m2'] as const) {
      const q = quantizeWeight(x, [6, 50], { precision, axis: 0 });
      let amax = 0;
      for (let j = 0; j < 50; j++) amax = Math.max(amax, Math.abs(x[j]));
      expect(q.scale![0]).toBe(Math.fround(amax / (precision === 'fp8e4m3' ? 448 : 57344)));
      expect(Array.from(dequantize(q))).toEqual(Array.from(await ortRoundTrip(x, q)));
      expect(storageBytes(q)).toBe(300 + 24);
    }
  });
});
