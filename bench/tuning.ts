// Tuning benchmark (not a test): on a fixed suite of matmul/conv kernels, per target,
//   - trials to reach 95% of the best config of a long random search (src/tune/evaluate.ts), for
//     random search (expected, from the pool) and for XGBoost-guided search variants: objective
//     reg:linear vs rank:pairwise, fixed batches of 8 vs growing batches (2, 3, 6, 8 …), with and
//     without the default prior (first batch near the default's features), cold and with
//     transfer from the suite's earlier kernels on the same target; geometric means over the suite
//     (per kernel, over --seeds search seeds);
//   - cost-model pairwise ranking accuracy (trained on half the random pool, scored on the other);
//   - cost-model scoring rate (candidates per CPU second);
//   - default vs tuned latency per kernel and end to end for one model per target (WGSL: rounds of
//     runs of the default, the tuned and a second default plan in random order, in blocks of fresh
//     sessions; median per-round speedup with a bootstrap 95% CI, next to the controls: default vs
//     default, and each kernel untuned in both plans; PIM: exact cycles of a decode MLP, outputs
//     checked against onnxruntime);
//   - WGSL measurement noise (--noise): run-to-run CV of one config's cost, unpaired vs paired clock.
//
//   npx tsx bench/tuning.ts [--targets npu,wgsl,pim,interp] [--pim-preset hbm3] [--pim-model decode|mlp] [--pool 120] [--budget 40] [--seeds 3]
//     [--variants reg-fixed,reg-grow,reg,rank] [--wgsl-pool 60] [--wgsl-seeds 1] [--e2e-trials 24] [--e2e-only: npu/wgsl end to end rows only]
//     [--pool-seed 42] [--save-pools FILE.json] [--wgsl-model gemv|mlp|cnn|s2|FILE.onnx] [--npu-model FILE.onnx|gemv|mlp|cnn] [--e2e-pairs 40: rounds] [--e2e-order random|alternate] [--e2e-blocks 8] [--skip-e2e] [--noise] [--wgsl-unpaired | --wgsl-pairs 40]
//     [--e2e-db FILE: keep/resume the end-to-end tuning records] [--in-model-rounds 200: the tuner's in-model confirmation] [--pool-repeats K: pairwise also on the pools re-measured K more times]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TuningDb } from '../tuning-db/index.ts';
import { loadTarget } from '../src/driver/registry.ts';
import { compileModel } from '../src/driver/compile.ts';
import { optimizeGraph } from '../passes/index.ts';
import { loadConfig } from '../targets/npu/config.ts';
import { compileNpu, timeNpu } from '../targets/npu/npu.ts';
import type { GemmSchedule } from '../targets/npu/codegen/schedule.ts';
import type { WgslPayload } from '../targets/wgsl/index.ts';
import { type Clock, kernelTimes, quantileSpeedupCi, speedupCi, timeBlocks } from '../src/tune/measure/rounds.ts';
import { ARRAY_OPS, npuEnv } from '../src/tune/npu/layer.ts';
import { npuTask } from '../src/tune/npu/task.ts';
import { type TuneTask, tirTask } from '../src/tune/task.ts';
import { randomTensor } from '../src/runtime/random.ts';
import { DEFAULT_CONFIG, targetKey } from '../src/tune/keys.ts';
import { loadOnnxBytes, loadOnnxFile } from '../src/frontend/onnx/import.ts';
import type { PrimFunc } from '../src/ir/tensor/func.ts';
import { lowerGraph } from '../src/lower/lower.ts';
import { FEATURE_LENGTH } from '../src/tune/features/features.ts';
import { InterpMeasurer } from '../src/tune/measure/interp.ts';
import { WgslMeasurer } from '../src/tune/measure/wgsl.ts';
import { Rng } from '../src/tune/rng.ts';
import type { Measurer } from '../src/tune/measure/measurer.ts';
import { RandomModel, pairwiseAccuracy } from '../src/tune/model/model.ts';
import { XgbModel } from '../src/tune/model/xgboost.ts';
import { INTERP_TARGET, resolveTuneTarget } from '../src/tune/targets.ts';
import { tuneKernel, tuneTask } from '../src/tune/tuner.ts';
import { tunedSchedule } from '../src/tune/apply.ts';
import { tuneModel } from '../src/tune/driver.ts';
import { type SearchVariant, coldDb, heldOutPairwise, memoized, packFeatures, randomPool, remeasuredPool, trialsToGoal } from '../src/tune/evaluate.ts';
import { wgslTask } from '../src/tune/wgsl/task.ts';
import { applySchedule } from '../src/schedule/apply.ts';
import { oneOpModel, randomInputs } from '../test/helpers/check.ts';
import { runOrt } from '../src/driver/ort.ts';
import { OnnxBuilder } from '../models/builder.ts';
import { median } from '../src/util/stats.ts';

