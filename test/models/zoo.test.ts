// Every zoo model at every exporter opset against onnxruntime, symbolic-batch inference through
// whole blocks, and the committed .onnx files being what models/build.ts writes today.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkModel, randomInputs } from '../helpers/check.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { onnx } from '../../src/frontend/onnx/proto.ts';
import { LEGACY_OPSETS, ZOO, ZOO_OPSETS, zooModel } from '../../models/zoo/zoo.ts';
import { SHIPPED } from '../../models/zoo/shipped.ts';

describe('zoo models match onnxruntime', () => {
  for (const z of ZOO) {
    for (const opset of ZOO_OPSETS) {
      it(`${z.name} @ opset ${opset}`, async () => {
        const m = z.build(opset);
        const diffs = await checkModel(m.bytes, { shapes: m.shapes, inputs: m.inputs, tol: 1e-4 });
        expect(diffs.length).toBeGreaterThan(0);
        // The reference must not be trivially zero, or the comparison would prove nothing.
        for (const d of diffs) expect(d.maxRef, `output ${d.name}`).toBeGreaterThan(1e-3);
        // Small enough to stay a quick test: import and run on our runtime well under a second.
        const inputs = randomInputs(m.bytes, { shapes: m.shapes, inputs: m.inputs });
        const t0 = performance.now();
        runGraph(loadOnnxBytes(m.bytes, { shapes: m.shapes }).graph, inputs);
        expect(performance.now() - t0).toBeLessThan(1000);
      });
    }
  }
});

describe('zoo models at legacy opsets match onnxruntime', () => {
  for (const z of ZOO) {
    for (const opset of LEGACY_OPSETS.filter((v) => v >= (z.minOpset ?? 9))) {
      it(`${z.name} @ opset ${opset}`, async () => {
        const m = z.build(opset);
        await checkModel(m.bytes, { shapes: m.shapes, inputs: m.inputs, tol: 1e-4 });
      });
    }
  }
});

describe('zoo models are written in each opset\'s exporter forms', () => {
  /** op → [attribute names, input count] of each node of that op in the model. */
  const forms = (name: string, opset: number, op: string) => {
    const g = onnx.ModelProto.decode(zooModel(name).build(opset).bytes).graph!;
    const nodes = [...(g.node ?? []), ...(g.node ?? []).flatMap((n) => (n.attribute ?? []).flatMap((a) => a.g?.node ?? []))];
    return nodes.filter((n) => n.opType === op).map((n) => [(n.attribute ?? []).map((a) => a.name).sort(), n.input?.length]);
  };
  it('LayerNormalization only from opset 17, the ReduceMean/Pow/Sqrt/Div decomposition before', () => {
    expect(forms('vit-encoder', 17, 'LayerNormalization')).toHaveLength(3);
    expect(forms('vit-encoder', 17, 'ReduceMean')).toHaveLength(0);
    expect(forms('vit-encoder', 13, 'LayerNormalization')).toHaveLength(0);
    expect(forms('vit-encoder', 13, 'ReduceMean')).toContainEqual([['axes', 'keepdims'], 1]);
  });
  it('Squeeze/Unsqueeze/Split axes as attributes at opset 11, as inputs from 13', () => {
    expect(forms('silero-vad', 11, 'Squeeze')).toEqual([[['axes'], 1]]);
    expect(forms('silero-vad', 13, 'Squeeze')).toEqual([[[], 2]]);
    expect(forms('silero-vad', 11, 'Unsqueeze')).toContainEqual([['axes'], 1]);
    expect(forms('gpt2-decoder', 11, 'Split')).toEqual([[['axis', 'split'], 1]]);
    expect(forms('gpt2-decoder', 17, 'Split')).toEqual([[['axis'], 2]]);
  });
  it('Clip bounds as attributes before opset 11, inputs after; HardSwish only from 14', () => {
    expect(forms('mobilenet-v2', 10, 'Clip')[0]).toEqual([['max', 'min'], 1]);
    expect(forms('mobilenet-v2', 11, 'Clip')[0]).toEqual([[], 3]);
    expect(forms('mobilenet-v3', 13, 'HardSwish')).toHaveLength(0);
    expect(forms('mobilenet-v3', 17, 'HardSwish')).toHaveLength(2);
  });
  it('Softmax on the last axis: a positive axis before opset 13, -1 from 13', () => {
    const axis = (opset: number) => onnx.ModelProto.decode(zooModel('vit-encoder').build(opset).bytes).graph!.node!.find((n) => n.opType === 'Softmax')!.attribute![0].i;
    expect(Number(axis(11))).toBe(3);
    expect(Number(axis(13))).toBe(-1);
  });
});

describe('zoo models keep symbolic batch dims through inference', () => {
  const cases: [string, string, (string | number)[]][] = [
    ['classifier-head', 'x', ['N', 10]],
    ['shufflenet-v2', 'x', ['N', 32, 8, 8]],
    ['vit-encoder', 'pixels', ['N', 10]],
    ['gpt2-decoder', 'input_ids', ['N', 8, 64]],
  ];
  for (const [name, input, shape] of cases) {
    for (const opset of ZOO_OPSETS) {
      it(`${name} @ opset ${opset} → [${shape}]`, () => {
        const g = loadOnnxBytes(zooModel(name).build(opset).bytes).graph;
        expect(g.inputs.find((v) => v.name === input)!.type.shape[0]).toBe('N');
        expect(g.outputs[0].type.shape).toEqual(shape);
      });
    }
  }

  it('silero-vad: the If condition folds and the taken branch is inlined', () => {
    for (const opset of ZOO_OPSETS) {
      const g = loadOnnxBytes(zooModel('silero-vad').build(opset).bytes).graph;
      expect(g.nodes.some((n) => n.op === 'If')).toBe(false);
      expect(g.outputs.map((v) => v.type.shape)).toEqual([[1, 1], [1, 1, 16], [1, 1, 16]]);
    }
  });
});

describe('shipped models', () => {
  for (const s of SHIPPED) {
    it(`models/${s.file} is current and under 200 KB`, () => {
      const committed = readFileSync(new URL(`../../models/${s.file}`, import.meta.url));
      expect(committed.length).toBeLessThan(200 * 1024);
      expect(Buffer.compare(committed, Buffer.from(s.build(s.opset).bytes)), 'run `npx tsx models/build.ts`').toBe(0);
    });
  }
});
