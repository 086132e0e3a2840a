// DepthToSpace and SpaceToDepth: pure data movement on [N, C, H, W], any element type.
// DCR: out[n, c, h·b+i, w·b+j] = in[n, (i·b+j)·C' + c, h, w]   (C' = C / b²)
// CRD: out[n, c, h·b+i, w·b+j] = in[n, c·b² + i·b + j, h, w]
// SpaceToDepth is the inverse of DCR.
import { MAX_OUTPUT_ELEMENTS } from '../../ir/graph/ops/norm-util.ts';
import { Tensor, sizeOf } from '../../ir/graph/tensor.ts';
import { defineKernel, type KernelNode } from '../kernel.ts';
import { fail } from './util.ts';

/** The output tensor, refusing sizes no real model produces (a fuzzed blocksize must not allocate gigabytes). */
function output(node: KernelNode, x: Tensor, shape: number[]): Tensor {
  if (sizeOf(shape) > MAX_OUTPUT_ELEMENTS) fail(node, `output shape [${shape}] is too large`);
  return new Tensor(x.dtype, shape);
}

function blocksize(node: KernelNode, x: Tensor): number {
  if (x.rank !== 4) fail(node, `input must have rank 4 (N, C, H, W), got rank ${x.rank}`);
  const b = node.attr.int('blocksize');
  if (b <= 0) fail(node, `blocksize must be positive, got ${b}`);
  return b;
}

defineKernel('DepthToSpace', ([x], node) => {
  const b = blocksize(node, x!);
  const crd = node.attr.string('mode', 'DCR') === 'CRD';
  const [N, C, H, W] = x!.shape;
  if (C % (b * b) !== 0) fail(node, `${C} channels are not divisible by blocksize² = ${b * b}`);
  const oc = C / (b * b), OH = H * b, OW = W * b;
  const out = output(node, x!, [N, oc, OH, OW]);
  const src = x!.data as unknown as number[], dst = out.data as unknown as number[];
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < oc; c++) {
      for (let oh = 0; oh < OH; oh++) {
        const h = Math.floor(oh / b), i = oh % b;
        for (let ow = 0; ow < OW; ow++) {
          const w = Math.floor(ow / b), j = ow % b;
          const ic = crd ? c * b * b + i * b + j : (i * b + j) * oc + c;
          dst[o++] = src[((n * C + ic) * H + h) * W + w];
        }
      }
    }
  }
  return [out];
}, 'any');

defineKernel('SpaceToDepth', ([x], node) => {
  const b = blocksize(node, x!);
  const [N, C, H, W] = x!.shape;
  if (H % b !== 0 || W % b !== 0) fail(node, `spatial size ${H}x${W} is not divisible by blocksize ${b}`);
  const OH = H / b, OW = W / b;
  const out = output(node, x!, [N, C * b * b, OH, OW]);
  if (out.size === 0) return [out]; // also keeps a huge blocksize on an empty input from looping b² times
  const src = x!.data as unknown as number[], dst = out.data as unknown as number[];
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < b; i++) {
      for (let j = 0; j < b; j++) {
        for (let c = 0; c < C; c++) {
          for (let oh = 0; oh < OH; oh++) {
            const rowBase = ((n * C + c) * H + oh * b + i) * W + j;
            for (let ow = 0; ow < OW; ow++) dst[o++] = src[rowBase + ow * b];
          }
        }
      }
    }
  }
  return [out];
}, 'any');
