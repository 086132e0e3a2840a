// `bench/quant.ts --eval ort`: whole-model evaluations on onnxruntime-node instead of the reference
// runtime, through the QDQ export (passes/quantize/export.ts; matches the reference runtime to 1e-4,
// test/quant/export.test.ts). The search code path is the driver's (prepareSearch, searchConfirmed);
// only the engine that runs each candidate plan changes — PP-OCR cls runs ~50× faster there, which
// is what makes verification pools of 512+ crops and two 256-crop held-out sets affordable here.
// onnxruntime-node's run() is asynchronous and the search is not, so each evaluation is one
// synchronous child process (bench/quant-ort-run.mjs). Local sensitivities stay on the reference runtime.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph } from '../src/ir/graph/graph.ts';
import { Tensor } from '../src/ir/graph/tensor.ts';
import type { TensorMap } from '../src/runtime/interpreter.ts';
import type { Calibration } from '../passes/quantize/calibrate.ts';
import { toOnnxBytes } from '../passes/quantize/export.ts';
import { Analyzer, type Plan } from '../src/quant/sensitivity.ts';

const dir = mkdtempSync(join(tmpdir(), 'tscc-bench-ort-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let serial = 0;

/** Runs g on single-input samples on onnxruntime; one output map per sample. */
export function ortRunSync(g: Graph, xs: readonly TensorMap[]): TensorMap[] {
  if (xs.length === 0) return [];
  const name = g.inputs[0].name, id = serial++;
  const model = join(dir, `m${id}.onnx`), inputs = join(dir, `i${id}.bin`), out = join(dir, `o${id}.bin`);
  writeFileSync(model, toOnnxBytes(g));
  const per = xs[0][name].size, all = new Float32Array(per * xs.length);
  xs.forEach((x, i) => all.set(x[name].toF32(), i * per));
  writeFileSync(inputs, Buffer.from(all.buffer));
  const script = new URL('./quant-ort-run.mjs', import.meta.url).pathname;
  const meta = JSON.parse(execFileSync(process.execPath, [script, model, inputs, name, xs[0][name].shape.join(','), String(xs.length), out]).toString()) as
    { outputs: { name: string; dims: number[] }[] };
  const b = readFileSync(out), f = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  for (const p of [model, inputs, out]) rmSync(p, { force: true });
  let off = 0;
  return xs.map(() => Object.fromEntries(meta.outputs.map((o) => {
    const size = o.dims.reduce((a, c) => a * c, 1), t = new Tensor('f32', o.dims, f.slice(off, off + size));
    off += size;
    return [o.name, t];
  })));
}

/** An Analyzer whose whole-model evaluations (the search's probes) run on onnxruntime. */
export class OrtAnalyzer extends Analyzer {
  constructor(graph: Graph, calib: Calibration, weights?: readonly number[]) { super(graph, calib, Infinity, weights); }
  override outputs(plan: Plan): TensorMap[] {
    const name = this.graph.inputs[0].name;
    return ortRunSync(this.quantize(plan), this.calib.activations.map((env) => ({ [name]: env.get(name)! })));
  }
}
