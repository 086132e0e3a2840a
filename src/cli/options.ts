// Options shared by several commands.
import type { Command } from 'commander';
import type { QuantizeOptions } from '../quant/search-run.ts';
import { UsageError } from '../util/errors.ts';
import type { ClipSearchReport } from '../quant/clip-judge.ts';

export const collect = (v: string, acc: string[]) => [...acc, v];

export function addModelOptions(c: Command): Command {
  return c
    .option('--shape <NAME=d0,d1,…>', 'bind an input\'s dynamic dims (repeatable)', collect, [])
    .option('--no-fold', 'do not fold constant sub-graphs on import');
}

export function fmtMs(ms: number): string {
  return ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** `--quantize` and its companions (compile and run). */
export function addQuantizeOptions(c: Command): Command {
  return c
    .option('--quantize <p>', 'int8 | int4w | fp16 | bf16 | fp8 | fp8e5m2 | mxfp8 | mxfp6 | mxfp4 | mxint8 | auto (mixed precision per fused group)')
    .option('--calib <dir>', 'calibration samples: DIR/<sample>/<input>.npy, DIR/<input>.npy (stacked), or DIR/*.npy')
    .option('--calib-method <m>', 'activation ranges: auto (percentile, minmax or mse: whichever int8 measures best) | mse | minmax | percentile | entropy', 'auto')
    .option('--accuracy <floor>', 'auto: sqnr>=DB or top1>=PCT% (default sqnr>=30)')
    .option('--size <target>', 'auto: model size target, e.g. 1.5MB or 40%')
    .option('--latency <cycles>', 'auto: target cycles (npu)')
    .option('--calib-samples <n>', 'calibration samples to read/generate (default 8; auto: all of --calib DIR up to 1024 — a quarter confirm, at most 64 set ranges, the rest verify, screened to 128 per evaluation —, 16 generated)')
    .option('--verify-samples <n>', 'auto: how many calibration samples only judge plans and set the sqnr margin (default half of the non-confirmation ones, or all but 64 when more; 0 = no split)')
    .option('--confirm-samples <n>', 'auto: how many calibration samples only confirm the chosen plan (the search backs off when it misses there; default a quarter from 16 samples on)')
    .option('--search-samples <n>', 'auto: verification samples per evaluation (default 128); a larger verification split is screened down to it')
    .option('--weight-fit', 'uniform int4w: fit the weights too (int8/fp16/bf16 do by default)')
    .option('--no-weight-fit', 'uniform int8/fp16/bf16: round weights to nearest instead of the error-compensating fit')
    .option('--float-offsets', 'fp16/bf16: store group boundaries as x − (per-channel calibration mean) (default for bf16 on targets that store bf16)')
    .option('--no-float-offsets', 'fp16/bf16: plain casts at group boundaries')
    .option('--int8-flow', 'int8: channel smoothing (depthwise-only or all sites, measured) before calibration, percentile ranges, clip factors judged end to end on a split of --calib (a folder is read up to 112: 64 set ranges, 48 judge), then the weight fit')
    .option('--clip-judge-samples <n>', 'int8 flow: how many calibration samples (the last) only judge the clip search (default: the rest after 64 from 112 on — a --calib folder is read up to 112 —, else none; 0 = no search)');
}

export interface QuantizeFlags {
  quantize?: string; calib?: string; calibMethod?: string; accuracy?: string; size?: string; latency?: string;
  calibSamples?: string; verifySamples?: string; confirmSamples?: string; searchSamples?: string;
  int8Flow?: boolean; weightFit?: boolean; floatOffsets?: boolean; clipJudgeSamples?: string;
}

export function quantizeOptions(o: QuantizeFlags): { quantize?: QuantizeOptions } {
  if (!o.quantize) return {};
  const counts = {
    ...(o.calibSamples !== undefined ? { calibSamples: count(o.calibSamples, '--calib-samples', 1) } : {}),
    ...(o.verifySamples !== undefined ? { verifySamples: count(o.verifySamples, '--verify-samples', 0) } : {}),
    ...(o.confirmSamples !== undefined ? { confirmSamples: count(o.confirmSamples, '--confirm-samples', 0) } : {}),
    ...(o.searchSamples !== undefined ? { searchSamples: count(o.searchSamples, '--search-samples', 1) } : {}),
    ...(o.clipJudgeSamples !== undefined ? { clipJudgeSamples: count(o.clipJudgeSamples, '--clip-judge-samples', 0) } : {}),
  };
  return { quantize: { precision: o.quantize, calib: o.calib, calibMethod: o.calibMethod, accuracy: o.accuracy, size: o.size, latency: o.latency, ...counts,
    ...(o.int8Flow ? { int8Flow: true } : {}), ...(o.weightFit !== undefined ? { weightFit: o.weightFit } : {}),
    ...(o.floatOffsets !== undefined ? { floatOffsets: o.floatOffsets } : {}) } };
}

function count(s: string, flag: string, min: number): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} "${s}": expected an integer ≥ ${min}`);
  return n;
}

/** The lines a quantized compile/run prints: the calibration warning first, loudly, then a summary. */
export function quantizeSummary(q: Record<string, unknown> | undefined): string[] {
  if (!q) return [];
  const cal = q.calibration as { source: string; samples: number; method: string; warning?: string; dir?: string; split?: { ranges: number; verify: number } | null };
  const size = q.sizeBytes as { before: number; after: number };
  const m = q.metrics as { sqnr: number | null; top1: number | null };
  const from = cal.source === 'dir' ? `samples from ${cal.dir}` : 'generated samples';
  const layers = q.layers as { precision: string }[];
  const counts = new Map<string, number>();
  for (const l of layers) counts.set(l.precision, (counts.get(l.precision) ?? 0) + 1);
  const out: string[] = [];
  if (cal.warning) out.push(`!!! ${cal.warning} !!!`);
  for (const w of (q.warnings as string[] | undefined) ?? []) out.push(`!!! ${w} !!!`);
  out.push(`quantize ${q.mode}: ${[...counts].map(([p, n]) => `${n}×${p}`).join(', ')}; size ${size.before.toLocaleString('en-US')} → ${size.after.toLocaleString('en-US')} bytes; ` +
    `SQNR ${m.sqnr === null ? '∞' : m.sqnr} dB${m.top1 !== null ? `, top-1 agreement ${(m.top1 * 100).toFixed(1)}%` : ''} on ` +
    (cal.split ? `${cal.split.verify} verification samples (ranges from ${cal.split.ranges} others; ${cal.samples} ${from})` : `${cal.samples} ${from}`) + ` (${cal.method})`);
  const margin = q.margin as { db: number; source: string } | undefined;
  if (q.budget) out.push(`budget ${q.budget}: ${q.met ? 'met' : 'NOT met'} after ${q.evaluations} evaluations${margin ? ` (searched with a ${margin.db} dB ${margin.source} margin)` : ''}`);
  const confirm = q.confirm as { samples: number; sqnrLow: number; passed: boolean; backoffs: number } | undefined;
  if (confirm) out.push(`confirmed on ${confirm.samples} other samples: SQNR lower bound ${confirm.sqnrLow} dB, ${confirm.passed ? 'held' : 'MISSED'} after ${confirm.backoffs} back-off(s)`);
  const flow = q.int8Flow as { smoothing: string; smoothedSites: number; roundedWeights: number; clipSearch?: ClipSearchReport } | 'plain' | undefined;
  if (flow && flow !== 'plain') out.push(`int8 flow: smoothing ${flow.smoothing} (${flow.smoothedSites} sites)${flow.roundedWeights ? `, ${flow.roundedWeights} conv weights with output-aware rounding` : ''}`);
  if (flow && flow !== 'plain' && flow.clipSearch) out.push(clipSearchLine(flow.clipSearch));
  const fit = q.weightFit as { convs: number; bias: boolean } | string | undefined;
  if (fit && typeof fit !== 'string') out.push(`weights: error-compensating fit of ${fit.convs} conv(s)${fit.bias ? ', biases refitted' : ''} (--no-weight-fit: round to nearest)`);
  const off = q.floatOffsets as { values: number; of: number } | string | undefined;
  if (off && typeof off !== 'string') out.push(`float boundaries: ${off.values} of ${off.of} stored as x − (channel mean) (--no-float-offsets: plain casts)`);
  const subs = (q.substituted as unknown[] | undefined)?.length;
  if (subs) out.push(`target substituted the precision of ${subs} group(s) (see report.json quantization.substituted)`);
  return out;
}

/** The clip search's line: what judged it on how many samples, and what it moved (or why it did not run). */
function clipSearchLine(c: ClipSearchReport): string {
  if (c.skipped) return `int8 flow: no clip search — ${c.skipped}`;
  return `int8 flow: clip search on ${c.engine} over ${c.samples.judge} judging samples (ranges from ${c.samples.ranges}): ${Object.keys(c.moved ?? {}).length} of ${c.sites} sites moved, ` +
    `judge SQNR ${c.judgeSqnr?.before} → ${c.judgeSqnr?.after} dB, ${c.evaluations} evaluations, ${c.seconds} s`;
}
