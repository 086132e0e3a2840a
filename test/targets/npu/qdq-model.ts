// A QDQ test model in the standard ONNX format the quantizer writes (passes/quantize/README.md):
// per-tensor asymmetric int8 activations (QuantizeLinear → DequantizeLinear at each layer input),
// symmetric per-output-channel int8 weights (DequantizeLinear of an i8 initializer), f32 biases,
// Relu between a conv and its output QuantizeLinear, a residual Add in float, a depthwise conv, a
// float graph output. Activation scales come
// from a float run of the same network on onnxruntime (min/max calibration).
import { OnnxBuilder } from '../../../models/builder.ts';
import { Tensor } from '../../../src/ir/graph/tensor.ts';
import { rng } from '../../../src/runtime/random.ts';
import { runOrt } from '../../../src/driver/ort.ts';
import type { TensorMap } from '../../../src/runtime/interpreter.ts';

/** `qOut`: the layer's output is quantized before its Relu (QuantizeLinear → DequantizeLinear → Relu,
 *  as the quantizer writes a group followed by a float op). */
interface Layer { op: 'Conv' | 'Gemm'; w: Tensor; b: Tensor; attrs: Record<string, number[] | number>; relu: boolean; qOut?: boolean; residual?: boolean }

function layers(): Layer[] {
  const r = rng(11);
  const t = (shape: number[], scale: number) => Tensor.fromNumbers('f32', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * scale));
  return [
    { op: 'Conv', w: t([16, 4, 3, 3], 0.4), b: t([16], 0.2), attrs: { pads: [1, 1, 1, 1] }, relu: true },
    { op: 'Conv', w: t([16, 16, 1, 1], 0.3), b: t([16], 0.1), attrs: {}, relu: true, residual: true },
    { op: 'Conv', w: t([16, 1, 3, 3], 0.5), b: t([16], 0.1), attrs: { group: 16, pads: [1, 1, 1, 1] }, relu: true },
    { op: 'Conv', w: t([12, 16, 1, 1], 0.3), b: t([12], 0.1), attrs: {}, relu: true, qOut: true },
    { op: 'Conv', w: t([8, 12, 3, 3], 0.2), b: t([8], 0.1), attrs: { strides: [2, 2], pads: [0, 0, 1, 1] }, relu: true, qOut: true },
    { op: 'Gemm', w: t([10, 8 * 5 * 5], 0.1), b: t([10], 0.1), attrs: { transB: 1 }, relu: false },
  ];
}

/** Builds the float network; with `q` (activation scales/zero points per layer input, and the last
 *  int8 layer's output parameters) the QDQ network. Returns the bytes and each layer input's name. */
function build(q: { s: number; zp: number }[] | null): { bytes: Uint8Array; taps: string[] } {
  const b = new OnnxBuilder({ opset: 17 });
  let x = b.input('x', 'f32', [1, 4, 10, 10]);
  const taps: string[] = [];
  const scalar = (dt: 'f32' | 'i8', v: number) => b.initializer(Tensor.fromNumbers(dt, [], [v]));
  // Every quantization point is a tap: its float value calibrates the scale, in creation order.
  const qdq = (v: string) => {
    const i = taps.length;
    taps.push(v);
    if (!q) return v;
    const s = scalar('f32', q[i].s), zp = scalar('i8', q[i].zp);
    return b.op('DequantizeLinear', [b.op('QuantizeLinear', [v, s, zp]), s, zp]);
  };
  layers().forEach((l) => {
    if (l.op === 'Gemm') x = b.op('Flatten', [x]);
    const xin = qdq(x);
    let w: string;
    if (q) {
      const C = l.w.shape[0], K = l.w.size / C, d = l.w.toNumbers();
      const sc = Array.from({ length: C }, (_, c) => Math.max(1e-6, ...d.slice(c * K, (c + 1) * K).map(Math.abs)) / 127);
      const wq = Tensor.fromNumbers('i8', [...l.w.shape], d.map((v, k) => Math.max(-127, Math.min(127, Math.round(v / sc[Math.floor(k / K)])))));
      w = b.op('DequantizeLinear', [b.initializer(wq), b.initializer(Tensor.fromNumbers('f32', [C], sc)), b.initializer(Tensor.fromNumbers('i8', [C], new Array(C).fill(0)))], { axis: 0 });
    } else w = b.initializer(l.w);
    const skip = x;
    x = b.op(l.op, [xin, w, b.initializer(l.b)], l.attrs);
    if (l.residual) x = b.op('Add', [x, skip]);
    if (l.qOut) x = qdq(x);
    if (l.relu) x = b.op('Relu', [x]);
  });
  b.output(x, 'f32');
  return { bytes: b.toBytes(), taps };
}

/** The same network in f32 (for comparing DRAM traffic and cycles with the int8 one). */
export function floatModel(): Uint8Array { return build(null).bytes; }

export async function qdqModel(): Promise<{ bytes: Uint8Array; inputs: TensorMap }> {
  const r = rng(5);
  const inputs = { x: Tensor.fromNumbers('f32', [1, 4, 10, 10], Array.from({ length: 400 }, () => r() * 2 - 1)) };
  const float = build(null);
  // Calibrate on the float network: expose every layer input as an output.
  const ranges: { s: number; zp: number }[] = [];
  const outs = await runOrt(withOutputs(float.bytes, float.taps), inputs, { optimization: 'disabled' });
  for (const t of float.taps) {
    const v = outs[t].toNumbers(), lo = Math.min(0, ...v), hi = Math.max(0, ...v);
    const s = (hi - lo) / 255 || 1;
    ranges.push({ s, zp: Math.max(-128, Math.min(127, Math.round(-128 - lo / s))) });
  }
  return { bytes: build(ranges).bytes, inputs };
}

import { onnx } from '../../../src/frontend/onnx/proto.ts';
function withOutputs(bytes: Uint8Array, names: string[]): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  for (const n of names) if (!m.graph!.output!.some((o) => o.name === n)) m.graph!.output!.push({ name: n });
  return onnx.ModelProto.encode(m).finish();
}
