// Cross-layer equalization (Nagel et al., "Data-Free Quantization", ICCV 2019). For two convolutions
// joined by positively homogeneous ops (f(s·x) = s·f(x) for s > 0: Relu, LeakyRelu, Identity,
// MaxPool), dividing output channel i of the first conv (weights and bias) by s_i and multiplying
// input channel i of the second by s_i leaves the model's output unchanged in exact arithmetic.
// Choosing s_i = sqrt(r1_i / r2_i) (r = per-channel |w| max) gives both weights the same per-channel
// range sqrt(r1_i · r2_i), so per-channel int8 weights of a depthwise conv stop wasting codes on
// channels the next layer barely uses. Chains (conv → conv → conv) are equalized by sweeping the
// pairs until the scales settle. Runs on the float fused graph before calibration.
import { Graph, type Node } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { members } from './groups.ts';

/** Ops through which a per-channel positive scale passes unchanged. */
const HOMOGENEOUS: ReadonlySet<string> = new Set(['Relu', 'LeakyRelu', 'Identity', 'MaxPool']);

export interface EqualizeOptions {
  /** Sweeps over all pairs (chains need several; default 20). */
  readonly sweeps?: number;
}

/** One equalizable pair: the weights/bias (outer constants) of both convs and the consumer's grouping. */
export interface ConvPair {
  readonly first: string;
  readonly w1: string;
  readonly b1?: string;
  readonly second: string;
  readonly w2: string;
  readonly groups2: number;
}

/** Conv members of node n whose output channels may be rescaled: the node's first member, all the
 *  others homogeneous (the scale reaches the node's output unchanged). */
function headConv(g: Graph, n: Node): Node | undefined {
  const ms = members(n);
  const c = ms[0];
  if (c.op !== 'Conv' || !ms.slice(1).every((m) => HOMOGENEOUS.has(m.op) && m.inputs.length === 1)) return undefined;
  if (!ownConstant(g, c.input(1)?.name, n) || (c.input(2) && !ownConstant(g, c.input(2)!.name, n))) return undefined;
  return c;
}

/** A constant f32 initializer of the outer graph read by node n only. */
function ownConstant(g: Graph, name: string | undefined, n: Node): boolean {
  const v = name ? g.value(name) : undefined;
  return !!v?.isConstant && v.type.dtype === 'f32' && v.consumers.length === 1 && v.consumers[0] === n;
}

/** Every (conv → homogeneous ops → conv) pair of g whose intermediate values have one consumer. */
export function findPairs(g: Graph): ConvPair[] {
  const outputs = new Set(g.outputs.map((v) => v.name));
  const pairs: ConvPair[] = [];
  for (const n of g.nodes) {
    const c1 = headConv(g, n);
    if (!c1 || n.outputs.length !== 1) continue;
    let v = n.outputs[0];
    for (;;) {
      if (outputs.has(v.name) || v.consumers.length !== 1) break;
      const next = v.consumers[0];
      const ms = members(next);
      if (ms.every((m) => HOMOGENEOUS.has(m.op)) && next.outputs.length === 1 && next.inputs.filter((x) => x).length === 1) { v = next.outputs[0]; continue; }
      const c2 = ms[0];
      if (c2.op !== 'Conv' || c2.input(0)?.name !== v.name || !ownConstant(g, c2.input(1)?.name, next)) break;
      const ch = Number(c1.input(1)!.type.shape[0]), cin = Number(c2.input(1)!.type.shape[1]) * c2.attr.int('group', 1);
      if (ch !== cin) break;
      pairs.push({ first: n.name, w1: c1.input(1)!.name, b1: c1.input(2)?.name, second: next.name, w2: c2.input(1)!.name, groups2: c2.attr.int('group', 1) });
      break;
    }
  }
  return pairs;
}

/** Per output channel |w| max of a Conv weight [M, C/g, …]. */
function rowRanges(w: Float32Array, m: number): Float64Array {
  const r = new Float64Array(m), k = w.length / m;
  for (let o = 0; o < m; o++) for (let i = o * k; i < (o + 1) * k; i++) r[o] = Math.max(r[o], Math.abs(w[i]));
  return r;
}

/** Visits every element of weight [M, C/g, …] (g groups) with its input channel index. */
function forInputChannels(shape: readonly number[], groups: number, f: (index: number, channel: number) => void): void {
  const m = shape[0], cpg = shape[1], k = shape.slice(2).reduce((a, b) => a * b, 1), mpg = m / groups;
  for (let o = 0; o < m; o++) {
    const base = Math.floor(o / mpg) * cpg;
    for (let j = 0; j < cpg; j++) for (let t = 0; t < k; t++) f((o * cpg + j) * k + t, base + j);
  }
}

function colRanges(w: Float32Array, shape: readonly number[], groups: number, c: number): Float64Array {
  const r = new Float64Array(c);
  forInputChannels(shape, groups, (i, ch) => { r[ch] = Math.max(r[ch], Math.abs(w[i])); });
  return r;
}

/** Equalizes every pair of g; returns a graph whose outputs equal g's (up to f32 rounding). */
export function equalizeCrossLayer(g: Graph, opts: EqualizeOptions = {}): Graph {
  const pairs = findPairs(g);
  if (!pairs.length) return g;
  const data = new Map<string, Float32Array>();
  const get = (name: string) => {
    let d = data.get(name);
    if (!d) data.set(name, (d = Float32Array.from(g.value(name)!.constant!.toF32())));
    return d;
  };
  for (let s = 0; s < (opts.sweeps ?? 20); s++) {
    let moved = 0;
    for (const p of pairs) moved = Math.max(moved, equalizePair(p, get, g));
    if (moved < 1e-4) break;
  }
  const spec = g.toSpec();
  const constants = spec.constants.map((c) => {
    const d = data.get(c.name);
    return d ? { ...c, constant: new Tensor('f32', c.constant!.shape, d) } : c;
  });
  return Graph.build({ ...spec, constants });
}

/** One pair, in place on the weight arrays; returns max |log s_i| (how far it still moved). */
function equalizePair(p: ConvPair, get: (name: string) => Float32Array, g: Graph): number {
  const s1 = g.value(p.w1)!.type.shape.map(Number), s2 = g.value(p.w2)!.type.shape.map(Number);
  const w1 = get(p.w1), w2 = get(p.w2), m = s1[0];
  const r1 = rowRanges(w1, m), r2 = colRanges(w2, s2, p.groups2, m);
  const scale = new Float64Array(m);
  let moved = 0;
  for (let i = 0; i < m; i++) {
    scale[i] = r1[i] > 0 && r2[i] > 0 ? Math.sqrt(r1[i] / r2[i]) : 1;
    moved = Math.max(moved, Math.abs(Math.log(scale[i])));
  }
  const k = w1.length / m;
  for (let o = 0; o < m; o++) for (let i = o * k; i < (o + 1) * k; i++) w1[i] /= scale[o];
  if (p.b1) { const b = get(p.b1); for (let o = 0; o < m; o++) b[o] /= scale[o]; }
  forInputChannels(s2, p.groups2, (i, ch) => { w2[i] *= scale[ch]; });
  return moved;
}
