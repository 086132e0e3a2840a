// Error-compensating weight rounding on any weight grid (issue 9, session 5; passes/quantize/weight-fit*.ts):
// uniform int8 / int4w / fp16 / bf16 with round-to-nearest weights vs GPTQ (fp32-input target) vs the
// sequential target (each conv fitted to the quantized model's own inputs), on held-out inputs.
//   npx tsx bench/quant-rounding.ts MODEL NCAL NHELD FLOWS [CALIB_SEED=1] [HELD_SEED=777]
//     (env DET=side: det resolution, 192; EVAL=ref|ort: who runs the held-out inputs, default ort for det;
//      POS=n: patch positions sampled per image and conv, default 4096; DAMP=f: GPTQ dampening, default 0.01; FOLD=0: the least-squares shift from
//      the full E (session 5's order of sums) instead of W E accumulated directly, FitOptions.foldShift)
//   MODEL: cls | det | hello_deepa | hello_deepa_old | namaste_deepa
//   FLOWS: comma-separated, each a '+'-joined set of:
//     precision  int8 | int4w | fp16 | bf16   (uniform over every quantizable group)
//     rounding   rtn (default) | gptq (fp32-input target) | seq (sequential target) | old (weight-rounding.ts, int8 only)
//     options    bias (refit biases) | act (act-order) | guard (sequential shift only where ≥ 4 patches per column; env GUARD=n) | sm | smdw (smoothing, smooth.ts, before calibration; int8)
//                mse (MSE-clipped activation ranges) | split (also print weights-only / activations-only SQNR)
//                off (fp16/bf16: per-channel offsets at the boundaries, float-offsets.ts; env GAIN=dB, default 1)
//                cv (sequential shift dampening per conv chosen by 2-fold validation, FitOptions.validateShift)
//                ct / noct (fit non-overlapping ConvTransposes, weight-fit-transpose.ts: default on for fp16/bf16 only)
//   e.g. npx tsx bench/quant-rounding.ts cls 32 256 bf16,bf16+gptq,bf16+seq,bf16+seq+bias
// Prints, per flow: held-out SQNR (and its two halves: a 2-class softmax's SQNR is decided by a few
// inputs), top-1 agreement for [N, C] outputs, the fit's wall time. `split`: weights-only (the fp32
// graph with the chosen weights and biases) and activations-only (the quantized graph, weights f32).
import { loadavg } from 'node:os';
import { Graph } from '../src/ir/graph/graph.ts';
import { Tensor } from '../src/ir/graph/tensor.ts';
import { runGraph } from '../src/runtime/interpreter.ts';
import { optimizeGraph } from '../passes/index.ts';
import { calibrate, mseRanges, type Calibration } from '../passes/quantize/calibrate.ts';
import { activationInputs, quantGroups } from '../passes/quantize/groups.ts';
import { quantizeGraph, type QuantPlan } from '../passes/quantize/quantize.ts';
import { roundInt8Weights } from '../passes/quantize/weight-rounding.ts';
import { fitWeights } from '../passes/quantize/weight-fit-graph.ts';
import { smoothChannels } from '../passes/quantize/smooth.ts';
import { toOnnxBytes } from '../passes/quantize/export.ts';
import { loadTarget } from '../src/driver/registry.ts';
import { metricsOf } from '../src/quant/sensitivity-metrics.ts';
import { fakeQuantize } from '../src/quant/weights.ts';
import type { Precision } from '../src/quant/precision.ts';
import { Analyzer } from '../src/quant/sensitivity.ts';
import { floatOffsets as offsetsOf } from '../passes/quantize/float-offsets.ts';
import { activationsOnly } from '../src/quant/sensitivity-float.ts';
import { benchModel } from './quant-models.ts';
import { ortOutputs } from './ort-outputs.ts';

const [which = 'cls', nCalS = '32', nHeldS = '256', flows = 'bf16,bf16+seq', seedS = '1', heldS = '777'] = process.argv.slice(2);
const nCal = Number(nCalS), nHeld = Number(nHeldS);
const { model, shape, inputs } = benchModel(which);
const fp32 = optimizeGraph(model.graph, { target: await loadTarget('npu') });
const calS = inputs(nCal, Number(seedS)), held = inputs(nHeld, Number(heldS));
const ORT = (process.env.EVAL ?? (which === 'det' ? 'ort' : 'ref')) === 'ort';
const run = async (g: Graph) => (ORT ? ortOutputs(toOnnxBytes(g), held) : held.map((s) => runGraph(g, s)));
const refs = await run(fp32);
console.log(`${which} [${shape}]: ${nCal} calibration samples (seed ${seedS}), ${nHeld} held-out (seed ${heldS}) on ${ORT ? 'onnxruntime' : 'the interpreter'}; load ${loadavg()[0].toFixed(1)}`);