const { values: a } = parseArgs({ options: {
  pool: { type: 'string', default: '120' }, budget: { type: 'string', default: '40' }, seeds: { type: 'string', default: '3' },
  'wgsl-pool': { type: 'string', default: '60' }, 'wgsl-seeds': { type: 'string', default: '1' },
  variants: { type: 'string', default: 'reg-fixed,reg-grow,reg,rank' },
  model: { type: 'string', default: 'models/tiny-cnn.onnx' }, 'e2e-trials': { type: 'string', default: '24' },
  'npu-model': { type: 'string', default: 'models/tiny-cnn.onnx' }, 'wgsl-model': { type: 'string', default: 's2' },
  'e2e-pairs': { type: 'string', default: '40' }, 'pool-seed': { type: 'string', default: '42' }, 'e2e-db': { type: 'string' }, 'skip-e2e': { type: 'boolean', default: false }, 'wgsl-pairs': { type: 'string' }, 'save-pools': { type: 'string' }, noise: { type: 'boolean', default: false }, 'wgsl-unpaired': { type: 'boolean', default: false },
  'pim-preset': { type: 'string', default: 'hbm3' }, 'pim-model': { type: 'string', default: 'decode' },
  targets: { type: 'string', default: 'npu,wgsl,pim,interp' }, 'e2e-only': { type: 'boolean', default: false }, 'e2e-order': { type: 'string', default: 'random' }, 'e2e-blocks': { type: 'string', default: '8' }, 'in-model-rounds': { type: 'string', default: '200' }, 'pool-repeats': { type: 'string', default: '0' },
} });
const BUDGET = Number(a.budget);
const VARIANTS: Record<string, Omit<SearchVariant, 'transfer'>> = {
  'reg-fixed': { objective: 'reg:linear', growBatch: false, defaultPrior: false },
  'reg-grow': { objective: 'reg:linear', growBatch: true, defaultPrior: false },
  reg: { objective: 'reg:linear', growBatch: true, defaultPrior: true },
  rank: { objective: 'rank:pairwise', growBatch: true, defaultPrior: true },
};
// --variants none: only the pools, pairwise accuracy and default vs tuned (no searches).
const variants = a.variants === 'none' ? [] : a.variants!.split(',').map((v) => { if (!VARIANTS[v]) throw new Error(`unknown variant ${v}`); return v; });

const lower = (bytes: Uint8Array): PrimFunc => lowerGraph(loadOnnxBytes(bytes).graph).calls[0].func;
const mm = (m: number, n: number, k: number) => lower(oneOpModel({ op: 'MatMul', inputs: [['f32', [m, k]], ['f32', [k, n]]] }));
const conv = (c: number, h: number, oc: number, r: number, s = 1) =>
  lower(oneOpModel({ op: 'Conv', inputs: [['f32', [1, c, h, h]], ['f32', [oc, c, r, r]]], attrs: { pads: Array(4).fill((r - 1) / 2), strides: [s, s] } }));
const W = (shape: number[], seed: number) => randomTensor('f32', shape, seed);
const mmW = (m: number, n: number, k: number) => oneOpModel({ op: 'MatMul', inputs: [['f32', [m, k]], W([k, n], 1)] });
const convW = (c: number, h: number, oc: number, r: number, s = 1) =>
  oneOpModel({ op: 'Conv', inputs: [['f32', [1, c, h, h]], W([oc, c, r, r], 2), W([oc], 3)], attrs: { pads: Array(4).fill((r - 1) / 2), strides: [s, s] } });
/** Weights are initializers, as in real models (the NPU keeps them stationary or streams them). */
const NPU_SUITE: [string, () => Uint8Array][] = [
  ['matmul 256×256×256', () => mmW(256, 256, 256)],
  ['matmul 64×512×128', () => mmW(64, 512, 128)],
  ['matmul 512×64×256', () => mmW(512, 64, 256)],
  ['conv3x3 64→64 @28²', () => convW(64, 28, 64, 3)],
  ['conv3x3 32→128 @14²', () => convW(32, 14, 128, 3)],
  ['conv1x1 128→64 @28²', () => convW(128, 28, 64, 1)],
  ['conv3x3 s2 16→32 @56²', () => convW(16, 56, 32, 3, 2)],
];
/** Sizes that take 1–20 ms each on SwiftShader (a measurement is ~0.3 s with compile and checks). */
const WGSL_SUITE: [string, () => PrimFunc][] = [
  ['matmul 128×128×128', () => mm(128, 128, 128)],
  ['matmul 256×64×128', () => mm(256, 64, 128)],
  ['matmul 64×256×256', () => mm(64, 256, 256)],
  ['conv3x3 16→32 @32²', () => conv(16, 32, 32, 3)],
  ['conv3x3 32→32 @16²', () => conv(32, 16, 32, 3)],
  ['conv1x1 64→64 @16²', () => conv(64, 16, 64, 1)],
  ['conv3x3 s2 16→32 @32²', () => conv(16, 32, 32, 3, 2)],
];
const SUITE: [string, () => PrimFunc][] = [
  ['matmul 64×64×64', () => mm(64, 64, 64)],
  ['matmul 128×32×64', () => mm(128, 32, 64)],
  ['matmul 32×96×128', () => mm(32, 96, 128)],
  ['conv3x3 8→16 @16²', () => conv(8, 16, 16, 3)],
  ['conv3x3 16→16 @8²', () => conv(16, 8, 16, 3)],
  ['conv1x1 32→32 @16²', () => conv(32, 16, 32, 1)],
];

