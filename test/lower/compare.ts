// Kernel-by-kernel comparison of lowered Tensor IR with the reference runtime: run the graph once on
// the reference interpreter, keep every value, then lower each node, run its PrimFunc on the Tensor
// IR interpreter with the same inputs and compare with what the reference produced for that node.
// Every kernel is also verified and must print → parse → print to the same text.
import { expect } from 'vitest';
import type { Attrs } from '../../src/ir/graph/attrs.ts';
import { Graph, type Node, type TensorType } from '../../src/ir/graph/graph.ts';
import type { Tensor } from '../../src/ir/graph/tensor.ts';
import { runFunc } from '../../src/ir/tensor/interp/run.ts';
import { printFunc } from '../../src/ir/tensor/print.ts';
import { parseFunc } from '../../src/ir/tensor/text/parser.ts';
import { verifyFunc } from '../../src/ir/tensor/verify.ts';
import { compareTensors } from '../../src/runtime/compare.ts';
import { runGraph, type TensorMap } from '../../src/runtime/interpreter.ts';
import { type KernelCall, type LowerOptions, lowerKernel } from '../../src/lower/lower.ts';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { type OneOp, oneOpModel } from '../helpers/check.ts';

export const TOL = 1e-5;

export interface KernelResult {
  readonly node: Node;
  readonly call: KernelCall;
  readonly worst: number;
}

/** Every value of the graph after one reference run (inputs, constants, node outputs). */
export function referenceValues(graph: Graph, inputs: TensorMap): Map<string, Tensor> {
  const env = new Map<string, Tensor>();
  for (const v of graph.inputs) env.set(v.name, inputs[v.name]);
  for (const c of graph.constants) env.set(c.name, c.constant!);
  runGraph(graph, inputs, { onNode: (n, outs) => n.outputs.forEach((v, k) => env.set(v.name, outs[k])) });
  return env;
}

/** Lowers `node`, runs it on the values the reference run gave its inputs, and checks each output. */
export function checkKernel(node: Node, env: ReadonlyMap<string, Tensor>, opts: LowerOptions = {}, tol = TOL): KernelResult {
  const call = lowerKernel(node, opts);
  verifyFunc(call.func);
  const text = printFunc(call.func);
  expect(printFunc(parseFunc(text)), `node "${node.name}": print → parse → print`).toBe(text);
  const args = call.inputs.map((v) => env.get(v.name) ?? v.constant ?? missing(node, v.name));
  const outs = runFunc(call.func, args);
  let worst = 0;
  call.outputs.forEach((v, k) => {
    const ref = env.get(v.name)!;
    const d = compareTensors(v.name, outs[k], ref, tol);
    const where = `node "${node.name}" (${node.op}) output ${v.name}: max|a-b| = ${d.maxAbs}, max|ref| = ${d.maxRef}\n${text}`;
    expect(d.shapeMatch, where).toBe(true);
    expect(d.ok, where).toBe(true);
    worst = Math.max(worst, d.rel);
  });
  return { node, call, worst };
}

/** Checks every node of a graph against one reference run. */
export function checkGraphKernels(graph: Graph, inputs: TensorMap, opts: LowerOptions = {}, tol = TOL): KernelResult[] {
  const env = referenceValues(graph, inputs);
  return graph.nodes.map((n) => checkKernel(n, env, { ...opts, opset: graph.opset }, tol));
}

function missing(node: Node, name: string): never {
  throw new Error(`node "${node.name}": no value for input "${name}"`);
}

export interface OpCase extends OneOp {
  /** Values for graph inputs by input position (default: random in `range`). */
  readonly values?: Readonly<Record<number, Tensor>>;
  readonly range?: [number, number];
  readonly seed?: number;
  /** Lowering options (e.g. simplify). */
  readonly lower?: LowerOptions;
}

/** A one-node model: its kernel, lowered and interpreted, must equal the reference kernel. */
export function checkOpLowering(c: OpCase, tol = TOL): KernelResult {
  const graph = loadOnnxBytes(oneOpModel(c), { fold: false }).graph;
  const inputs: TensorMap = {};
  let seed = c.seed ?? 1;
  graph.inputs.forEach((v) => {
    const pos = Number(v.name.slice(2));
    const shape = v.type.shape as number[];
    inputs[v.name] = c.values?.[pos] ?? randomTensor(v.type.dtype, shape, seed++, ...(c.range ?? [-2, 2]));
  });
  const results = checkGraphKernels(graph, inputs, c.lower, tol);
  expect(results.length, `${c.op}: the model has no node to lower`).toBeGreaterThan(0);
  return results[results.length - 1];
}

/** A graph of one node built directly (no import, so no folding): for ops the importer would fold. */
export function nodeGraph(
  op: string, inputs: readonly { name: string; type: TensorType; constant?: Tensor }[], outputs: readonly TensorType[],
  attrs: Attrs = {}, opset = 17,
): Graph {
  const outNames = outputs.map((_, k) => `y${k}`);
  return Graph.build({
    name: op, opsets: { '': opset },
    inputs: inputs.filter((v) => !v.constant), constants: inputs.filter((v) => v.constant),
    nodes: [{ name: `${op.toLowerCase()}_0`, op, inputs: inputs.map((v) => v.name), outputs: outNames, attrs }],
    outputs: outNames, types: new Map(outNames.map((n, k) => [n, outputs[k]])),
  });
}
