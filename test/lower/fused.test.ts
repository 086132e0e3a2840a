// Fused nodes (a node carrying a body graph, built by hand here; the fusion pass is elsewhere) lower
// to one loop nest: element-wise producers and epilogues inline into the complex op, so the function
// has one output buffer and allocates nothing, and it computes what the body's nodes compute.
import { describe, expect, it } from 'vitest';
import type { Attrs } from '../../src/ir/graph/attrs.ts';
import type { DType } from '../../src/ir/graph/dtype.ts';
import { Graph, type NodeSpec, type TensorType } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import type { Stmt } from '../../src/ir/tensor/stmt.ts';
import { stmtChildren } from '../../src/ir/tensor/stmt.ts';
import { runFunc } from '../../src/ir/tensor/interp/run.ts';
import { printFunc } from '../../src/ir/tensor/print.ts';
import { verifyFunc } from '../../src/ir/tensor/verify.ts';
import { compareTensors } from '../../src/runtime/compare.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { lowerGraph, lowerKernel } from '../../src/lower/lower.ts';
import { TOL } from './compare.ts';

const t = (dtype: DType, ...shape: number[]): TensorType => ({ dtype, shape });
const f = (...shape: number[]) => t('f32', ...shape);
const int = (value: number) => ({ kind: 'int' as const, value });

interface Fusion {
  /** Body inputs (also the fused node's inputs, in order) with their types. */
  inputs: [string, TensorType][];
  /** One-element constants inside the body. */
  scalars?: [string, number][];
  nodes: (Omit<NodeSpec, 'name'> & { type: TensorType })[];
}

/** An outer graph with one fused node whose body is `fusion`, and that body. */
function fused(fz: Fusion): { graph: Graph; body: Graph } {
  const types = new Map(fz.nodes.map((n) => [n.outputs[0], n.type]));
  const last = fz.nodes[fz.nodes.length - 1];
  const body = Graph.build({
    name: 'body', opsets: { '': 17 },
    inputs: fz.inputs.map(([name, type]) => ({ name, type })),
    constants: (fz.scalars ?? []).map(([name, v]) => ({ name, type: f(), constant: Tensor.scalar('f32', v) })),
    nodes: fz.nodes.map((n, i) => ({ ...n, name: `${n.op.toLowerCase()}_${i}` })),
    outputs: [last.outputs[0]], types,
  });
  const graph = Graph.build({
    name: 'outer', opsets: { '': 17 },
    inputs: fz.inputs.map(([name, type]) => ({ name: `outer_${name}`, type })), constants: [],
    nodes: [{ name: 'fused_0', op: 'Fused', inputs: fz.inputs.map(([n]) => `outer_${n}`), outputs: ['out'], body }],
    outputs: ['out'], types: new Map([['out', last.type]]),
  });
  return { graph, body };
}

function allocations(s: Stmt): number {
  return (s.kind === 'allocate' ? 1 : 0) + stmtChildren(s).reduce((n, c) => n + allocations(c), 0);
}

/** Lowers the fused node, checks it against the body run by the reference runtime, returns the function. */
function check(fz: Fusion, expectInlined = true) {
  const { graph, body } = fused(fz);
  const values = fz.inputs.map(([, type], i) => randomTensor(type.dtype, type.shape as number[], 10 + i));
  const ref = runGraph(body, Object.fromEntries(fz.inputs.map(([n], i) => [n, values[i]])));
  const call = lowerKernel(graph.nodes[0]);
  verifyFunc(call.func);
  const text = printFunc(call.func);
  const out = runFunc(call.func, call.inputs.map((v) => values[graph.inputs.indexOf(v)]));
  const d = compareTensors('out', out[0], ref[body.outputs[0].name], TOL);
  expect(d.ok, `max|a-b| = ${d.maxAbs}, max|ref| = ${d.maxRef}\n${text}`).toBe(true);
  if (expectInlined) {
    expect(call.func.outputs.length).toBe(1);
    expect(allocations(call.func.body), text).toBe(0);
  }
  return { call, text };
}