const calibrations = new Map<Graph, Calibration>();
const calOf = (g: Graph) => { let c = calibrations.get(g); if (!c) calibrations.set(g, (c = calibrate(g, calS))); return c; };
const smoothed = new Map<string, Graph>();

/** The fp32 graph with the given constants replaced (weights-only view of a fit). */
function withConstants(g: Graph, m: ReadonlyMap<string, Tensor>): Graph {
  const spec = g.toSpec();
  return Graph.build({ ...spec, constants: spec.constants.map((c) => (m.has(c.name) ? { ...c, constant: m.get(c.name)! } : c)) });
}

async function measure(q: Graph): Promise<string> {
  const outs = await run(q);
  const m = metricsOf(refs, outs), h = Math.floor(nHeld / 2);
  const a = metricsOf(refs.slice(0, h), outs.slice(0, h)).sqnr, b = metricsOf(refs.slice(h), outs.slice(h)).sqnr;
  const top1 = m.top1 === null ? '' : ` top-1 ${(m.top1 * 100).toFixed(1)}%`;
  return `${m.sqnr.toFixed(2)} dB${top1} (halves ${a.toFixed(1)} / ${b.toFixed(1)})`;
}

for (const flow of flows.split(',')) {
  const on = new Set(flow.split('+'));
  const p = (['int8', 'int4w', 'fp16', 'bf16'] as Precision[]).find((x) => on.has(x)) ?? 'bf16';
  let g = fp32;
  const smoothing = on.has('sm') ? 'all' : on.has('smdw') ? 'depthwise' : undefined;
  if (smoothing) {
    g = smoothed.get(smoothing) ?? smoothChannels(fp32, calOf(fp32).activations, { dense: smoothing === 'all' });
    smoothed.set(smoothing, g);
  }
  const cal = calOf(g);
  const ranges = on.has('mse') ? mseRanges(cal).ranges : cal.ranges;
  const precisions = new Map(quantGroups(g).map((q) => [q.name, p]));
  const floatOffsets = on.has('off') ? offsetsOf(g, cal.activations, activationInputs(g), { minGainDb: Number(process.env.GAIN ?? 1) }) : undefined;
  const plan: QuantPlan = { precisions, ranges, extremes: cal.extremes, floatOffsets };
  const t = performance.now();
  let fitted: QuantPlan['fitted'], int8Weights: QuantPlan['int8Weights'];
  const fitOpts = { bias: on.has('bias'), actOrder: on.has('act'), maxPositions: Number(process.env.POS ?? 4096), damp: Number(process.env.DAMP ?? 0.01), minPatchesForShift: on.has('guard') ? Number(process.env.GUARD ?? 4) : 0, foldShift: process.env.FOLD !== '0',
    validateShift: on.has('cv'), convTranspose: on.has('ct') ? true : on.has('noct') ? false : undefined };
  if (on.has('gptq')) fitted = fitWeights(g, { ...cal, ranges }, plan, { ...fitOpts, target: 'fp32' });
  else if (on.has('seq')) fitted = fitWeights(g, { ...cal, ranges }, plan, { ...fitOpts, target: 'sequential' });
  else if (on.has('old')) int8Weights = roundInt8Weights(g, cal.activations, 4096, ranges);
  const fitS = (performance.now() - t) / 1e3;
  const q = quantizeGraph(g, { ...plan, fitted, int8Weights });
  let line = `${flow.padEnd(24)} ${await measure(q)}  fit ${fitS.toFixed(0)} s`;
  if (on.has('split')) {
    // Weights only: every planned weight as it will be stored (fitted, or round to nearest), activations f32.
    const chosen = new Map<string, Tensor>(fitted?.get(p) ?? int8Weights ?? []);
    for (const grp of quantGroups(g)) {
      if (chosen.has(grp.weight.name)) continue;
      const w = grp.weight.constant!;
      chosen.set(grp.weight.name, new Tensor('f32', w.shape, fakeQuantize(w.toF32(), w.shape, { precision: p, axis: grp.axis, blockAxis: grp.reduceAxis, symmetric: true })));
    }
    const wo = await measure(withConstants(g, chosen));
    // Activations only (fp16/bf16; independent of the weight rounding): sensitivity-float.ts.
    const ao = p === 'fp16' || p === 'bf16' ? await measure(activationsOnly(new Analyzer(g, { ...cal, ranges, floatOffsets }), precisions)) : 'n/a';
    line += `\n${''.padEnd(24)} weights only ${wo}; activations only ${ao}`;
  }
  console.log(line);
}

