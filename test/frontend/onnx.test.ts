import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OnnxBuilder } from '../../models/builder.ts';
import { loadOnnxBytes, loadOnnxFile } from '../../src/frontend/onnx/import.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { runOrt } from '../../src/driver/ort.ts';
import { compareTensors } from '../../src/runtime/compare.ts';
import { printGraph } from '../../src/ir/graph/print.ts';
import { TsccError } from '../../src/util/errors.ts';
import { checkModel } from '../helpers/check.ts';

describe('ONNX frontend', () => {
  it('reads raw_data and typed-field initializers alike', async () => {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('x', 'f32', [2, 3]);
    const w1 = b.initializer(randomTensor('f32', [2, 3], 3));
    const w2 = b.typedInitializer(randomTensor('f32', [2, 3], 4));
    const k = b.typedInitializer(Tensor.fromNumbers('i32', [3], [1, -2, 3]));
    const kf = b.op('Cast', [k], { to: 1 });
    b.output(b.op('Add', [b.op('Mul', [x, w1]), b.op('Mul', [w2, kf])]));
    await checkModel(b.toBytes());
  });

  it('views aligned raw data in place (the file buffer is the only copy)', () => {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('x', 'f32', [256]);
    const w = b.initializer(randomTensor('f32', [256], 5), 'w');
    b.output(b.op('Add', [x, w]));
    const bytes = b.toBytes();
    const g = loadOnnxBytes(bytes).graph;
    const c = g.value('w')!.constant!;
    // Aligned raw data must be a view of the model bytes; unaligned data is copied once.
    const raw = bytes.indexOf(new Uint8Array(c.data.buffer, c.data.byteOffset, 4)[0]);
    expect(raw).toBeGreaterThanOrEqual(0);
    if (c.data.buffer === bytes.buffer) expect(c.data.byteOffset % 4).toBe(0);
    else expect(c.data.buffer.byteLength).toBe(c.byteLength);
  });

  it('reads external-data tensors relative to the model file, and onnxruntime agrees', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tscc-ext-'));
    const w = randomTensor('f32', [4, 8], 9);
    const pad = new Uint8Array(16).fill(7);
    writeFileSync(join(dir, 'weights.bin'), Buffer.concat([pad, new Uint8Array(w.data.buffer)]));
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('x', 'f32', [4, 8]);
    const wn = b.externalInitializer(w, 'weights.bin', 16);
    b.output(b.op('Mul', [x, wn]));
    writeFileSync(join(dir, 'm.onnx'), b.toBytes());
    const m = loadOnnxFile(join(dir, 'm.onnx'));
    const inputs = { x: randomTensor('f32', [4, 8], 1) };
    const ours = runGraph(m.graph, inputs);
    const ref = await runOrt(join(dir, 'm.onnx'), inputs);
    const name = m.graph.outputs[0].name;
    expect(compareTensors(name, ours[name], ref[name], 1e-6).ok).toBe(true);
  });

  it('keeps symbolic dims, binds them with shapes, and rejects wrong bindings', () => {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('x', 'f32', ['batch', 3]);
    const y = b.input('y', 'f32', ['batch', 3]);
    b.output(b.op('Add', [x, y]));
    const bytes = b.toBytes();
    expect(loadOnnxBytes(bytes).graph.outputs[0].type.shape).toEqual(['batch', 3]);
    expect(loadOnnxBytes(bytes, { shapes: { x: [5, 3] } }).graph.outputs[0].type.shape).toEqual([5, 3]);
    expect(() => loadOnnxBytes(bytes, { shapes: { x: [5, 4] } })).toThrow(/dim 1 is 4, the model fixes it at 3/);
    expect(() => loadOnnxBytes(bytes, { shapes: { z: [5, 3] } })).toThrow(TsccError);
  });

  it('turns Constant nodes into constants and folds all-constant sub-graphs', () => {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('x', 'f32', [4]);
    const c = b.op('Constant', [], { value: Tensor.fromNumbers('f32', [4], [1, 2, 3, 4]) });
    const d = b.op('Mul', [c, c]);
    b.output(b.op('Add', [x, d]));
    const g = loadOnnxBytes(b.toBytes()).graph;
    expect(g.nodes.map((n) => n.op)).toEqual(['Add']);
    expect(g.nodes[0].inputs[1]!.constant!.toNumbers()).toEqual([1, 4, 9, 16]);
    expect(printGraph(g)).toContain('= [1, 4, 9, 16]');
  });

  it('rejects opsets outside 7–23 and unknown ops with coded errors naming them', () => {
    const old = new OnnxBuilder({ opset: 6 });
    old.output(old.op('Relu', [old.input('x', 'f32', [1])]));
    expect(() => loadOnnxBytes(old.toBytes())).toThrow(/opset 6 is not supported/);
    const b = new OnnxBuilder({ opset: 13 });
    b.output(b.node('FrobnicateV2', [b.input('x', 'f32', [1])], {}, 1, { name: 'frob' })[0]);
    try { loadOnnxBytes(b.toBytes(), { file: 'm.onnx' }); expect.unreachable(); } catch (e) {
      expect(e).toBeInstanceOf(TsccError);
      expect((e as TsccError).code).toBe('E_UNSUPPORTED');
      expect((e as Error).message).toMatch(/node "frob" \(FrobnicateV2\)/);
    }
  });
});
