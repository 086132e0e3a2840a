// Operator splitting for placement (opt-in): a MatMul by a large constant weight W[K, N] becomes
// `parts` MatMuls by column blocks of W and a Concat on the last axis, so the placement may run the
// blocks on different devices at once (tensor parallelism across NPU and PIM: at batch 8 the NPU is
// faster per block but PIM's blocks run beside it). The DP decides; all blocks on one device cost
// what the whole did plus a small Concat. Runs on the unfused graph (before `fuse`).
import { Graph, type NodeSpec, type TensorType, type ValueSpec } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';

export interface SplitOptions {
  /** Column blocks per MatMul (N must divide evenly). */
  readonly parts: number;
  /** Only weights at least this large (bytes). */
  readonly minWeightBytes?: number;
  /** Explicit block widths per MatMul node name (then `parts` and `minWeightBytes` are not used). */
  readonly widths?: ReadonlyMap<string, readonly number[]>;
}

function columns(w: Tensor, from: number, to: number): Tensor {
  const [K, N] = w.shape, src = w.data as Float32Array, n = to - from;
  const out = new Float32Array(K * n);
  for (let k = 0; k < K; k++) out.set(src.subarray(k * N + from, k * N + to), k * n);
  return new Tensor('f32', [K, n], out);
}

/** Weight MatMuls the split applies to: a constant 2-D f32 weight, static output shape. */
export function splittable(n: { op: string; inputs: readonly ({ constant?: Tensor } | null | undefined)[]; outputs: readonly { type: { shape: readonly (number | string)[] } }[] }): Tensor | undefined {
  const w = n.inputs[1]?.constant;
  if (n.op !== 'MatMul' || !w || w.dtype !== 'f32' || w.shape.length !== 2 || !n.outputs[0].type.shape.every((d) => typeof d === 'number')) return undefined;
  return w;
}

export function splitMatMuls(g: Graph, o: SplitOptions): Graph {
  const min = o.minWeightBytes ?? 1 << 20;
  const widths = new Map<string, number[]>();
  for (const n of g.nodes) {
    const w = splittable(n);
    const N = w?.shape[1] ?? 0;
    if (w && N % o.parts === 0 && w.byteLength >= min) widths.set(n.name, new Array<number>(o.parts).fill(N / o.parts));
  }
  return splitMatMulsBy(g, widths);
}

/**
 * Cuts the named MatMuls into column blocks of the given widths (summing to N), e.g. two uneven
 * blocks sized so that two devices finish their parts together (the driver's `split: 'balanced'`).
 */
export function splitMatMulsBy(g: Graph, widths: ReadonlyMap<string, readonly number[]>): Graph {
  const spec = g.toSpec();
  const constants: ValueSpec[] = [...spec.constants];
  const types = new Map<string, TensorType>(spec.types);
  const nodes: NodeSpec[] = [];
  for (const n of g.nodes) {
    const w = splittable(n), cut = widths.get(n.name);
    const y = n.outputs[0];
    if (!w || !cut || cut.reduce((a, b) => a + b, 0) !== w.shape[1] || cut.some((c) => c <= 0)) {
      nodes.push(n.toSpec());
      continue;
    }
    const parts: string[] = [];
    let from = 0;
    cut.forEach((width, p) => {
      const wName = `${n.inputs[1]!.name}__cols${p}`, out = `${y.name}__part${p}`;
      constants.push({ name: wName, type: { dtype: 'f32', shape: [w.shape[0], width] }, constant: columns(w, from, from + width) });
      types.set(out, { dtype: y.type.dtype, shape: [...y.type.shape.slice(0, -1), width] });
      nodes.push({ name: `${n.name}__part${p}`, op: 'MatMul', domain: n.domain, inputs: [n.inputs[0]!.name, wName], outputs: [out], attrs: {} });
      parts.push(out);
      from += width;
    });
    nodes.push({ name: `${n.name}__concat`, op: 'Concat', domain: '', inputs: parts, outputs: [y.name], attrs: { axis: { kind: 'int', value: -1 } } });
  }
  const used = new Set([...nodes.flatMap((n) => n.inputs), ...spec.outputs]);
  return Graph.build({ ...spec, constants: constants.filter((c) => used.has(c.name)), nodes, types });
}
