// Uniform quantization through the driver (compileModel with a --calib folder: the CLI's path, with
// its defaults — for int8/fp16/bf16 the error-compensating weight fit), the artifact run on each
// target, held-out inputs (another seed than the calibration draw) against fp32: output SQNR and
// top-1 agreement per target. The acceptance's "on every target that runs int8".
//   npx tsx bench/quant-targets.ts [cls|det|hello_deepa|…] [int8|bf16|fp16|int4w] [NCAL 32] [NHELD 8] [TARGETS npu,wgsl,cuda] [--no-weight-fit]
//     [--int8-flow] [--once [--held-seeds=777,4242] [--sim=N] [--clip-judge-samples=N]]
// --once (session 7; what det needs — one det int8-flow compile is ~an hour): quantize ONCE through
// compileModel on the first target (the driver's path: --calib folder, its defaults, report.json's
// quantization section printed), measure the quantized graph held-out on onnxruntime (the QDQ export,
// passes/quantize/export.ts) for each held-out seed with its two halves, then compile that graph for
// every target (noPasses) and run the first N held-out pages (--sim, default 4) there, side by side
// with onnxruntime on the same pages. Without --once: one full compile per target, interpreter held-out.
import { loadavg } from 'node:os';
import { runGraph, type TensorMap } from '../src/runtime/interpreter.ts';
import { compileModel } from '../src/driver/compile.ts';
import { optimizeGraph } from '../passes/index.ts';
import { toOnnxBytes } from '../passes/quantize/export.ts';
import { quantizeFused } from '../src/quant/search-run.ts';
import { metricsOf } from '../src/quant/sensitivity-metrics.ts';
import { benchModel } from './quant-models.ts';
import { writeCalibDir } from './quant-driver.ts';
import { ortOutputs } from './ort-outputs.ts';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const [which = 'cls', precision = 'int8', nCalS = '32', nHeldS = '8', targetsS = 'npu,wgsl,cuda'] = args;
const fit = !process.argv.includes('--no-weight-fit'), int8Flow = process.argv.includes('--int8-flow');
const judgeFlag = flag('clip-judge-samples');
const { model, shape, inputs } = benchModel(which);
const calib = inputs(Number(nCalS), 1);
const dir = writeCalibDir(calib);
const quantize = {
  precision, calib: dir, calibSamples: calib.length, ...(fit ? {} : { weightFit: false }), ...(int8Flow ? { int8Flow: true } : {}),
  ...(judgeFlag !== undefined ? { clipJudgeSamples: Number(judgeFlag) } : {}),
};
const how = `${fit ? '' : ' (--no-weight-fit)'}${int8Flow ? ' --int8-flow' : ''}`;
if (process.argv.includes('--once')) await once();
else await perTarget();

async function perTarget(): Promise<void> {
  const held = inputs(Number(nHeldS), 777), refs = held.map((s) => runGraph(model.graph, s));
  console.log(`${which} ${JSON.stringify(shape)} uniform ${precision}${how}: ${calib.length} calibration samples (seed 1, --calib folder), ${held.length} held-out (seed 777); load ${loadavg()[0].toFixed(1)}`);
  console.log('target | held-out SQNR | top-1 agreement | substituted | compile s');
  for (const target of ['ref', ...targetsS.split(',')]) {
    const t0 = performance.now();
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
}

async function once(): Promise<void> {
  const targets = targetsS.split(','), seeds = (flag('held-seeds') ?? '777').split(',').map(Number), sim = Number(flag('sim') ?? 4);
  const mb = () => `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`;
  console.log(`${which} ${JSON.stringify(shape)} uniform ${precision}${how}: ${calib.length} calibration samples (seed 1, --calib folder); load ${loadavg()[0].toFixed(1)}`);
  const t0 = performance.now();
  const c = await compileModel(model, { target: targets[0], quantize });
  const q = c.plan.graph, r = c.quantization as Record<string, unknown>;
  console.log(`compile (${targets[0]}) ${((performance.now() - t0) / 1e3).toFixed(0)} s, load ${loadavg()[0].toFixed(1)} at its end, ${mb()}`);
  console.log(`report: int8Flow ${JSON.stringify(r.int8Flow)}; weightFit ${JSON.stringify(r.weightFit)}; calibration ${JSON.stringify(r.calibration)}; metrics ${JSON.stringify(r.metrics)}`);
  const fp32 = toOnnxBytes(model.graph), qb = toOnnxBytes(q);
  const heldSets = seeds.map((s) => inputs(Number(nHeldS), s));
  const qOuts: TensorMap[][] = [], refsBy: TensorMap[][] = [];
  for (const [i, held] of heldSets.entries()) {
    const refs = await ortOutputs(fp32, held), outs = await ortOutputs(qb, held), h = held.length >> 1;
    refsBy.push(refs); qOuts.push(outs);
    const m = metricsOf(refs, outs), a = metricsOf(refs.slice(0, h), outs.slice(0, h)), b = metricsOf(refs.slice(h), outs.slice(h));
    console.log(`held-out ${held.length} (seed ${seeds[i]}) on onnxruntime: ${m.sqnr.toFixed(2)} dB (halves ${a.sqnr.toFixed(2)} / ${b.sqnr.toFixed(2)})${m.top1 === null ? '' : `, top-1 ${(m.top1 * 100).toFixed(1)} %`}`);
  }
  for (const target of targets) {
    const t1 = performance.now();
    try {
      const comp = target === targets[0] ? c : await compileModel({ ...model, graph: q }, { target, noPasses: true });
      const pages = heldSets[0].slice(0, sim), outs: TensorMap[] = [];
      let ran = '';
      for (const x of pages) { const res = await comp.target.run!(comp.artifact, x); outs.push(res.outputs); ran = res.how; }
      const refs = refsBy[0].slice(0, sim), mt = metricsOf(refs, outs), mo = metricsOf(refs, qOuts[0].slice(0, sim));
      console.log(`on ${target} (${ran}; first ${sim} held-out of seed ${seeds[0]}): ${mt.sqnr.toFixed(2)} dB; onnxruntime on the same pages ${mo.sqnr.toFixed(2)} dB; ${((performance.now() - t1) / 1e3).toFixed(0)} s, load ${loadavg()[0].toFixed(1)}`);
    } catch (e) {
      console.log(`on ${target}: error: ${(e as Error).message.slice(0, 200)}`);
    }
  }
  console.log(mb());
}
