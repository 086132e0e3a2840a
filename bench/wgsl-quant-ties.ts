// QuantizeLinear by a constant scale on inputs within 3 ULP of a tie (x = (k + ½)·s nudged), 16
// scales × 16,384 values: how many int8 codes a target rounds differently from the reference runtime
// (f32 x / scale, half to even). WGSL allows x / y to be 2.5 ULP off and SwiftShader's division by a
// constant is: 9,149 of 262,144 differ there (session 7), 0 on CUDA; see targets/wgsl/DESIGN.md
// "Quantizer rounding".   npx tsx bench/wgsl-quant-ties.ts [wgsl|cuda|npu]
import { loadOnnxBytes } from '../src/frontend/onnx/import.ts';
import { compileModel } from '../src/driver/compile.ts';
import { runGraph } from '../src/runtime/interpreter.ts';
import { Tensor } from '../src/ir/graph/tensor.ts';
import { oneOpModel } from '../test/helpers/check.ts';

const t = process.argv[2] ?? 'wgsl';
const n = 1 << 14, ns = 16;
const x = new Float32Array(n * ns), sc = new Float32Array(ns);
let seed = 12345;
const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 2 ** 32; };
const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
for (let c = 0; c < ns; c++) {
  sc[c] = Math.fround(10 ** (rnd() * 6 - 4));
  for (let i = 0; i < n; i++) {
    f32[0] = Math.fround((Math.floor(rnd() * 256) - 128 + 0.5) * sc[c]);
    u32[0] += Math.floor(rnd() * 7) - 3;
    x[c * n + i] = f32[0];
  }
}
let bad = 0;
for (let c = 0; c < ns; c++) {
  const bytes = oneOpModel({ op: 'QuantizeLinear', inputs: [['f32', [n]], new Tensor('f32', [], Float32Array.of(sc[c])), new Tensor('i8', [], new Int8Array(1))] });
  const cm = await compileModel(loadOnnxBytes(bytes), { target: t });
  const inputs = { in0: new Tensor('f32', [n], x.slice(c * n, c * n + n)) };
  const got = (await cm.target.run!(cm.artifact, inputs)).outputs;
  const ref = runGraph(cm.plan.graph, inputs);
  const k = Object.keys(ref)[0];
  const a = ref[k].data as Int8Array, b = got[k].data as Int8Array;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) { if (bad < 5) console.log(x[c * n + i], sc[c], a[i], b[i]); bad++; }
}
console.log(`${t}: ${bad}/${n * ns} codes differ`);
