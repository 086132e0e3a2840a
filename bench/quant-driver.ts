// `bench/quant.ts --driver`: `auto` exactly as `tscc compile MODEL --target npu --quantize auto
// --accuracy sqnr>=FLOOR --calib DIR --calib-samples N` runs it (compileModel, the function the CLI
// calls), with the bench's calibration draw written to DIR as a stacked `<input>.npy`. The quantized
// graph the compile produced is then measured on the held-out inputs (reference runtime, against
// fp32), next to what its report.json says.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Model } from '../src/frontend/onnx/import.ts';
import type { Graph } from '../src/ir/graph/graph.ts';
import { Tensor } from '../src/ir/graph/tensor.ts';
import { runGraph, type TensorMap } from '../src/runtime/interpreter.ts';
import { writeNpy } from '../src/runtime/npy.ts';
import { compileModel } from '../src/driver/compile.ts';
import { modelBytes } from '../passes/quantize/size.ts';
import { metricsOf } from '../src/quant/sensitivity-metrics.ts';

const db = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '∞');

/** Writes the samples as DIR/<input>.npy stacks (the layout loadCalibDir reads) and returns DIR. */
export function writeCalibDir(samples: readonly TensorMap[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'tscc-bench-calib-'));
  for (const name of Object.keys(samples[0])) {
    const ts = samples.map((s) => s[name]), per = ts[0].size;
    const data = new Float32Array(per * ts.length);
    ts.forEach((t, i) => data.set(t.toF32(), i * per));
    writeNpy(join(dir, `${name}.npy`), new Tensor('f32', [ts.length, ...ts[0].shape], data));
  }
  return dir;
}

export async function driverRow(model: Model, fp32: Graph, calib: readonly TensorMap[], held: readonly TensorMap[], refs: readonly TensorMap[],
  opts: { floor: number; npu: string; verify: number; confirm?: number; search?: number }): Promise<void> {
  const dir = writeCalibDir(calib);
  const t0 = performance.now();
  const c = await compileModel(model, {
    target: opts.npu,
    quantize: {
      precision: 'auto', accuracy: `sqnr>=${opts.floor}`, calib: dir, calibSamples: calib.length, verifySamples: opts.verify,
      confirmSamples: opts.confirm, searchSamples: opts.search,
    },
  });
  const s = (performance.now() - t0) / 1e3;
  const q = c.plan.graph, r = c.quantization as Record<string, unknown>;
  const m = metricsOf(refs, held.map((x) => runGraph(q, x)));
  const cal = r.calibration as { split: { ranges: number; verify: number; confirm?: number } | null; method: string; screen?: { kept: number } };
  const confirm = r.confirm as { samples: number; sqnr: number; passed: boolean; backoffs: number; evaluations: number } | undefined;
  const margin = r.margin as { db: number; source: string };
  const mix = new Map<string, number>();
  for (const l of r.layers as { precision: string }[]) mix.set(l.precision, (mix.get(l.precision) ?? 0) + 1);
  console.log(`driver (compileModel --quantize auto --calib DIR, ${opts.npu}): split ${cal.split?.ranges}+${cal.split?.verify}${cal.screen ? ` (screened to ${cal.screen.kept})` : ''}+${cal.split?.confirm ?? 0}, ranges ${cal.method}, margin ${margin.db} dB (${margin.source}); ` +
    `report: met ${r.met}, verify SQNR ${(r.metrics as { sqnr: number }).sqnr} dB, ${r.evaluations} evaluations` +
    (confirm ? `, confirm SQNR ${confirm.sqnr} dB (${confirm.passed ? 'held' : 'missed'}, ${confirm.backoffs} back-offs, ${confirm.evaluations} evaluations)` : '') + '; ' +
    `held-out ${held.length}: SQNR ${db(m.sqnr)} dB${m.top1 === null ? '' : `, top-1 ${(m.top1 * 100).toFixed(1)}%`}; ` +
    `size ${((modelBytes(q) / modelBytes(fp32)) * 100).toFixed(1)}% of fp32; NPU cycles ${c.artifact.cycles ?? 'n/a'}; ${[...mix].map(([p, n]) => `${n}×${p}`).join(' ')}; ${s.toFixed(0)} s`);
}
