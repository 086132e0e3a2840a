// Child process of bench/quant-ort.ts: runs one ONNX model on onnxruntime-node (CPU, one thread,
// graph optimizations off: the QDQ pattern as written) over stacked f32 inputs.
//   node bench/quant-ort-run.mjs MODEL.onnx INPUTS.bin INPUT_NAME d0,d1,… N OUT.bin  → stdout: {"outputs":[{name,dims}]}
import ort from 'onnxruntime-node';
import { readFileSync, writeFileSync } from 'node:fs';

const [model, inputs, name, dimsS, nS, outPath] = process.argv.slice(2);
const dims = dimsS.split(',').map(Number), n = Number(nS), per = dims.reduce((a, b) => a * b, 1);
const buf = readFileSync(inputs);
const all = new Float32Array(buf.buffer, buf.byteOffset, per * n);
const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, logSeverityLevel: 3 });
const chunks = [];
let meta;
for (let i = 0; i < n; i++) {
  const r = await session.run({ [name]: new ort.Tensor('float32', all.slice(i * per, (i + 1) * per), dims) });
  meta ??= Object.entries(r).map(([k, v]) => ({ name: k, dims: v.dims }));
  for (const { name: k } of meta) chunks.push(Buffer.from(new Float32Array(r[k].data).buffer));
}
writeFileSync(outPath, Buffer.concat(chunks));
process.stdout.write(JSON.stringify({ outputs: meta }));
