// Acceptance: every test model still matches onnxruntime after the default pass pipeline on the
// reference runtime, and every fused kernel, lowered to the Tensor IR and run on its interpreter,
// computes what the reference runtime computed for that node.
import { describe, expect, it } from 'vitest';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import type { Graph } from '../../src/ir/graph/graph.ts';
import type { Tensor } from '../../src/ir/graph/tensor.ts';
import { runFunc } from '../../src/ir/tensor/interp/run.ts';
import { verifyFunc } from '../../src/ir/tensor/verify.ts';
import { lowerKernel } from '../../src/lower/lower.ts';
import { compareTensors } from '../../src/runtime/compare.ts';
import { runGraph, type TensorMap } from '../../src/runtime/interpreter.ts';
import { runOrt } from '../../src/driver/ort.ts';
import { optimizeGraph, verifyInstrument } from '../../passes/index.ts';
import { randomInputs } from '../helpers/check.ts';
import { type CorpusModel, realCorpus, shippedCorpus, zooCorpus } from './corpus.ts';

const TOL = 1e-4;

/** Runs the optimized graph, keeping every value, and checks the outputs against onnxruntime. */
async function checkWithOrt(m: CorpusModel): Promise<{ graph: Graph; env: Map<string, Tensor> }> {
  const bytes = m.bytes();
  const inputs: TensorMap = randomInputs(bytes, { shapes: m.shapes, inputs: m.inputs });
  const graph = optimizeGraph(loadOnnxBytes(bytes, { shapes: m.shapes }).graph, { instruments: [verifyInstrument()] });
  const env = new Map<string, Tensor>(Object.entries(inputs));
  for (const c of graph.constants) env.set(c.name, c.constant!);
  const ours = runGraph(graph, inputs, { onNode: (n, outs) => n.outputs.forEach((v, k) => env.set(v.name, outs[k])) });
  const ref = await runOrt(bytes, inputs, { optimization: 'disabled' });
  expect(Object.keys(ref).length).toBeGreaterThan(0);
  for (const [k, r] of Object.entries(ref)) {
    const d = compareTensors(k, ours[k], r, TOL);
    expect(d.shapeMatch, `${m.name} output ${k}: shape [${ours[k].shape}] vs [${r.shape}]`).toBe(true);
    expect(d.ok, `${m.name} output ${k}: max|a-b| = ${d.maxAbs}, max|ref| = ${d.maxRef}`).toBe(true);
    expect(d.maxRef, `${m.name} output ${k} is all zeros`).toBeGreaterThan(0);
  }
  return { graph, env };
}

/** Lowers every fused node and runs it on the Tensor IR interpreter; returns how many it checked. */
function checkFusedKernels(name: string, graph: Graph, env: ReadonlyMap<string, Tensor>): number {
  let n = 0;
  for (const node of graph.nodes) {
    if (!node.body) continue;
    const call = lowerKernel(node, { opset: graph.opset });
    verifyFunc(call.func);
    const outs = runFunc(call.func, call.inputs.map((v) => env.get(v.name) ?? v.constant!));
    call.outputs.forEach((v, k) => {
      const d = compareTensors(v.name, outs[k], env.get(v.name)!, TOL);
      expect(d.ok && d.shapeMatch, `${name}: fused node ${node.name} (${node.attrs.pattern?.value}) output ${v.name}: max|a-b| = ${d.maxAbs}, max|ref| = ${d.maxRef}`).toBe(true);
    });
    n++;
  }
  return n;
}

describe('models after the default pipeline match onnxruntime; fused kernels lower', () => {
  for (const m of [...zooCorpus(), ...shippedCorpus()]) {
    it(m.name, async () => {
      const { graph, env } = await checkWithOrt(m);
      expect(graph.nodes.some((n) => n.body), 'something fused').toBe(true);
      expect(checkFusedKernels(m.name, graph, env)).toBeGreaterThan(0);
    });
  }
  for (const m of realCorpus()) {
    it(m.name, async () => {
      const { graph, env } = await checkWithOrt(m);
      expect(checkFusedKernels(m.name, graph, env)).toBeGreaterThan(0);
    }, 120_000);
  }
});
