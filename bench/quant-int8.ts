// Uniform-int8 flow comparison (issue 9, session 3): the post-training fixes of passes/quantize, each
// on or off, measured as output SQNR / top-1 against fp32 on held-out inputs (other seed than the
// calibration draw). The model output of PP-OCR cls is a 2-class softmax whose SQNR is dominated by
// a few low-margin inputs, so use many held-out samples (256) and read the two halves' SQNR as the
// spread of the estimate.
//   npx tsx bench/quant-int8.ts MODEL NCAL NHELD FLOWS [CALIB_SEED (default 1)]   (env DATA=bitmap: the 5×7 bitmap text; DET=side: det resolution, 192;
//     GLYPH=lo-hi: det glyph height in px instead of side/12 … side/5.5; EVAL=ref|ort: who runs the held-out inputs, default ort for det;
//     HELD_SEED=n (default 777);
//     SIM=N [SIM_TARGETS=npu,wgsl,cuda]: also run each flow's int8 graph on those targets for the first N held-out samples)
// det at 192²: text 16–35 px tall, what PaddleOCR's det sees on real pages (it resizes the long side to
// ≤ 960 px; printed text is typically 16–40 px there). The uniform-int8 SQNR depends on the glyph size
// in pixels (edges are where the near-binary probability map moves), not on the image size: at fixed
// 8–17 px glyphs, 96² / 192² / 320² measure 15.7 / 16.0 / 15.5 dB (pct, 16 cal / 64 held, session 4),
// while 192² with 16–35 px glyphs measures 17.3 dB. So 96² (8–17 px) is a harsher, smaller-text case
// than the deployment, and 320² costs 3× 192² in calibration for the same text size.
// The held-out inputs of det run on onnxruntime (the QDQ export, passes/quantize/export.ts, which
// matches the reference runtime ≤ 1e-4 — test/quant/export.test.ts): 64 held-out pages at 192² cost
// seconds there, minutes in the interpreter; calibration still runs in the interpreter.
//   MODEL: cls | det | hello_deepa | hello_deepa_old | namaste_deepa
//   FLOWS: comma-separated, each a '+'-joined set of:
//     ranges  pct (percentile, default) | mm (min/max) | mse (mseRanges) | ds (downstreamRanges on pct) | dsmm (on min/max)
//             | pick (the driver's: whichever of pct / mm / mse gives uniform int8 the best SQNR on the calibration samples)
//             | e2e (session 6: clip factor × the percentile range per u8 site by coordinate descent on the model output's SQNR,
//               fp32 weights, judged on onnxruntime over JUDGE more pages of the calibration seed — pages NCAL … NCAL+JUDGE−1,
//               which did not fit the ranges; env JUDGE (default NCAL), CLIPS=file.json: reuse/store the chosen factors;
//               E2E_FACTORS (0.7,0.85,1,1.15,1.3), E2E_PASSES (1), E2E_MINGAIN (0.05 dB), FOLDS (0: a move must not lose on any of k folds))
//     fixes   round (output-aware weight rounding, weight-rounding.ts; +clean: H without the input's u8 noise) | bc (bias-correct.ts) | cle (equalize.ts)
//             sm (smooth.ts: per-channel scales moved through the affine/conv before each conv, fp32-exact; then calibrated) | smdw (same, depthwise convs only)
//             smm (sm with each dense site's α chosen by its measured conv output error, `select: 'measured'`)
//             smg (sm plus the sites behind squeeze-excitation gates, `gated: true`, session 6)
//             wclip (output-aware per-channel weight scale, round to nearest; with round: then GPTQ) | dw (per-channel u8 inputs of depthwise convs,
//             channel-ranges.ts, min/max per channel) | dwc (same, MSE-clipped per channel)
//     drv     the driver's `--quantize int8 --int8-flow` alone (int8-flow.ts: smoothing variant measured, percentile ranges on the
//             smoothed graph, the sequential weight fit; env GATED=1: with the squeeze-excitation sites, FIT_PAGES, POS)
//   e.g. npx tsx bench/quant-int8.ts cls 32 256 pct,pct+round,mse+round,cle+pct+round
import { loadavg } from 'node:os';
import type { Graph } from '../src/ir/graph/graph.ts';
import type { Tensor } from '../src/ir/graph/tensor.ts';
import { runGraph, type TensorMap } from '../src/runtime/interpreter.ts';
import { optimizeGraph } from '../passes/index.ts';
import { calibrate, mseRanges } from '../passes/quantize/calibrate.ts';
import { quantGroups } from '../passes/quantize/groups.ts';
import { quantizeGraph } from '../passes/quantize/quantize.ts';
import { roundInt8Weights } from '../passes/quantize/weight-rounding.ts';
import { correctBias } from '../passes/quantize/bias-correct.ts';
import { equalizeCrossLayer } from '../passes/quantize/equalize.ts';
import { downstreamRanges } from '../passes/quantize/ranges-downstream.ts';
import { loadTarget } from '../src/driver/registry.ts';
import { compileModel } from '../src/driver/compile.ts';
import { Analyzer, pickRanges } from '../src/quant/sensitivity.ts';
import { int8Flow } from '../passes/quantize/int8-flow.ts';
import { metricsOf } from '../src/quant/sensitivity-metrics.ts';
import { benchModel } from './quant-models.ts';
import { ortOutputs } from './ort-outputs.ts';
import { depthwiseInputRanges } from '../passes/quantize/channel-ranges.ts';
import { smoothChannels } from '../passes/quantize/smooth.ts';
import { toOnnxBytes } from '../passes/quantize/export.ts';
import { fitWeights } from '../passes/quantize/weight-fit-graph.ts';
import { ortClipRanges } from '../src/quant/clip-judge.ts';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Range } from '../src/quant/activations.ts';

