// Reference kernels of the com.tscc Microscaling ops (shape rules in ir/graph/ops/mx.ts). The
// numerics are src/quant/mx.ts itself, so the runtime and the weight encoder cannot disagree.
import { Tensor } from '../../ir/graph/tensor.ts';
import { MX_DOMAIN, MX_FORMATS, mxFormat } from '../../ir/graph/ops/mx.ts';
import { mxDecode, mxFakeQuantize } from '../../quant/mx.ts';
import { unpackBits } from '../../quant/pack.ts';
import type { MxElement } from '../../quant/precision.ts';
import { defineKernel, type KernelNode } from '../kernel.ts';
import { fail } from './util.ts';

const axisOf = (node: KernelNode, rank: number): number => {
  const a = node.attr.int('axis', -1), n = a < 0 ? a + rank : a;
  if (n < 0 || n >= rank) fail(node, `axis ${a} is out of range for rank ${rank}`);
  return n;
};
const formatOf = (node: KernelNode) => mxFormat({ attr: node.attr, fail: (m) => fail(node, m) }) as MxElement;

// 'compute': f16/bf16 inputs arrive widened to f32 and the result is narrowed back.
defineKernel('MxQuantizeDequantize', ([x], node) => {
  const y = mxFakeQuantize(x!.data as Float32Array, x!.shape, axisOf(node, x!.rank), formatOf(node));
  return [new Tensor('f32', x!.shape, y)];
}, 'compute', MX_DOMAIN);

defineKernel('MxDequantize', ([elements, scales], node) => {
  const el = formatOf(node), shape = node.attr.ints('shape');
  const n = shape.reduce((a, b) => a * b, 1), bits = MX_FORMATS[el];
  if (elements!.size * 8 < n * bits) fail(node, `elements holds ${elements!.size} bytes, [${shape}] needs ${Math.ceil((n * bits) / 8)}`);
  const codes = unpackBits(elements!.data as Uint8Array, n, bits);
  return [new Tensor('f32', shape, mxDecode(codes, scales!.data as Uint8Array, shape, axisOf(node, shape.length), el))];
}, 'any', MX_DOMAIN);