describe('fused nodes lower to one loop nest', () => {
  it('Conv + Add(bias) + Relu: the epilogue is applied in place in the output', () => {
    const { text } = check({
      inputs: [['x', f(1, 3, 8, 8)], ['w', f(4, 3, 3, 3)], ['b', f(4)], ['b2', f(1, 4, 1, 1)]],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { pads: { kind: 'ints', value: [1, 1, 1, 1] } } as Attrs, type: f(1, 4, 8, 8) },
        { op: 'Add', inputs: ['c', 'b2'], outputs: ['a'], type: f(1, 4, 8, 8) },
        { op: 'Relu', inputs: ['a'], outputs: ['y'], type: f(1, 4, 8, 8) },
      ],
    });
    expect(text).toContain("out[i0, i1, i2, i3] = max(out[i0, i1, i2, i3] + outer_b[i1] + outer_b2[0, i1, 0, 0], 0.0);");
  });

  it('MatMul + Add + Gelu written out with Erf', () => {
    check({
      inputs: [['x', f(2, 5, 8)], ['w', f(8, 6)], ['bias', f(6)]],
      scalars: [['sqrt2', Math.SQRT2], ['one', 1], ['half', 0.5]],
      nodes: [
        { op: 'MatMul', inputs: ['x', 'w'], outputs: ['m'], type: f(2, 5, 6) },
        { op: 'Add', inputs: ['m', 'bias'], outputs: ['h'], type: f(2, 5, 6) },
        { op: 'Div', inputs: ['h', 'sqrt2'], outputs: ['d'], type: f(2, 5, 6) },
        { op: 'Erf', inputs: ['d'], outputs: ['e'], type: f(2, 5, 6) },
        { op: 'Add', inputs: ['e', 'one'], outputs: ['p'], type: f(2, 5, 6) },
        { op: 'Mul', inputs: ['h', 'p'], outputs: ['q'], type: f(2, 5, 6) },
        { op: 'Mul', inputs: ['q', 'half'], outputs: ['y'], type: f(2, 5, 6) },
      ],
    });
  });

  it('a chain of element-wise ops with broadcasting', () => {
    const { call } = check({
      inputs: [['a', f(3, 4)], ['b', f(4)], ['c', f(3, 1)]],
      nodes: [
        { op: 'Add', inputs: ['a', 'b'], outputs: ['s'], type: f(3, 4) },
        { op: 'Mul', inputs: ['s', 'c'], outputs: ['m'], type: f(3, 4) },
        { op: 'Sigmoid', inputs: ['m'], outputs: ['g'], type: f(3, 4) },
        { op: 'Sub', inputs: ['g', 'a'], outputs: ['d'], type: f(3, 4) },
        { op: 'Tanh', inputs: ['d'], outputs: ['y'], type: f(3, 4) },
      ],
    });
    expect(call.func.inputs.map((b) => b.name)).toEqual(['outer_a', 'outer_b', 'outer_c']);
  });

  it('a Transpose producer is read through its index map by the MatMul reduction', () => {
    check({
      inputs: [['x', f(4, 3)], ['w', f(4, 5)]],
      nodes: [
        { op: 'Transpose', inputs: ['x'], outputs: ['xt'], attrs: { perm: { kind: 'ints', value: [1, 0] } }, type: f(3, 4) },
        { op: 'MatMul', inputs: ['xt', 'w'], outputs: ['y'], type: f(3, 5) },
      ],
    });
  });

  it('scale + Softmax keeps its statistics in buffers but inlines the rest', () => {
    const { call } = check({
      inputs: [['x', f(2, 6)]],
      scalars: [['scale', 0.125]],
      nodes: [
        { op: 'Mul', inputs: ['x', 'scale'], outputs: ['s'], type: f(2, 6) },
        { op: 'Softmax', inputs: ['s'], outputs: ['y'], attrs: { axis: int(-1) }, type: f(2, 6) },
      ],
    }, false);
    expect(allocations(call.func.body)).toBe(2);
  });

  it('an inlined expression that would grow too big is stored in a buffer instead', () => {
    // Each Add(s, s) doubles the expression tree: ten of them would inline 2^10 loads of x.
    const nodes: Fusion['nodes'] = [{ op: 'Relu', inputs: ['x'], outputs: ['s0'], type: f(2, 3) }];
    for (let i = 1; i <= 10; i++) nodes.push({ op: 'Add', inputs: [`s${i - 1}`, `s${i - 1}`], outputs: [`s${i}`], type: f(2, 3) });
    const { call, text } = check({ inputs: [['x', f(2, 3)]], nodes }, false);
    expect(allocations(call.func.body)).toBeGreaterThan(0);
    expect(text.length).toBeLessThan(20_000);
  });

  it('lowerGraph describes the values each function reads and writes', () => {
    const { graph } = fused({
      inputs: [['a', f(3, 4)], ['b', f(4)]],
      nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['y'], type: f(3, 4) }],
    });
    const lowered = lowerGraph(graph);
    expect(lowered.funcs.length).toBe(1);
    expect(lowered.calls[0].inputs.map((v) => v.name)).toEqual(['outer_a', 'outer_b']);
    expect(lowered.calls[0].outputs.map((v) => v.name)).toEqual(['out']);
  });
});
