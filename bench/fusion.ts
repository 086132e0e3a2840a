// bench/fusion: per model, nodes in the ONNX file, kernels after tscc's default pass pipeline, and
// nodes after onnxruntime's own optimizer at the `extended` level (the optimized model is saved with
// `optimizedModelFilePath` and its nodes counted); then the pipeline's time on a ResNet-50 graph.
//   npx tsx bench/fusion.ts
import { resnet } from '../models/resnet.ts';
import { loadOnnxBytes } from '../src/frontend/onnx/import.ts';
import { onnx } from '../src/frontend/onnx/proto.ts';
import { optimizeGraph } from '../passes/index.ts';
import { type CorpusModel, ortOptimizedNodes, realCorpus, shippedCorpus, withStaticInputs, zooCorpus } from '../test/passes/corpus.ts';
import { median } from '../src/util/stats.ts';

interface Row { name: string; onnx: number; tscc: number; ort: number; transformer: boolean }

async function row(m: CorpusModel): Promise<Row> {
  const bytes = m.bytes();
  const file = onnx.ModelProto.decode(bytes).graph!.node!.length;
  const g = optimizeGraph(loadOnnxBytes(bytes, { shapes: m.shapes }).graph);
  return { name: m.name, onnx: file, tscc: g.nodes.length, ort: await ortOptimizedNodes(withStaticInputs(bytes, m.shapes), 'extended'), transformer: !!m.transformer };
}

function pipelineTime(): { cpuMs: number; wallMs: number; nodes: number; kernels: number } {
  const g = loadOnnxBytes(resnet({ depth: 50 }).toBytes()).graph;
  optimizeGraph(g); // warm the JIT
  const cpu: number[] = [], wall: number[] = [];
  let kernels = 0;
  for (let i = 0; i < 7; i++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    kernels = optimizeGraph(g).nodes.length;
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { cpuMs: median(cpu), wallMs: median(wall), nodes: g.nodes.length, kernels };
}

const rows: Row[] = [];
for (const m of [...zooCorpus(), ...shippedCorpus(), ...realCorpus()]) rows.push(await row(m));
const r50 = resnet({ depth: 50 }).toBytes();
rows.push({ name: 'resnet-50 (models/resnet.ts)', onnx: onnx.ModelProto.decode(r50).graph!.node!.length, tscc: optimizeGraph(loadOnnxBytes(r50).graph).nodes.length, ort: await ortOptimizedNodes(r50, 'extended'), transformer: false });

const pad = (s: string | number, n: number) => String(s).padStart(n);
console.log(`${'model'.padEnd(34)} ${pad('onnx', 6)} ${pad('tscc', 6)} ${pad('ort-ext', 8)} ${pad('tscc/ort', 9)}  target`);
let failures = 0;
for (const r of rows) {
  const ratio = r.tscc / r.ort;
  const ok = r.tscc <= r.ort && (!r.transformer || ratio <= 0.6);
  if (!ok) failures++;
  console.log(`${r.name.padEnd(34)} ${pad(r.onnx, 6)} ${pad(r.tscc, 6)} ${pad(r.ort, 8)} ${pad(`${(100 * ratio).toFixed(0)}%`, 9)}  ${r.transformer ? '≤60%' : '≤100%'} ${ok ? 'ok' : 'MISSED'}`);
}
const t = pipelineTime();
console.log(`\ndefault pipeline on ResNet-50 (${t.nodes} nodes → ${t.kernels} kernels): ${t.cpuMs.toFixed(1)} ms CPU, ${t.wallMs.toFixed(1)} ms wall (median of 7; target < 300 ms)`);
console.log(failures ? `${failures} model(s) missed the kernel-count target` : 'every model meets the kernel-count target');
