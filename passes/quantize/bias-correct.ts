// Empirical bias correction (Nagel et al. 2019 §4.2; AIMET's "empirical" variant). Per-channel int8
// weights round each weight independently, but the error of a channel's dot product does not average
// out when the inputs have a non-zero mean (after ReLU / hard-swish they do): E[(W_q − W)·x] is a
// per-output-channel offset that the following layers amplify. Measured on the calibration set with
// the group's own input quantization too (clipping biases the mean as well), it is subtracted from
// the f32 bias, which the quantized graph keeps in float (an int8 target folds it into int32).
import { Graph, type Node, type TensorType } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { activationParams, type Range } from '../../src/quant/activations.ts';
import { dequantizeInt, quantizeInt } from '../../src/quant/affine.ts';
import type { Precision } from '../../src/quant/precision.ts';
import { fakeQuantize } from '../../src/quant/weights.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { type QGroup, quantGroups } from './groups.ts';

export interface BiasCorrectionInput {
  /** Precision per group (only int8 groups are corrected). */
  readonly precisions: ReadonlyMap<string, Precision>;
  /** Calibrated activation ranges (the ones the quantized graph will use). */
  readonly ranges: ReadonlyMap<string, Range>;
  /** Per calibration sample, every boundary value of the float graph (calibrate()'s `activations`). */
  readonly activations: readonly ReadonlyMap<string, Tensor>[];
}

/** g with the bias of each int8 Conv/Gemm group shifted by minus its mean quantization error. */
export function correctBias(g: Graph, c: BiasCorrectionInput): Graph {
  const biases = new Map<string, Tensor>();
  for (const q of quantGroups(g)) {
    if (c.precisions.get(q.name) !== 'int8') continue;
    const b = correctable(g, q);
    if (!b) continue;
    const shift = meanError(g, q, c);
    if (!shift) continue;
    const old = b.constant!.toF32(), next = new Float32Array(old.length);
    for (let o = 0; o < old.length; o++) next[o] = old[o] - shift[o];
    biases.set(b.name, new Tensor('f32', b.constant!.shape, next));
  }
  const spec = g.toSpec();
  return Graph.build({ ...spec, constants: spec.constants.map((v) => (biases.has(v.name) ? { ...v, constant: biases.get(v.name)! } : v)) });
}

/** The bias of a group whose compute member reads a group input and owns a constant 1-D bias. */
function correctable(g: Graph, q: QGroup) {
  const c = q.compute;
  const gemmOk = c.op === 'Gemm' && c.attr.int('transA', 0) === 0 && c.attr.float('beta', 1) === 1;
  if (c.op !== 'Conv' && !gemmOk) return undefined;
  const x = c.input(0), b = c.input(2) ? g.value(c.input(2)!.name) : undefined;
  if (!x || !g.value(x.name) || g.value(x.name)!.isConstant) return undefined;
  if (!b?.isConstant || b.type.dtype !== 'f32' || b.type.shape.length !== 1 || b.consumers.length !== 1) return undefined;
  return b;
}

/** Mean over samples and positions of (quantized − float) compute output, per output channel. */
function meanError(g: Graph, q: QGroup, c: BiasCorrectionInput): Float64Array | undefined {
  const x = q.compute.input(0)!.name, range = c.ranges.get(x);
  if (!range) return undefined;
  const w = q.weight.constant!;
  const wq = new Tensor('f32', w.shape, fakeQuantize(w.toF32(), w.shape, { precision: 'int8', axis: q.axis, symmetric: true }));
  const one = computeAlone(g, q.compute);
  const p = activationParams(range, 'int8');
  const out = q.compute.outputs[0].type.shape.map(Number); // [N, M, …] for Conv and Gemm
  const m = out[1], inner = out.slice(2).reduce((a, d) => a * d, 1);
  const sum = new Float64Array(m);
  let count = 0;
  for (const env of c.activations) {
    const xf = env.get(x);
    if (!xf) return undefined;
    const ref = runGraph(one, { x: xf, w }).y.toF32();
    const got = runGraph(one, { x: fakeQuantizeActivation(xf, p.scale, p.zeroPoint), w: wq }).y.toF32();
    for (let i = 0; i < ref.length; i++) sum[Math.floor(i / inner) % m] += got[i] - ref[i];
    count += ref.length / m;
  }
  return count ? sum.map((s) => s / count) : undefined;
}

/** The compute node alone, without its bias: inputs x and w, output y. */
function computeAlone(g: Graph, c: Node): Graph {
  const xt = c.input(0)!.type, wt = c.input(1)!.type;
  const types = new Map<string, TensorType>([['y', c.outputs[0].type]]);
  return Graph.build({
    name: `${c.name}_alone`, opsets: g.opsets, inputs: [{ name: 'x', type: xt }, { name: 'w', type: wt }], constants: [],
    nodes: [{ name: c.name, op: c.op, inputs: ['x', 'w'], outputs: ['y'], attrs: c.attrs }], outputs: ['y'], types,
  });
}

/** u8 QuantizeLinear → DequantizeLinear with part A's arithmetic (what the quantized graph runs). */
function fakeQuantizeActivation(t: Tensor, scale: number, zp: number): Tensor {
  return new Tensor('f32', t.shape, dequantizeInt(quantizeInt(t.toF32(), null, [scale], [zp], 'u8'), null, [scale], [zp]));
}
