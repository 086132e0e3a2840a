// `bench/quant.ts --driver`: `auto` exactly as `tscc compile MODEL --target npu --quantize auto
// --accuracy sqnr>=FLOOR --calib DIR [--calib-samples N …]` runs it (compileModel, the function the CLI
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
import { loadavg } from 'node:os';

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

/** Held-out SQNR over a set and its two halves (a 2-class softmax's set SQNR is decided by a few inputs). */
function heldText(q: Graph, held: readonly TensorMap[], refs: readonly TensorMap[]) {
  const outs = held.map((x) => runGraph(q, x)), h = held.length >> 1;
  const all = metricsOf(refs, outs), a = metricsOf(refs.slice(0, h), outs.slice(0, h)), b = metricsOf(refs.slice(h), outs.slice(h));
  return `${db(all.sqnr)} [${db(a.sqnr)}/${db(b.sqnr)}] dB${all.top1 === null ? '' : `, top-1 ${(all.top1 * 100).toFixed(1)}%`}`;
}

/**
 * One auto compile through the driver, measured on each held-out set. Without verify/confirm/search
 * the compile gets only `--calib DIR` (the driver's defaults: search-split.ts MAX_AUTO_CALIB_SAMPLES,
 * defaultSplit); with them, `--calib-samples` and the split flags as given.
 */
export async function driverRow(model: Model, fp32: Graph, calib: readonly TensorMap[], helds: readonly (readonly TensorMap[])[], refsBy: readonly (readonly TensorMap[])[],
  opts: { floor: number; npu: string; seeds: readonly number[]; verify?: number; confirm?: number; search?: number }): Promise<void> {
  const dir = writeCalibDir(calib);
  const defaults = opts.verify === undefined && opts.confirm === undefined && opts.search === undefined;
  const flags = defaults ? {} : { calibSamples: calib.length, verifySamples: opts.verify, confirmSamples: opts.confirm, searchSamples: opts.search };
  console.log(`driver: --calib DIR with ${calib.length} samples, ${defaults ? 'the driver\'s default split' : `explicit --calib-samples ${calib.length} --verify-samples ${opts.verify} --confirm-samples ${opts.confirm} --search-samples ${opts.search}`}; load ${loadavg()[0].toFixed(1)}`);
  const t0 = performance.now();
  const c = await compileModel(model, { target: opts.npu, quantize: { precision: 'auto', accuracy: `sqnr>=${opts.floor}`, calib: dir, ...flags } });
  const s = (performance.now() - t0) / 1e3, loadAfter = loadavg()[0];
  const q = c.plan.graph, r = c.quantization as Record<string, unknown>;
  const cal = r.calibration as { samples: number; split: { ranges: number; verify: number; confirm?: number } | null; method: string; screen?: { kept: number; heavy: number; heavyShare: number } };
  const confirm = r.confirm as { samples: number; sqnr: number; sqnrLow: number; passed: boolean; backoffs: number; refines: number; evaluations: number; attempts: { marginDb: number; verifySqnr: number; confirmSqnr: number; confirmLow: number; bytes: number; passed: boolean }[] } | undefined;
  const margin = r.margin as { db: number; source: string };
  const mix = new Map<string, number>();
  for (const l of r.layers as { precision: string }[]) mix.set(l.precision, (mix.get(l.precision) ?? 0) + 1);
  console.log(`driver (compileModel --quantize auto --calib DIR, ${opts.npu}): ${cal.samples} samples read, split ${cal.split?.ranges}+${cal.split?.verify}${cal.screen ? ` (screened to ${cal.screen.kept}, ${cal.screen.heavy} heavy with ${(100 * cal.screen.heavyShare).toFixed(0)} % of int8's noise)` : ''}+${cal.split?.confirm ?? 0}, ranges ${cal.method}, margin ${margin.db} dB (${margin.source}); ` +
    `report: met ${r.met}, verify SQNR ${(r.metrics as { sqnr: number }).sqnr} dB, ${r.evaluations} evaluations` +
    (confirm ? `, confirm SQNR ${confirm.sqnr} dB (lower bound ${confirm.sqnrLow}; ${confirm.passed ? 'held' : 'missed'}, ${confirm.backoffs} back-offs, ${confirm.refines} refines, ${confirm.evaluations} evaluations)` : ''));
  for (const a of confirm?.attempts ?? []) console.log(`  attempt: margin ${a.marginDb} dB → verify ${a.verifySqnr}, confirm ${a.confirmSqnr} (low ${a.confirmLow}) dB, ${a.bytes.toLocaleString('en-US')} B: ${a.passed ? 'held' : 'missed'}`);
  console.log(`  size ${((modelBytes(q) / modelBytes(fp32)) * 100).toFixed(1)}% of fp32; NPU cycles ${c.artifact.cycles ?? 'n/a'}; ${[...mix].map(([p, n]) => `${n}×${p}`).join(' ')}; compile ${s.toFixed(0)} s (load ${loadAfter.toFixed(1)} at its end); peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (bench process)`);
  helds.forEach((held, i) => console.log(`  held-out ${held.length} (seed ${opts.seeds[i]}): SQNR ${heldText(q, held, refsBy[i])}`));
}
