// Reference kernels of control flow. If runs the chosen branch; Loop and Scan run their body once
// per iteration through the interpreter (ctx.runSubgraph), feeding the body's inputs by name.
import type { Graph } from '../../ir/graph/graph.ts';
import { Tensor, sizeOf } from '../../ir/graph/tensor.ts';
import { normalizeAxis, scanAttrs } from '../../ir/graph/ops/control.ts';
import { defineKernel, type KernelCtx, type KernelNode } from '../kernel.ts';
import { fail } from './util.ts';

/** More iterations than any real model runs: a bound so that a malformed trip count cannot hang us. */
const MAX_ITERATIONS = 1 << 22;

function truth(node: KernelNode, t: Tensor | null | undefined, what: string): boolean {
  if (!t || t.size !== 1) fail(node, `${what} must hold exactly one value, got shape [${t?.shape ?? ''}]`);
  return Number(t.data[0]) !== 0;
}

function run(node: KernelNode, ctx: KernelCtx, g: Graph, feeds: readonly Tensor[]): Tensor[] {
  if (feeds.length !== g.inputs.length) fail(node, `the body takes ${g.inputs.length} inputs, got ${feeds.length}`);
  return ctx.runSubgraph(g, new Map(g.inputs.map((v, i) => [v.name, feeds[i]])));
}

defineKernel('If', ([cond], node, ctx) => {
  const branch = node.attr.graph(truth(node, cond, 'cond') ? 'then_branch' : 'else_branch');
  return ctx.runSubgraph(branch, new Map());
}, 'any');

/** Copies src[from, to) into dst at `at`; both arrays hold the same element type. */
function copy(dst: Tensor['data'], at: number, src: Tensor['data'], from: number, to: number): void {
  (dst as Float32Array).set((src as Float32Array).subarray(from, to), at);
}

/** Stacks same-shaped tensors along a new axis (reversed order when `reverse`). */
function stack(node: KernelNode, parts: readonly Tensor[], axis: number, reverse: boolean, empty: Tensor | undefined): Tensor {
  if (parts.length === 0) {
    const shape = [...(empty?.shape ?? [])];
    shape.splice(axis, 0, 0);
    return new Tensor(empty?.dtype ?? 'f32', shape);
  }
  const first = parts[0];
  for (const p of parts) {
    if (p.dtype !== first.dtype || p.rank !== first.rank || p.shape.some((d, i) => d !== first.shape[i])) {
      fail(node, `iterations produced different scan output shapes: [${first.shape}] and [${p.shape}]`);
    }
  }
  const shape = [...first.shape];
  shape.splice(axis, 0, parts.length);
  const out = new Tensor(first.dtype, shape);
  const outer = sizeOf(first.shape.slice(0, axis)), inner = sizeOf(first.shape.slice(axis));
  parts.forEach((p, t) => {
    const at = reverse ? parts.length - 1 - t : t;
    for (let o = 0; o < outer; o++) copy(out.data, (o * parts.length + at) * inner, p.data, o * inner, (o + 1) * inner);
  });
  return out;
}

/** The slice t of x along axis (the axis removed). */
function slice(x: Tensor, axis: number, t: number): Tensor {
  const shape = x.shape.filter((_, i) => i !== axis);
  const out = new Tensor(x.dtype, shape);
  const outer = sizeOf(x.shape.slice(0, axis)), inner = sizeOf(x.shape.slice(axis + 1)), n = x.shape[axis];
  for (let o = 0; o < outer; o++) copy(out.data, o * inner, x.data, (o * n + t) * inner, (o * n + t + 1) * inner);
  return out;
}

/** An empty scan output's per-iteration shape: the body's declared shape with symbols as 0. */
function emptyPart(g: Graph, i: number): Tensor {
  const t = g.outputs[i].type;
  return new Tensor(t.dtype, t.shape.map((d) => (typeof d === 'number' ? d : 0)));
}

defineKernel('Loop', ([M, condIn, ...initial], node, ctx) => {
  const body = node.attr.graph('body');
  const N = initial.length;
  const trips = M ? Number(M.data[0]) : Infinity;
  let cond = condIn ? truth(node, condIn, 'cond') : true;
  let state = initial.map((t, k) => t ?? fail(node, `loop-carried input ${k} is missing`));
  const scans: Tensor[][] = body.outputs.slice(1 + N).map(() => []);
  let i = 0;
  for (; i < trips && cond; i++) {
    if (i >= MAX_ITERATIONS) fail(node, `stopped after ${MAX_ITERATIONS} iterations (trip count ${M ? trips : 'unbounded'})`);
    const outs = run(node, ctx, body, [Tensor.scalar('i64', i), Tensor.fromNumbers('bool', [], [1]), ...state]);
    cond = truth(node, outs[0], 'the body\'s condition output');
    state = outs.slice(1, 1 + N);
    scans.forEach((s, j) => s.push(outs[1 + N + j]));
  }
  return [...state, ...scans.map((s, j) => stack(node, s, 0, false, s.length ? undefined : emptyPart(body, 1 + N + j)))];
}, 'any');

defineKernel('Scan', (inputs, node, ctx) => {
  const body = node.attr.graph('body');
  const ins = inputs.map((t, i) => t ?? fail(node, `input ${i} is missing`));
  const a = scanAttrs(node.attr, ins.length, body.outputs.length, (m) => fail(node, m));
  const N = a.states;
  const xs = ins.slice(N), axes = xs.map((x, j) => normalizeAxis(a.inAxes[j], x.rank, (m) => fail(node, m)));
  const seq = xs[0].shape[axes[0]];
  xs.forEach((x, j) => { if (x.shape[axes[j]] !== seq) fail(node, `scan input ${j} has ${x.shape[axes[j]]} steps, input 0 has ${seq}`); });
  let state = ins.slice(0, N);
  const scans: Tensor[][] = body.outputs.slice(N).map(() => []);
  for (let t = 0; t < seq; t++) {
    const slices = xs.map((x, j) => slice(x, axes[j], a.inReverse[j] ? seq - 1 - t : t));
    const outs = run(node, ctx, body, [...state, ...slices]);
    state = outs.slice(0, N);
    scans.forEach((s, j) => s.push(outs[N + j]));
  }
  return [...state, ...scans.map((s, j) => {
    const rank = (s[0]?.rank ?? body.outputs[N + j].type.shape.length) + 1;
    return stack(node, s, normalizeAxis(a.outAxes[j], rank, (m) => fail(node, m)), a.outReverse[j], s.length ? undefined : emptyPart(body, N + j));
  })];
}, 'any');
