// Uniform quantization through the driver (compileModel with a --calib folder: the CLI's path, with
// its defaults — for int8/fp16/bf16 the error-compensating weight fit), the artifact run on each
// target, held-out inputs (another seed than the calibration draw) against fp32: output SQNR and
// top-1 agreement per target. The acceptance's "on every target that runs int8".
//   npx tsx bench/quant-targets.ts [cls|det|hello_deepa|…] [int8|bf16|fp16|int4w] [NCAL 32] [NHELD 8] [TARGETS npu,wgsl,cuda] [--no-weight-fit]
import { loadavg } from 'node:os';
import { runGraph, type TensorMap } from '../src/runtime/interpreter.ts';
import { compileModel } from '../src/driver/compile.ts';
import { optimizeGraph } from '../passes/index.ts';
import { quantizeFused } from '../src/quant/search-run.ts';
import { metricsOf } from '../src/quant/sensitivity-metrics.ts';
import { benchModel } from './quant-models.ts';
import { writeCalibDir } from './quant-driver.ts';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const [which = 'cls', precision = 'int8', nCalS = '32', nHeldS = '8', targetsS = 'npu,wgsl,cuda'] = args;
const fit = !process.argv.includes('--no-weight-fit');
const { model, shape, inputs } = benchModel(which);
const calib = inputs(Number(nCalS), 1), held = inputs(Number(nHeldS), 777);
const refs = held.map((s) => runGraph(model.graph, s));
const dir = writeCalibDir(calib);
console.log(`${which} ${JSON.stringify(shape)} uniform ${precision}${fit ? '' : ' (--no-weight-fit)'}: ${calib.length} calibration samples (seed 1, --calib folder), ${held.length} held-out (seed 777); load ${loadavg()[0].toFixed(1)}`);
console.log('target | held-out SQNR | top-1 agreement | substituted | compile s');
for (const target of ['ref', ...targetsS.split(',')]) {
  const t0 = performance.now();
  const quantize = { precision, calib: dir, calibSamples: calib.length, ...(fit ? {} : { weightFit: false }) };
  try {
    let outs: TensorMap[];
    let subs = 0;
    if (target === 'ref') {
      // What `tscc run --target ref --quantize …` runs (src/driver/targets.ts), quantized once.
      const q = await quantizeFused(optimizeGraph(model.graph), quantize);
      outs = held.map((s) => runGraph(q.graph, s));
    } else {
      const c = await compileModel(model, { target, quantize });
      subs = ((c.quantization as { substituted?: unknown[] } | undefined)?.substituted ?? []).length;
      outs = [];
      for (const s of held) outs.push((await c.target.run!(c.artifact, s)).outputs);
    }
    const m = metricsOf(refs, outs);
    console.log(`${target} | ${m.sqnr.toFixed(1)} dB | ${m.top1 === null ? '—' : `${(m.top1 * 100).toFixed(1)} %`} | ${subs} | ${((performance.now() - t0) / 1000).toFixed(0)}`);
  } catch (e) {
    console.log(`${target} | error: ${(e as Error).message.slice(0, 160)}`);
  }
}
