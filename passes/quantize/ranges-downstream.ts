// Activation ranges chosen by what the consumers compute, not by the tensor's own error. `mseRanges`
// picks each clip factor by the tensor's quantization MSE; but an error in a channel the next conv
// weights heavily costs more than one in a channel it ignores, and a clipped outlier may matter more
// (or less) than the rounding noise it saves. Here each candidate range of a value is judged by the
// output error of the quantized groups reading it (the value fake-quantized, everything else f32,
// on the kept calibration activations), normalized per consumer by its output energy.
import { Graph, type Node, type TensorType, type ValueSpec } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { activationParams, type Range } from '../../src/quant/activations.ts';
import { dequantizeInt, quantizeInt } from '../../src/quant/affine.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import type { Calibration } from './calibrate.ts';
import { quantGroups } from './groups.ts';

/** Clip factors of the min/max range tried, besides the calibration's own range. */
const CLIPS = [1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3];

/** Per value read by a quantizable group: the candidate range with the least consumer output error. */
export function downstreamRanges(g: Graph, c: Calibration, samples = 8): Calibration {
  const groups = new Set(quantGroups(g).map((q) => q.node));
  const envs = c.activations.slice(0, samples);
  const ranges = new Map(c.ranges);
  for (const [name, mm] of c.extremes) {
    const v = g.value(name);
    const readers = v ? v.consumers.filter((n) => groups.has(n)) : [];
    if (!readers.length || !envs.every((e) => e.has(name))) continue;
    const cands: Range[] = [c.ranges.get(name)!, ...CLIPS.map((f) => ({ min: mm.min * f, max: mm.max * f }))];
    let best = cands[0], bestErr = Infinity;
    const alone = readers.map((n) => single(g, n));
    for (const r of cands) {
      const p = activationParams(r, 'int8');
      let err = 0;
      for (const env of envs) {
        const x = env.get(name)!;
        const xq = new Tensor('f32', x.shape, dequantizeInt(quantizeInt(x.toF32(), null, [p.scale], [p.zeroPoint], 'u8'), null, [p.scale], [p.zeroPoint]));
        readers.forEach((n, k) => {
          const inputs = Object.fromEntries(alone[k].inputs.map((i) => [i.name, i.name === name ? xq : env.get(i.name)!]));
          const out = runGraph(alone[k], inputs);
          n.outputs.forEach((o) => { err += relErr(env.get(o.name)!, out[o.name]); });
        });
      }
      if (err < bestErr) { bestErr = err; best = r; }
    }
    ranges.set(name, best);
  }
  return { ...c, ranges, method: 'downstream' };
}

function relErr(ref: Tensor, got: Tensor): number {
  const a = ref.toF32(), b = got.toF32();
  let s = 0, e = 0;
  for (let i = 0; i < a.length; i++) { s += a[i] * a[i]; e += (a[i] - b[i]) ** 2; }
  return s > 0 ? e / s : e;
}

/** Node n alone: its activation inputs as graph inputs, its constants, its outputs. */
function single(g: Graph, n: Node): Graph {
  const inputs: ValueSpec[] = [], constants: ValueSpec[] = [];
  for (const v of new Set(n.inputs)) if (v) (v.isConstant ? constants : inputs).push({ name: v.name, type: v.type, constant: v.constant });
  const types = new Map<string, TensorType>(n.outputs.map((o) => [o.name, o.type]));
  return Graph.build({ name: n.name, opsets: g.opsets, inputs, constants, nodes: [n.toSpec()], outputs: n.outputs.map((o) => o.name), types });
}