const [which = 'cls', nCalS = '32', nHeldS = '256', flows = 'pct,pct+round', seedS = '1'] = process.argv.slice(2);
const nCal = Number(nCalS), nHeld = Number(nHeldS);
const glyph = process.env.GLYPH?.split('-').map(Number) as [number, number] | undefined;
const { model, shape, inputs } = benchModel(which, { bitmap: process.env.DATA === 'bitmap', glyph });
const fp32 = optimizeGraph(model.graph, { target: await loadTarget('npu') });
const heldSeed = Number(process.env.HELD_SEED ?? 777);
const calSeed = Number(seedS), calS = inputs(nCal, calSeed), held = inputs(nHeld, heldSeed);
const SIM = Number(process.env.SIM ?? 0);
const ORT = (process.env.EVAL ?? (which === 'det' ? 'ort' : 'ref')) === 'ort';
const run = async (g: Graph) => (ORT ? ortOutputs(toOnnxBytes(g), held) : held.map((s) => runGraph(g, s)));
const refs = await run(fp32);
const int8Of = (g: Graph) => new Map(quantGroups(g).map((q) => [q.name, 'int8' as const]));
const int8 = int8Of(fp32);
console.log(`${which} [${shape}]: ${nCal} calibration samples (seed ${calSeed}), ${nHeld} held-out (seed ${heldSeed}) on ${ORT ? 'onnxruntime' : 'the interpreter'}; load ${loadavg()[0].toFixed(1)}`);
const calibrations = new Map<Graph, ReturnType<typeof calibrate>>(); // one calibration run per model variant, shared by flows
const smoothed = new Map<string, Graph>();
for (const flow of flows.split(',')) {
  const t = performance.now();
  const on = new Set(flow.split('+'));
  if (on.has('drv')) { await report(flow, t, driverFlow()); continue; }
  let g: Graph = on.has('cle') ? equalizeCrossLayer(fp32) : fp32; // before calibration: ranges see the equalized model
  const smoothing = on.has('smg') ? 'gated' : on.has('sm') ? 'all' : on.has('smm') ? 'measured' : on.has('smdw') ? 'depthwise' : undefined;
  if (smoothing) {
    const key = `${on.has('cle') ? 'cle+' : ''}${smoothing}`;
    const pre = g, stats = () => { const b = calibrations.get(pre) ?? calibrate(pre, calS); calibrations.set(pre, b); return b.activations; }; // the unsmoothed model's statistics
    const alphas: string[] = [];
    g = smoothed.get(key) ?? smoothChannels(g, stats(), {
      dense: smoothing !== 'depthwise', select: smoothing === 'measured' ? 'measured' : 'predicted', gated: smoothing === 'gated',
      onSite: (s, a) => { if (!s.depthwise) alphas.push(`${s.group}:${a}`); },
    });
    if (alphas.length) console.log(`  dense α: ${alphas.join(' ')}`);
    smoothed.set(key, g);
    if (process.env.LEAN) calibrations.delete(pre); // LEAN=1: drop the unsmoothed model's activations (64 det pages ≈ 3 GB)
  }
  const cal = calibrations.get(g) ?? calibrate(g, calS);
  calibrations.set(g, cal);
  const picked = on.has('pick') ? pickRanges(g, cal) : undefined; // the driver's choice (percentile / min-max / MSE) on the calibration samples
  if (picked) console.log(`  pick: ${picked.chosen} (${Object.entries(picked.sqnr).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')} dB on the calibration samples)`);
  const ranges = picked ? picked.calib.ranges : on.has('ds') ? downstreamRanges(g, cal).ranges : on.has('dsmm') ? downstreamRanges(g, { ...cal, ranges: cal.extremes }).ranges
    : on.has('mm') ? cal.extremes : on.has('mse') ? mseRanges(cal).ranges : on.has('e2e') ? await e2eRanges(g, cal.ranges) : cal.ranges;
  if (on.has('bc')) g = correctBias(g, { precisions: int8, ranges, activations: cal.activations });
  const int8Weights = on.has('round') || on.has('wclip')
    ? roundInt8Weights(g, cal.activations, 4096, on.has('clean') ? undefined : ranges, { clip: on.has('wclip'), feedback: on.has('round') })
    : new Map<string, Tensor>();
  const channelRanges = on.has('dw') || on.has('dwc') ? depthwiseInputRanges(g, cal.activations, on.has('dwc')) : undefined;
  const tf = performance.now();
  const fitCal = { ...cal, ranges, activations: cal.activations.slice(0, Number(process.env.FIT_PAGES ?? nCal)) }; // FIT_PAGES: fit on the first n only (its cost is linear in them)
  const fitted = on.has('seq') ? fitWeights(g, fitCal, { precisions: int8, ranges, extremes: cal.extremes }, { target: 'sequential', maxPositions: Number(process.env.POS ?? 4096) }) : undefined;
  if (fitted) console.log(`  sequential fit ${((performance.now() - tf) / 1e3).toFixed(0)} s`);
  const q = quantizeGraph(g, { precisions: int8, ranges, extremes: cal.extremes, int8Weights, channelRanges, fitted });
  await report(flow, t, q);
}

