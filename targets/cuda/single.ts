// PrimFuncs as one standalone program: their kernels, and a main() that picks kernel K, reads each
// input from a raw file, launches it once, and writes each output raw:
//   prog K IN… OUT…
// Tests compare it with the Tensor IR interpreter (the printer checked against the IR's own
// semantics, on the CPU emulation and through nvcc); a tuner can time kernels with it.
import type { PrimFunc } from '../../src/ir/tensor/func.ts';
import { dtypeInfo } from '../../src/ir/graph/dtype.ts';
import type { KernelSource } from './kernel.ts';
import { renderKernel } from './templates.ts';
import { cType } from './spec.ts';

function caseBody(f: PrimFunc, k: KernelSource): string {
  const lines: string[] = [];
  f.params.forEach((b, i) => {
    const bytes = b.size * dtypeInfo(b.dtype).bytes;
    lines.push(`${cType(b.dtype)}* p${i} = nullptr;`, `TSCC_CHECK(cudaMalloc((void**)&p${i}, ${bytes}));`);
    if (i < f.inputs.length) lines.push(`if (!read_raw(argv[${i + 2}], p${i}, ${bytes})) return 1;`);
  });
  const args = f.params.map((_, i) => `p${i}`).join(', ');
  lines.push(`TSCC_LAUNCH(${k.name}, dim3(${k.grid.join(', ')}), dim3(${k.block.join(', ')}), ${k.barrier}, ${args});`,
    'TSCC_CHECK(cudaGetLastError());', 'TSCC_CHECK(cudaDeviceSynchronize());');
  f.outputs.forEach((b, j) => {
    const i = f.inputs.length + j;
    lines.push(`if (!write_raw(argv[${i + 2}], p${i}, ${b.size * dtypeInfo(b.dtype).bytes})) return 1;`);
  });
  f.params.forEach((_, i) => lines.push(`cudaFree(p${i});`));
  lines.push('return 0;');
  return lines.map((l) => `    ${l}`).join('\n');
}

export function kernelsProgram(funcs: readonly PrimFunc[]): { source: string; kernels: KernelSource[] } {
  const kernels = funcs.map((f) => renderKernel(f));
  const cases = funcs.map((f, i) => `  if (which == ${i}) {\n    if (argc != ${f.params.length + 2}) return 2;\n${caseBody(f, kernels[i])}\n  }`);
  const source = `#include "tscc_cuda.h"
#include <vector>

${kernels.map((k) => k.text).join('\n')}
static bool read_raw(const char* path, void* dev, size_t n) {
  std::vector<char> h(n);
  FILE* f = fopen(path, "rb");
  bool ok = f && fread(h.data(), 1, n, f) == n;
  if (f) fclose(f);
  return ok && cudaMemcpy(dev, h.data(), n, cudaMemcpyHostToDevice) == cudaSuccess;
}

static bool write_raw(const char* path, const void* dev, size_t n) {
  std::vector<char> h(n);
  if (cudaMemcpy(h.data(), dev, n, cudaMemcpyDeviceToHost) != cudaSuccess) return false;
  FILE* f = fopen(path, "wb");
  bool ok = f && fwrite(h.data(), 1, n, f) == n;
  return f && fclose(f) == 0 && ok;
}

int main(int argc, char** argv) {
  if (argc < 2) { fprintf(stderr, "usage: %s KERNEL INPUTS… OUTPUTS…\\n", argv[0]); return 2; }
  int which = atoi(argv[1]);
${cases.join('\n')}
  return 2;
}
`;
  return { source, kernels };
}