const geomean = (xs: number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
const f3 = (x: number) => x.toFixed(3);
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const cap = (v: number) => (Number.isFinite(v) ? v : BUDGET); // a search that never got there counts its whole budget

interface Row {
  name: string; space: number; randomTrials: number;
  /** variant → [cold, transfer] trials, geomean over seeds. */
  trials: Map<string, [number, number]>;
  acc: Record<'reg' | 'rank', number>; rnd: number; dflt: number; tuned: number; model: XgbModel; x: Float32Array;
  /** Timed targets: run-to-run CV of a fresh measurement, and the accuracy on pairs further apart than 1 + 2·CV. */
  noise?: number; aware?: Record<'reg' | 'rank', number>;
  /** --pool-repeats K: pairwise accuracy with each pool config's cost the median of 1 + K measurements. */
  accRep?: Record<'reg' | 'rank', number>;
}

/** Fresh default-vs-tuned timings of a timed target and the run-to-run CV of those measurements. */
type Remeasure = (task: TuneTask, best: unknown) => Promise<{ dflt: number; tuned: number; cv: number }>;

/** The random pools measured (--save-pools FILE writes them as JSON, to study cost models offline). */
const saved: { name: string; entries: { cost: number; f: number[] }[] }[] = [];

/** Per variant and seed, a database the suite's kernels share (transfer in suite order). */
type Shared = Map<string, TuningDb>;

async function benchKernel(name: string, raw: TuneTask, fingerprint: string, shared: Shared, pool: number, seeds: number,
  remeasure?: Remeasure): Promise<Row> {
  const task = memoized(raw);
  const p = await randomPool(task, pool, Number(a['pool-seed']));
  saved.push({ name, entries: p.entries.map((e) => ({ cost: e.cost, f: Array.from(e.f) })) });
  const trials = new Map<string, [number, number]>();
  for (const v of variants) {
    const cold: number[] = [], xfer: number[] = [];
    for (let s = 0; s < seeds; s++) {
      const db = coldDb();
      cold.push(cap(await trialsToGoal(task, fingerprint, db, p.goal, { ...VARIANTS[v], transfer: false }, { budget: BUDGET, seed: 7 + s })));
      db.close();
      const key = `${v}/${s}`;
      if (!shared.has(key)) shared.set(key, coldDb());
      xfer.push(cap(await trialsToGoal(task, fingerprint, shared.get(key)!, p.goal, { ...VARIANTS[v], transfer: true }, { budget: BUDGET, seed: 7 + s })));
    }
    trials.set(v, [geomean(cold), geomean(xfer)]);
  }
  // Default vs the best config any search or the pool found.
  const all = [...shared.entries()].flatMap(([, db]) => db.lookup(task.workloadKey, targetKey(fingerprint)));
  const dfltRec = all.find((r) => r.trial === 0);
  const bestRec = all.filter((r) => r.ok && r.cost !== null).sort((x, y) => x.cost! - y.cost!)[0];
  let dflt = dfltRec?.cost ?? NaN, tuned = Math.min(bestRec?.cost ?? Infinity, dflt), noise: number | undefined;
  if (remeasure) {
    const m = await remeasure(raw, bestRec && bestRec.trial !== 0 ? JSON.parse(bestRec.schedule) : undefined);
    ({ dflt, tuned } = m);
    noise = m.cv;
  }
  const minRatio = 1 + 2 * (noise ?? 0);
  const reg = await heldOutPairwise(p, 'reg:linear', minRatio), rank = await heldOutPairwise(p, 'rank:pairwise', minRatio);
  // --pool-repeats K: the same pool, each config's cost the median of 1 + K fresh measurements
  // (labels with less noise), scored the same way, on all pairs; printed beside the one-measurement numbers.
  const reps = Number(a['pool-repeats']);
  let accRep: Record<'reg' | 'rank', number> | undefined;
  if (reps > 0) {
    const q = await remeasuredPool(p, raw, reps);
    accRep = { reg: (await heldOutPairwise(q, 'reg:linear')).acc, rank: (await heldOutPairwise(q, 'rank:pairwise')).acc };
  }
  const te = p.entries.slice(p.entries.length >> 1);
  const rnd = pairwiseAccuracy(new RandomModel(3).predict(packFeatures(te), FEATURE_LENGTH), te.map((e) => e.cost));
  return {
    name, space: task.size, randomTrials: p.randomTrials, trials, acc: { reg: reg.acc, rank: rank.acc }, rnd, dflt, tuned, model: reg.model, x: packFeatures(p.entries),
    ...(noise !== undefined ? { noise, aware: { reg: reg.aware, rank: rank.aware } } : {}), ...(accRep ? { accRep } : {}),
  };
}

function line(r: Row, unit: string): void {
  const t = variants.map((v) => `${v} ${r.trials.get(v)![0].toFixed(1)}/${r.trials.get(v)![1].toFixed(1)}`).join('  ');
  console.log(`${r.name.padEnd(22)} space ${String(r.space).padStart(5)}  random ${r.randomTrials.toFixed(1).padStart(5)}  ${t}  ` +
    `pairwise reg ${r.acc.reg.toFixed(2)} rank ${r.acc.rank.toFixed(2)} (random ${r.rnd.toFixed(2)})` +
    (r.accRep ? ` [median of ${1 + Number(a['pool-repeats'])} measurements: reg ${r.accRep.reg.toFixed(2)} rank ${r.accRep.rank.toFixed(2)}]` : '') +
    (r.aware ? ` [noise CV ${(100 * r.noise!).toFixed(1)}%; pairs > ${(1 + 2 * r.noise!).toFixed(2)}× apart: reg ${r.aware.reg.toFixed(2)} rank ${r.aware.rank.toFixed(2)}]` : '') + `  default ${f3(r.dflt)} → tuned ${f3(r.tuned)} ${unit} (${(r.dflt / r.tuned).toFixed(2)}×)`);
}

function report(rows: Row[], unit: string): void {
  const rnd = geomean(rows.map((r) => r.randomTrials));
  console.log(`geomean trials to 95% of the long random search's best (cold / with transfer; target ≤ 25% of random): random ${rnd.toFixed(1)}`);
  for (const v of variants) {
    const c = geomean(rows.map((r) => r.trials.get(v)![0])), x = geomean(rows.map((r) => r.trials.get(v)![1]));
    console.log(`  xgb ${v.padEnd(9)} cold ${c.toFixed(1)} (${(100 * c / rnd).toFixed(0)}%)  transfer ${x.toFixed(1)} (${(100 * x / rnd).toFixed(0)}%)`);
  }
  const mean = (k: 'reg' | 'rank') => (rows.reduce((s, r) => s + r.acc[k], 0) / rows.length).toFixed(3);
  console.log(`mean pairwise accuracy: reg:linear ${mean('reg')}, rank:pairwise ${mean('rank')} (target ≥ 0.8)`);
  if (rows.every((r) => r.accRep)) {
    const rp = (k: 'reg' | 'rank') => (rows.reduce((s, r) => s + r.accRep![k], 0) / rows.length).toFixed(3);
    console.log(`  same pools, each cost the median of ${1 + Number(a['pool-repeats'])} fresh measurements (all pairs): reg:linear ${rp('reg')}, rank:pairwise ${rp('rank')}`);
  }
  if (rows.every((r) => r.aware)) {
    const aw = (k: 'reg' | 'rank') => (rows.reduce((s, r) => s + r.aware![k], 0) / rows.length).toFixed(3);
    console.log(`  noise-aware (only pairs further apart than 1 + 2·CV of a fresh measurement; shown beside, not instead): reg:linear ${aw('reg')}, rank:pairwise ${aw('rank')}`);
  }
  const last = rows[rows.length - 1];
  const reps = Math.ceil(100_000 / (last.x.length / FEATURE_LENGTH));
  const x = new Float32Array(reps * last.x.length);
  for (let i = 0; i < reps; i++) x.set(last.x, i * last.x.length);
  last.model.predict(x.subarray(0, 1000 * FEATURE_LENGTH), FEATURE_LENGTH);
  const t0 = cpuMs();
  last.model.predict(x, FEATURE_LENGTH);
  console.log(`cost model: ${Math.round((x.length / FEATURE_LENGTH) / ((cpuMs() - t0) / 1000)).toLocaleString('en-US')} predictions per CPU second (target ≥ 50,000); costs in ${unit}`);
}

async function suite(rows: Row[], unit: string, run: (shared: Shared) => Promise<void>): Promise<void> {
  const shared: Shared = new Map();
  await run(shared);
  for (const db of shared.values()) db.close();
  report(rows, unit);
}

async function npuEndToEnd(file: string, presetName: string) {
  const target = await loadTarget(`npu:${presetName}`);
  const cfg = loadConfig(presetName);
  const graph = optimizeGraph(loadOnnxBytes(modelBytes(file)).graph, { target });
  const env = npuEnv(graph, cfg);
  const db = TuningDb.open(':memory:');
  const schedule: Record<string, GemmSchedule> = {};
  for (const n of graph.nodes) {
    if (!ARRAY_OPS.has(n.op)) continue;
    const t = npuTask(env, n);
    if (!t) continue;
    const best = await tuneTask(t, target.fingerprint(), db, { trials: Number(a['e2e-trials']), batch: 8, model: new XgbModel() });
    const dflt = db.lookup(t.workloadKey, targetKey(target.fingerprint())).find((r) => r.trial === 0);
    if (best && dflt && best.trial !== 0 && best.cost! < dflt.cost!) schedule[n.name] = JSON.parse(best.schedule) as GemmSchedule;
  }
  db.close();
  // The whole program, compiled both ways and timed on the simulator.
  const d = timeNpu(compileNpu(graph, cfg)).cycles, tuned = timeNpu(compileNpu(graph, cfg, { schedule })).cycles;
  return { layers: Object.keys(schedule).length, dflt: d, tuned };
}

/**
 * An MLP whose kernels are big enough for WGSL tuning to matter (MatMul+Add+Relu, 128 rows:
 * 128 → 256 → 128 → 64): tiny-cnn's kernels take microseconds, where the default tiles are the best.
 */
function mlp(rows = 128, dims = [128, 256, 128, 64]): Uint8Array {
  const b = new OnnxBuilder({ opset: 17 });
  let x = b.input('x', 'f32', [rows, dims[0]]);
  for (let i = 0; i + 1 < dims.length; i++) {
    x = b.op('Add', [b.op('MatMul', [x, b.initializer(W([dims[i], dims[i + 1]], 10 + i))]), b.initializer(W([dims[i + 1]], 20 + i))]);
    if (i + 2 < dims.length) x = b.op('Relu', [x]);
  }
  b.output(x);
  return b.toBytes();
}
/** A conv stack with the suite's conv shapes: 3×3 16→32 @32², 3×3 s2 32→32, 1×1 32→64 @16² (Conv+Relu each). */
function cnn(): Uint8Array {
  const b = new OnnxBuilder({ opset: 17 });
  let x = b.input('x', 'f32', [1, 16, 32, 32]);
  const layers: [number, number, number, number][] = [[16, 32, 3, 1], [32, 32, 3, 2], [32, 64, 1, 1]];
  layers.forEach(([c, oc, r, st], i) => {
    const p = (r - 1) / 2;
    x = b.op('Relu', [b.op('Conv', [x, b.initializer(W([oc, c, r, r], 30 + i)), b.initializer(W([oc], 40 + i))], { pads: [p, p, p, p], strides: [st, st] })]);
  });
  b.output(x);
  return b.toBytes();
}
/**
 * A downsampling stack, the shape of a CNN backbone's stride-2 stages at a small resolution: 3×3
 * stride-2 convs 8→16→32→64→128 from 64² (Conv+Relu each; ~1.2 M multiply-adds a layer). Its later
 * layers have few outputs (4096, 2048) for many multiply-adds each, where the default rule's 8×8
 * register tile × 64-invocation workgroup leaves one workgroup — one busy thread of a CPU adapter —
 * and smaller workgroups or tiles are faster: a model where the default is not the best of its space.
 */
function s2(): Uint8Array {
  const b = new OnnxBuilder({ opset: 17 });
  let x = b.input('x', 'f32', [1, 8, 64, 64]);
  [8, 16, 32, 64].forEach((c, i) => {
    x = b.op('Relu', [b.op('Conv', [x, b.initializer(W([2 * c, c, 3, 3], 50 + i)), b.initializer(W([2 * c], 60 + i))], { pads: [1, 1, 1, 1], strides: [2, 2] })]);
  });
  b.output(x);
  return b.toBytes();
}
/**
 * Models by name: `mlp` (above), `gemv` (the same MLP at batch 1, 1024 → 1024 → 512 → 256: a
 * decoder or classifier head, where the default rule's workgroup choice is far from the best),
 * `cnn`, `s2` (above), or an .onnx file.
 */
const MODELS: Record<string, () => Uint8Array> = { mlp: () => mlp(), gemv: () => mlp(1, [1024, 1024, 512, 256]), cnn, s2 };
const modelBytes = (spec: string): Uint8Array => (MODELS[spec] ? MODELS[spec]() : new Uint8Array(readFileSync(spec)));

const ci = (c: { med: number; lo: number; hi: number }, d = 3) => `${c.med.toFixed(d)}× [${c.lo.toFixed(d)}..${c.hi.toFixed(d)}]`;
const verdict = (c: { lo: number; hi: number }) => (c.lo > 1 ? 'faster' : c.hi < 1 ? 'SLOWER' : 'not measurably different');

/**
 * Tunes the model's kernels (with confirmation), compiles it with and without the database, then
 * times rounds of whole-model runs of three sessions in random order: the default plan, the tuned
 * plan, and a second, separately compiled and loaded default plan (the whole-model control: it
 * must read 1.00 within its CI). GPU timestamps, wall time and process CPU time. "Measurably
 * faster" = the CI of the median per-round speedup default/tuned excludes 1 while the controls'
 * CIs (the A/A model, and each kernel untuned in both plans, per dispatch) include 1.
 */
async function wgslEndToEnd(spec: string) {
  const dir = mkdtempSync(join(tmpdir(), 'tscc-bench-tune-'));
  try {
    // --e2e-db FILE keeps the tuning records (a second run resumes: nothing already measured is re-measured).
    const db = a['e2e-db'] ?? join(dir, 'wgsl.db'), bytes = modelBytes(spec);
    const tuned = await tuneModel(loadOnnxBytes(bytes), { target: 'wgsl', db, trials: Number(a['e2e-trials']), batch: 8, inModelRounds: Number(a['in-model-rounds']) });
    const compiled = [
      await compileModel(loadOnnxBytes(bytes), { target: 'wgsl' }), await compileModel(loadOnnxBytes(bytes), { target: 'wgsl', db }),
      await compileModel(loadOnnxBytes(bytes), { target: 'wgsl' }),
    ];
    const [plain, withDb] = compiled;
    const feed = Object.fromEntries(Object.entries(randomInputs(bytes)).map(([k, t]) => [k, t.data as ArrayLike<number>]));
    const pairs = Number(a['e2e-pairs']), blocks = Number(a['e2e-blocks']), seed = Number(a['pool-seed']);
    // Rounds in blocks, each with fresh sessions loaded in a random order (src/tune/measure/rounds.ts,
    // the same timing the tuner's in-model confirmation uses).
    const [D, T, A] = await timeBlocks(compiled.map((c) => c.artifact.payload as WgslPayload), feed, { rounds: pairs, blocks, seed, alternate: a['e2e-order'] === 'alternate' });
    const show = (k: Clock) => {
      const c = speedupCi(D.clocks[k], T.clocks[k]), aa = speedupCi(D.clocks[k], A.clocks[k]);
      return `${k} ${f3(median(D.clocks[k]))} → ${f3(median(T.clocks[k]))} ms, speedup ${ci(c)} ${verdict(c)}; control default/default ${ci(aa)}` +
        `; 10th percentiles: ${ci(quantileSpeedupCi(D.clocks[k], T.clocks[k]))}, control ${ci(quantileSpeedupCi(D.clocks[k], A.clocks[k]))}`;
    };
    // Per kernel inside the model: the GPU time of its dispatches (a tuned config may split a kernel
    // into other dispatches), default → tuned; kernels untuned in both plans are controls.
    const [pd, pt] = compiled.map((c) => c.artifact.payload as WgslPayload);
    const controls: { lo: number; hi: number }[] = [];
    const perKernel = withDb.plan.kernels.map((k, i) => {
      const d = kernelTimes(pd, D, new Set([i])), t = kernelTimes(pt, T, new Set([i])), c = speedupCi(d, t);
      if (!k.tuned) controls.push(c);
      return `${k.name}${k.tuned ? '' : ' (untuned: control)'} ${f3(median(d))} → ${f3(median(t))} ms (${ci(c, 2)}; 10th percentiles ${ci(quantileSpeedupCi(d, t), 2)})`;
    }).join('; ');
    const checks = (tuned.inModel?.verdicts ?? []).map((v) => `${v.kernels.join('+')} ${ci(v.speedup, 2)} ${v.kept ? 'kept' : 'dropped'}${v.fresh ? '' : ' (recorded earlier)'}`).join('; ');
    const aaGpu = speedupCi(D.clocks.gpu, A.clocks.gpu), model = speedupCi(D.clocks.gpu, T.clocks.gpu);
    const controlsOk = [aaGpu, ...controls].every((c) => c.lo <= 1 && c.hi >= 1);
    const which = withDb.plan.kernels.filter((k) => k.tuned).map((k) => k.name).join(', ');
    const records = tuned.kernels.map((k) => `${k.name} ${f3(k.defaultCost ?? NaN)} → ${f3(k.best ?? NaN)}`).join('; ');
    return {
      kernels: tuned.kernels.length, nTuned: withDb.plan.kernels.filter((k) => k.tuned).length, pairs,
      text: `${(['gpu', 'wall', 'cpu'] as const).map(show).join('\n  ')}\n  per kernel (GPU, default → tuned): ${perKernel}` +
        `\n  verdict (GPU): tuned ${ci(model)} ${verdict(model)}; controls ${controlsOk ? 'read 1.00 within their CIs: the comparison counts' : 'do NOT include 1.00: the comparison does not count'}` +
        `\n  tuned: ${which || 'none'}; tuning records (ms, default → best): ${records}` +
        `\n  in-model confirmation by the tuner (per kernel, default/tuned, 95 % CI; compile applies the kept ones): ${checks || 'no candidates'}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Run-to-run noise of the WGSL measurer: one config (the default of matmul 128³) and one other,
 * each measured `k` times afresh, unpaired (median of 5 GPU-timed runs) and paired (median ratio
 * to the default program × its time), interleaved so both see the same load. Prints the CVs.
 */
async function wgslNoise(r: Awaited<ReturnType<typeof resolveTuneTarget>>, k = 8) {
  const f = mm(128, 128, 128);
  const plain = wgslTask(f, 'mm', r.profile!, new WgslMeasurer(r.target!, { clock: 'gpu' }));
  const paired = wgslTask(f, 'mm', r.profile!, new WgslMeasurer(r.target!, { clock: 'gpu', paired: true }));
  const other = plain.check(plain.random(new Rng(3)));
  if (!other.ok) throw new Error(other.reason);
  const cands = [{ config: DEFAULT_CONFIG, ...plain.defaultCandidate() }, other];
  const cv = (v: number[]) => { const mu = v.reduce((x, y) => x + y, 0) / v.length; return Math.sqrt(v.reduce((x, y) => x + (y - mu) ** 2, 0) / (v.length - 1)) / mu; };
  for (const [ci, name] of [[0, 'default'], [1, `other ${JSON.stringify(other.config)}`]] as const) {
    const u: number[] = [], p: number[] = [];
    for (let i = 0; i < k; i++) {
      u.push((await plain.measure([cands[ci]]))[0].cost);
      p.push((await paired.measure([cands[ci]]))[0].cost);
    }
    console.log(`noise, matmul 128³ ${name}, ${k} fresh measurements each: unpaired CV ${(100 * cv(u)).toFixed(1)}% (${u.map(f3).join(' ')} ms); paired CV ${(100 * cv(p)).toFixed(1)}% (${p.map(f3).join(' ')} ms)`);
  }
}

/** A GEMV MLP at batch 1 (MatMul → Add → MatMul …, weights as initializers): every node runs on PIM. */
function pimMlp(dims: number[]): Uint8Array {
  const b = new OnnxBuilder({ opset: 17 });
  let x = b.input('x', 'f32', [1, dims[0]]);
  for (let i = 0; i + 1 < dims.length; i++) {
    x = b.op('MatMul', [x, b.initializer(W([dims[i], dims[i + 1]], 4 + i))]);
    if (i + 2 < dims.length) x = b.op('Add', [x, b.initializer(W([dims[i + 1]], 14 + i))]);
  }
  b.output(x);
  return b.toBytes();
}
/**
 * PIM models by name. `decode`: PIM_DECODE_DIMS below — GEMVs whose reduction (K ≤ 512) fits one
 * column chunk per bank, where the default rule keeps kSplit 1 although splitting the reduction
 * over two pseudo-channel groups is faster (e.g. 1×512·512×256: 348 → 204 cycles); `mlp`: 1×1024 →
 * 1024 → 512, where the default is the best the search finds.
 */
const PIM_DECODE_DIMS = [512, 256, 256];
const PIM_MODELS: Record<string, number[]> = { decode: PIM_DECODE_DIMS, mlp: [1024, 1024, 512] };

/** Per GEMV kernel default vs tuned cycles (and the tuned schedule), and the whole model compiled with and without the records. */
async function pimEndToEnd(preset: string, model: string) {
  const dims = PIM_MODELS[model];
  if (!dims) throw new Error(`unknown --pim-model ${model} (${Object.keys(PIM_MODELS).join(', ')})`);
  const dir = mkdtempSync(join(tmpdir(), 'tscc-bench-tune-'));
  try {
    const db = join(dir, 'pim.db'), bytes = pimMlp(dims), spec = `pim:${preset}`;
    const s = await tuneModel(loadOnnxBytes(bytes), { target: spec, db, trials: Number(a['e2e-trials']), batch: 8 });
    const plain = await compileModel(loadOnnxBytes(bytes), { target: spec }), tuned = await compileModel(loadOnnxBytes(bytes), { target: spec, db });
    const h = TuningDb.open(db), best = h.bestAll();
    h.close();
    const schedules = s.kernels.map((k) => { const r = best.find((x) => x.workloadKey === k.workloadKey); return r && r.trial !== 0 ? r.schedule : 'default'; });
    // Both programs run on the PIM simulator (functional) and are checked against onnxruntime: a
    // faster schedule must still compute the model.
    const inputs = randomInputs(bytes), ref = Object.values(await runOrt(bytes, inputs))[0].data as ArrayLike<number>;
    const err = async (c: typeof plain) => {
      const out = Object.values((await c.target.run!(c.artifact, inputs)).outputs)[0].data as ArrayLike<number>;
      let e = 0, m = 0;
      for (let i = 0; i < ref.length; i++) { e = Math.max(e, Math.abs(out[i] - ref[i])); m = Math.max(m, Math.abs(ref[i])); }
      return e / m;
    };
    return {
      dims, kernels: s.kernels, schedules, nTuned: tuned.plan.kernels.filter((k) => k.tuned).length, errs: [await err(plain), await err(tuned)],
      dflt: plain.artifact.cycles ?? NaN, tuned: tuned.artifact.cycles ?? NaN, how: s.how,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function interpEndToEnd(file: string, base: Measurer) {
  const calls = lowerGraph(loadOnnxFile(file).graph).calls;
  const db = TuningDb.open(':memory:');
  for (const c of calls) await tuneKernel(c.func, c.func.name, INTERP_TARGET, db, base, { trials: Number(a['e2e-trials']), batch: 8, model: new XgbModel() });
  // Re-measure the compiled module both ways, fresh (not the tuning records).
  let dflt = 0, tuned = 0, nTuned = 0;
  for (const c of calls) {
    const ch = tunedSchedule(db, INTERP_TARGET.fingerprint, c.func);
    if (ch) nTuned++;
    const f0 = applySchedule(c.func, []), f1 = applySchedule(c.func, ch?.schedule ?? []);
    const [r0, r1] = await base.measure([{ base: f0, func: f0, steps: [], config: {} }, { base: f0, func: f1, steps: ch?.schedule ?? [], config: {} }]);
    dflt += r0.cost; tuned += r1.cost;
  }
  db.close();
  return { kernels: calls.length, nTuned, dflt, tuned };
}

async function main(): Promise<void> {
  console.log(`tscc tuning bench — XGBoost budget ${BUDGET} trials; variants ${variants.join(', ')} (trials shown cold/transfer)\n`);
  const only = a.targets!.split(',');
  if (only.includes('npu')) {
    for (const preset of ['onnxim-tpuv4', 'edge16']) {
      const target = await loadTarget(`npu:${preset}`);
      console.log(`## npu:${preset}: cycle simulator, one layer at a time; pool ${a.pool}, ${a.seeds} seeds`);
      const rows: Row[] = [];
      if (!a['e2e-only']) await suite(rows, 'cycles', async (shared) => {
        for (const [name, make] of NPU_SUITE) {
          const g = loadOnnxBytes(make()).graph;
          const t = npuTask(npuEnv(g, loadConfig(preset)), g.nodes[0]);
          if (!t) { console.log(`${name}: not an array layer on this preset`); continue; }
          const r = await benchKernel(name, t, target.fingerprint(), shared, Number(a.pool), Number(a.seeds));
          rows.push(r); line(r, 'cycles');
        }
      });
      const e = await npuEndToEnd(a['npu-model']!, preset);
      console.log(`end to end ${a['npu-model']}: ${e.layers} layers tuned: default ${e.dflt.toFixed(0)} → tuned ${e.tuned.toFixed(0)} cycles (${(e.dflt / e.tuned).toFixed(3)}×)\n`);
    }
  }
  if (only.includes('wgsl')) {
    // --wgsl-unpaired: the kernel suite with the previous clock (median of 5 GPU-timed runs); the end to end tune is always paired.
    const r0 = await resolveTuneTarget('wgsl');
    // --wgsl-pairs N: the kernel suite with N pairs per measurement (default 20; the time cap grows with it).
    const pairs = a['wgsl-pairs'] ? Number(a['wgsl-pairs']) : undefined;
    const r = a['wgsl-unpaired'] ? { ...r0, measurer: new WgslMeasurer(r0.target!, { clock: 'gpu' }) }
      : pairs ? { ...r0, measurer: new WgslMeasurer(r0.target!, { clock: 'gpu', paired: true, repeats: pairs, maxMs: 75 * pairs }) } : r0;
    console.log(`## wgsl: ${r.measurer!.how} on ${r.profile!.description}; pool ${a['wgsl-pool']}, ${a['wgsl-seeds']} seeds (load ${loadavg().map((x) => x.toFixed(1)).join(' ')})`);
    if (a.noise) await wgslNoise(r);
    // Fresh default-vs-tuned timings (4 alternating pairs, medians), not the search's memoized
    // ones; the CV of those fresh measurements (mean of the two configs') is the kernel's noise.
    const cv = (v: number[]) => { const mu = v.reduce((x, y) => x + y, 0) / v.length; return Math.sqrt(v.reduce((x, y) => x + (y - mu) ** 2, 0) / (v.length - 1)) / mu; };
    const remeasure: Remeasure = async (t, best) => {
      const d = { config: DEFAULT_CONFIG, ...t.defaultCandidate() }, b = best === undefined ? d : { ...d, config: { best: 1 }, schedule: best };
      const ds: number[] = [], bs: number[] = [];
      for (let i = 0; i < 4; i++) { const [x, y] = await t.measure(i % 2 ? [b, d] : [d, b]); ds.push(i % 2 ? y.cost : x.cost); bs.push(i % 2 ? x.cost : y.cost); }
      return { dflt: median(ds), tuned: median(bs), cv: (cv(ds) + cv(bs)) / 2 };
    };
    const rows: Row[] = [];
    if (!a['e2e-only']) await suite(rows, 'ms', async (shared) => {
      for (const [name, make] of WGSL_SUITE) {
        const row = await benchKernel(name, wgslTask(make(), name, r.profile!, r.measurer!), r.tune.fingerprint, shared, Number(a['wgsl-pool']), Number(a['wgsl-seeds']), remeasure);
        rows.push(row); line(row, 'ms');
      }
    });
    const e = a['skip-e2e'] ? undefined : await wgslEndToEnd(a['wgsl-model']!);
    if (e) console.log(`end to end ${a['wgsl-model']}: ${e.kernels} kernels (${e.nTuned} tuned), default → tuned, medians of ${e.pairs} rounds in ${a['e2e-blocks']} blocks of fresh sessions (default, tuned, default again; ${a['e2e-order'] === 'alternate' ? 'order reversed every round' : 'random order per round'}) (load ${loadavg().map((x) => x.toFixed(1)).join(' ')}):\n  ${e.text}\n`);
    r.measurer!.dispose?.();
  }
  if (only.includes('pim')) {
    const e = await pimEndToEnd(a['pim-preset']!, a['pim-model']!);
    console.log(`## pim:${a['pim-preset']}: ${e.how}; GEMV model ${a['pim-model']} 1×${e.dims.join(' → ')}, ${a['e2e-trials']} trials a kernel (exact simulated cycles)`);
    e.kernels.forEach((k, i) => console.log(`${k.name.padEnd(22)} default ${k.defaultCost} → tuned ${k.best} cycles (${((k.defaultCost ?? NaN) / (k.best ?? NaN)).toFixed(2)}×; ${k.measured} measured; best ${e.schedules[i]})`));
    console.log(`end to end: ${e.nTuned} kernels tuned: default ${e.dflt} → tuned ${e.tuned} cycles (${(e.dflt / e.tuned).toFixed(3)}×); max |error| / max |output| vs onnxruntime: default ${e.errs[0].toExponential(1)}, tuned ${e.errs[1].toExponential(1)}\n`);
  }
  if (only.includes('interp')) {
    console.log('## interp: Tensor IR interpreter on this CPU (CPU time; the development measurer)');
    const m = new InterpMeasurer();
    const rows: Row[] = [];
    await suite(rows, 'ms', async (shared) => {
      for (const [name, make] of SUITE) {
        const r = await benchKernel(name, tirTask(make(), name, 'interp', m, () => []), INTERP_TARGET.fingerprint, shared, Number(a.pool), 1);
        rows.push(r); line(r, 'ms');
      }
    });
    const e = await interpEndToEnd(a.model!, m);
    console.log(`end to end ${a.model}: ${e.kernels} kernels (${e.nTuned} tuned): default ${f3(e.dflt)} ms → tuned ${f3(e.tuned)} ms (${(e.dflt / e.tuned).toFixed(2)}×)\n`);
  }
}

await main();
if (a['save-pools']) writeFileSync(a['save-pools'], JSON.stringify(saved));
