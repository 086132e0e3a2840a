// Model-level PIM runs: the small-M Gemm/MatMul layers of the zoo models, GPT-2 decode-shaped layers
// (batch 1 and a 4-beam batch) built with the builder, a chain of PIM kernels in one graph, and the
// error for models with ops PIM cannot run (through the library and the CLI).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OnnxBuilder, float, type AttrInput } from '../../../models/builder.ts';
import { ZOO } from '../../../models/zoo/zoo.ts';
import { loadOnnxBytes, loadOnnxFile } from '../../../src/frontend/onnx/import.ts';
import { runOnTarget } from '../../../src/driver/targets.ts';
import type { Node } from '../../../src/ir/graph/graph.ts';
import { randomTensor } from '../../../src/runtime/random.ts';
import { UnsupportedError } from '../../../src/util/errors.ts';
import { pimSupports } from '../../../targets/pim/codegen/ops.ts';
import { getPreset } from '../../../targets/pim/presets.ts';
import { checkPim } from './helpers.ts';
import { intentOutputs } from './intent.ts';

/** The node alone as a model: its non-constant inputs become graph inputs, its constants initializers. */
function alone(node: Node): Uint8Array {
  const b = new OnnxBuilder({ opset: 17 });
  const ins = node.inputs.map((v, i) => {
    if (!v) return '';
    return v.constant ? b.initializer(v.constant, `c${i}`) : b.input(`in${i}`, v.type.dtype, v.type.shape as number[]);
  });
  const attrs: Record<string, AttrInput> = {};
  for (const [k, a] of Object.entries(node.attrs)) attrs[k] = a.kind === 'float' ? float(a.value) : (a.value as AttrInput);
  b.output(b.op(node.op, ins, attrs));
  return b.toBytes();
}

describe('small-M Gemm/MatMul layers of the zoo models', () => {
  const layers: { name: string; bytes: Uint8Array }[] = [];
  for (const z of ZOO) {
    const built = z.build(17);
    const g = loadOnnxBytes(built.bytes, { shapes: built.shapes }).graph;
    for (const n of g.nodes) {
      if ((n.op === 'Gemm' || n.op === 'MatMul') && pimSupports(n, getPreset('hbm3')).ok) layers.push({ name: `${z.name}/${n.name}`, bytes: alone(n) });
    }
  }
  it('finds the classifier heads and the GPT-2 attention and LM-head products', () => {
    const names = layers.map((l) => l.name).join(' ');
    expect(layers.length).toBeGreaterThanOrEqual(5);
    expect(names).toMatch(/classifier-head/);
    expect(names).toMatch(/gpt2-decoder/);
  });
  for (const l of layers) {
    it(l.name, async () => {
      const r = await checkPim(l.bytes);
      expect(intentOutputs(r)).toEqual(Object.values(r.outputs).map((t) => Array.from(t.toF32())));
    });
  }
});

describe('GPT-2 decode-shaped layers (C 128, 4 heads, cache 40, MLP 512, vocab 300)', () => {
  const C = 128, H = 4, D = C / H, T = 40, MLP = 512, V = 300;
  const w = (shape: number[], seed: number) => randomTensor('f32', shape, seed, -0.1, 0.1);
  for (const beams of [1, 4]) {
    it(`QKV, attention over the cache, projection, MLP and LM head with ${beams} beam(s) as one PIM graph`, async () => {
      const b = new OnnxBuilder({ opset: 17 });
      const x = b.input('x', 'f32', [beams, C]);
      b.output(b.op('Gemm', [x, b.initializer(w([C, 3 * C], 1)), b.initializer(w([3 * C], 2))]), 'f32', [beams, 3 * C]);
      b.output(b.op('MatMul', [b.input('q', 'f32', [beams, H, 1, D]), b.input('k_t', 'f32', [beams, H, D, T])]), 'f32', [beams, H, 1, T]);
      b.output(b.op('MatMul', [b.input('p', 'f32', [beams, H, 1, T]), b.input('v', 'f32', [beams, H, T, D])]), 'f32', [beams, H, 1, D]);
      const attn = b.input('attn', 'f32', [beams, C]);
      const proj = b.op('Gemm', [attn, b.initializer(w([C, C], 3)), b.initializer(w([C], 4))]);
      const h = b.op('Add', [x, proj]);
      const up = b.op('Gemm', [h, b.initializer(w([C, MLP], 5)), b.initializer(w([MLP], 6))]);
      const gated = b.op('Mul', [up, b.input('gate', 'f32', [beams, MLP])]);
      const down = b.op('Gemm', [gated, b.initializer(w([MLP, C], 7)), b.initializer(w([C], 8))]);
      const h2 = b.op('Add', [h, down]);
      b.output(b.op('MatMul', [h2, b.initializer(w([C, V], 9))]), 'f32', [beams, V]);
      // With the default graph passes: fusion groups PIM cannot run are dissolved back into nodes.
      const r = await checkPim(b.toBytes(), { passes: beams === 1 });
      expect(r.programs.length).toBe(10);
      expect(intentOutputs(r)).toEqual(Object.values(r.outputs).map((t) => Array.from(t.toF32())));
    });
  }
});

describe('ops PIM cannot run', () => {
  it('--target pim names the op and the node (library)', async () => {
    const m = loadOnnxFile('models/tiny-cnn.onnx');
    const first = m.graph.nodes.find((n) => !pimSupports(n, getPreset('hbm3')).ok)!;
    const inputs = { [m.graph.inputs[0].name]: randomTensor('f32', m.graph.inputs[0].type.shape as number[], 1) };
    const err = await runOnTarget('pim', m, inputs).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    expect(String((err as Error).message)).toContain(`node "${first.name}" (${first.op})`);
  });
  it('tscc run MODEL --target pim exits 1 naming the op and node; tscc compile writes the artifact', () => {
    let out = '';
    try {
      execFileSync('node', ['bin/tscc.mjs', 'run', 'models/tiny-cnn.onnx', '--target', 'pim'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      const x = e as { status: number; stderr: string };
      expect(x.status).toBe(1);
      out = x.stderr;
    }
    expect(out).toMatch(/E_UNSUPPORTED.*node "[^"]+" \([A-Za-z]+\) cannot run on pim/);
    const dir = mkdtempSync(join(tmpdir(), 'pim-'));
    const b = new OnnxBuilder({ opset: 17 });
    b.output(b.op('Gemm', [b.input('x', 'f32', [1, 64]), b.initializer(randomTensor('f32', [64, 32], 1))]));
    writeFileSync(join(dir, 'm.onnx'), b.toBytes());
    execFileSync('node', ['bin/tscc.mjs', 'compile', join(dir, 'm.onnx'), '--target', 'pim:aim', '-o', join(dir, 'out')], { encoding: 'utf8', stdio: 'pipe' });
    const report = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8'));
    expect(report.totals.latencySource).toBe('simulated');
    expect(report.totals.cycles).toBeGreaterThan(0);
    expect(report.kernels[0].precision).toBe('bf16'); // AiM's PU multiplies bf16
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