/** Percentile ranges × per-site clip factors chosen end to end on JUDGE pages that did not fit them (or read from CLIPS). */
async function e2eRanges(g: Graph, base: ReadonlyMap<string, Range>): Promise<Map<string, Range>> {
  const file = process.env.CLIPS;
  let factors: Record<string, number>;
  if (file && existsSync(file)) factors = JSON.parse(readFileSync(file, 'utf8'));
  else {
    const nJudge = Number(process.env.JUDGE ?? nCal), t = performance.now();
    const judge = inputs(nCal + nJudge, calSeed).slice(nCal);
    const r = await ortClipRanges(g, base, judge, {
      factors: (process.env.E2E_FACTORS ?? '0.7,0.85,1,1.15,1.3').split(',').map(Number), passes: Number(process.env.E2E_PASSES ?? 1),
      minGain: Number(process.env.E2E_MINGAIN ?? 0.05), folds: Number(process.env.FOLDS ?? 0) });
    factors = Object.fromEntries(r.factors);
    console.log(`  e2e clips: judge ${r.start.toFixed(2)} → ${r.sqnr.toFixed(2)} dB on ${nJudge} pages, ${r.factors.size} sites moved, ${r.evaluations} evaluations, ${((performance.now() - t) / 1e3).toFixed(0)} s`);
    if (file) writeFileSync(file, JSON.stringify(factors));
  }
  return new Map([...base].map(([k, v]) => [k, k in factors ? { min: v.min * factors[k], max: v.max * factors[k] } : v]));
}

