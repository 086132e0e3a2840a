// The host's side of a quantized group on PIM (qdq.ts matches the body): evaluating the body's
// conversions with the reference kernels, the operands the int8 mode multiplies (u8 activation codes,
// s8 weight codes), and the int8 read-out — zero-point correction, then dequantization to f32 or
// integer requantization (src/quant) to the epilogue's codes. Untimed, like the k-split additions.
import type { Graph, Value } from '../../../src/ir/graph/graph.ts';
import { Tensor } from '../../../src/ir/graph/tensor.ts';
import { evaluateNode } from '../../../src/runtime/evaluate.ts';
import { quantizeMultiplier, requantize } from '../../../src/quant/requant.ts';
import type { GemvProblem } from '../layout.ts';
import type { Int8Gemv, QdqGemv } from './qdq.ts';

/** Evaluates body values on the host with the reference kernels (prologue conversions, epilogue). */
export class BodyEval {
  private readonly env = new Map<Value, Tensor>();
  private readonly opset: number;
  constructor(private readonly body: Graph, outerIns: readonly Tensor[]) {
    body.inputs.forEach((v, i) => this.env.set(v, outerIns[i]));
    this.opset = body.opsets[''] ?? 21;
  }
  value(v: Value): Tensor {
    let t = this.env.get(v) ?? v.constant;
    if (t) return t;
    const p = v.producer;
    if (!p) throw new Error(`PIM: body value "${v.name}" has no producer and no data`);
    const outs = evaluateNode(p.toSpec(), p.inputs.map((x) => (x ? this.value(x) : null)), this.opset);
    p.outputs.forEach((o, i) => this.env.set(o, outs[i]));
    t = this.env.get(v)!;
    return t;
  }
  /**
   * The group's output from the compute node's f32 result, or (`codes`) from the first epilogue
   * QuantizeLinear's output that the int8 read-out requantized: the rest of the epilogue runs here.
   */
  finish(q: QdqGemv, y: Tensor, codes = false): Tensor {
    this.env.set(codes ? q.epilogue[0].outputs[0] : q.compute.outputs[0], y);
    return this.value(this.body.outputs[0]);
  }
}

/** The weight codes as the banks hold them (s8; a u8 cache shifted by −128). */
export function weightCodes(i8: Int8Gemv, ev: BodyEval): Tensor {
  const t = i8.wq instanceof Tensor ? i8.wq : ev.value(i8.wq);
  return i8.wShift ? Tensor.fromNumbers('i8', t.shape, Array.from(t.toF32(), (c) => c + i8.wShift)) : t;
}

/** The activation codes in the u8 domain the PU multiplies, as a tensor of the codes' shape. */
export function activationCodes(i8: Int8Gemv, ev: BodyEval): Tensor {
  const t = ev.value(i8.xq);
  return i8.signedX ? Tensor.fromNumbers('u8', t.shape, Array.from(t.toF32(), (c) => c + 128)) : t;
}

/**
 * The host's read-out of an int8 GEMV: `acc` holds Σ_k x·w per output element (y layout of `p`, all
 * k-split parts added) of the u8 activation codes `x` and the s8 bank codes `w`; writes the compute
 * node's result (f32) or, with an output QuantizeLinear, the codes it would write (integer
 * requantization).
 */
export function int8Readout(q: QdqGemv, p: GemvProblem, acc: Float64Array, x: Float32Array, w: Float32Array, bias: Float32Array | undefined, out: Float32Array): void {
  const i8 = q.int8!, alpha = p.x.scale;
  const sumX = Array.from({ length: p.M }, (_, m) => { let s = 0; for (let k = 0; k < p.K; k++) s += x[p.x.off + m * p.x.s0 + k * p.x.s1]; return s; });
  for (let n = 0; n < p.N; n++) {
    let sumW = 0;
    for (let k = 0; k < p.K; k++) sumW += w[p.w.off + n * p.w.s0 + k * p.w.s1];
    // Σ (x − zx)(w − zw) = Σ x·w − zw·Σx − zx·Σw + K·zx·zw: exact integers (zw is 0 for weights).
    const corrN = -i8.zx * sumW + p.K * i8.zx * i8.zw;
    const scale = Math.fround(Math.fround(alpha * i8.sx) * i8.sw[n]);
    const mult = i8.oq ? quantizeMultiplier(scale / i8.oq.s) : undefined;
    for (let m = 0; m < p.M; m++) {
      const at = p.y.off + m * p.y.s0 + n * p.y.s1;
      const b = bias && p.bias ? bias[p.bias.off + m * p.bias.s0 + n * p.bias.s1] * p.bias.scale : 0;
      const a = acc[at] + corrN - i8.zw * sumX[m];
      if (i8.oq && mult) {
        const bq = Math.sign(b) * Math.round(Math.abs(b / scale)); // the bias folded into int32 (ties away from 0)
        out[at] = requantize(a + bq, mult.multiplier, mult.shift, i8.oq.zp, i8.oq.lo, i8.oq.hi);
      } else {
        out[at] = Math.fround(Math.fround(a * scale) + b);
      }
    }
  }
}