/** The driver's `--quantize int8 --int8-flow` (int8-flow.ts with search-run.ts's ranges: percentile on a smoothed graph, else pick; then the sequential fit). */
function driverFlow(): Graph {
  const { best, report: r } = int8Flow(fp32, calS, (g, smoothed) => {
    const c = calibrate(g, calS);
    if (smoothed) return { graph: g, calib: c, sqnr: new Analyzer(g, c).evaluate(int8Of(g)).sqnr, chosen: 'percentile' };
    const p = pickRanges(g, c);
    return { graph: g, calib: p.calib, sqnr: p.sqnr[p.chosen], chosen: p.chosen };
  }, { gated: process.env.GATED === '1' });
  console.log(`  driver flow: smoothing ${r.smoothing} (${r.smoothedSites} sites; calibration-set SQNR ${JSON.stringify(r.measured)}), ranges ${best.chosen}`);
  const plan = { precisions: int8Of(best.graph), ranges: best.calib.ranges, extremes: best.calib.extremes };
  const fitCal = { ...best.calib, activations: best.calib.activations.slice(0, Number(process.env.FIT_PAGES ?? nCal)) };
  return quantizeGraph(best.graph, { ...plan, fitted: fitWeights(best.graph, fitCal, plan, { maxPositions: Number(process.env.POS ?? 4096) }) });
}

async function report(flow: string, t: number, q: Graph): Promise<void> {
  const outs = await run(q);
  const m = metricsOf(refs, outs), h = Math.floor(nHeld / 2);
  const a = metricsOf(refs.slice(0, h), outs.slice(0, h)).sqnr, b = metricsOf(refs.slice(h), outs.slice(h)).sqnr;
  const top1 = m.top1 === null ? '' : ` top-1 ${(m.top1 * 100).toFixed(1)}%`;
  console.log(`${flow.padEnd(20)} ${m.sqnr.toFixed(2)} dB${top1} (halves ${a.toFixed(1)} / ${b.toFixed(1)}) ${((performance.now() - t) / 1e3).toFixed(0)} s`);
  // SIM=N: the same quantized graph compiled for each int8 target (SIM_TARGETS, default npu) and run on the
  // first N held-out samples there (NPU simulator, WGSL on WebGPU, CUDA on a GPU or its CPU emulation).
  for (const target of SIM ? (process.env.SIM_TARGETS ?? 'npu').split(',') : []) {
    const t1 = performance.now(), comp = await compileModel({ ...model, graph: q }, { target, noPasses: true });
    const outs: TensorMap[] = [];
    let how = '';
    for (const x of held.slice(0, SIM)) { const r = await comp.target.run!(comp.artifact, x); outs.push(r.outputs); how = r.how; }
    const ms = metricsOf(refs.slice(0, SIM), outs), mr = metricsOf(refs.slice(0, SIM), (await run(q)).slice(0, SIM));
    console.log(`  on ${target} (${how}; first ${SIM} held-out): ${ms.sqnr.toFixed(2)} dB (same samples, ${ORT ? 'onnxruntime' : 'interpreter'}: ${mr.sqnr.toFixed(2)}) ${((performance.now() - t1) / 1e3).toFixed(0)} s`);
  }
}
