// `tscc run MODEL --target T [--input NAME=FILE.npy …] [--out DIR]`.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { FileError, UsageError } from '../util/errors.ts';
import { loadModel, run } from '../api.ts';
import { parseShapeFlags, readInputFlags } from '../driver/inputs.ts';
import { formatType } from '../ir/graph/print.ts';
import { npyName, writeNpy } from '../runtime/npy.ts';
import { addModelOptions, addQuantizeOptions, collect, fmtMs, type QuantizeFlags, quantizeOptions, quantizeSummary } from './options.ts';
import { isTirFile, loadTir, pickFunc, runTirFunc } from '../driver/tir.ts';
import type { Tensor } from '../ir/graph/tensor.ts';
import type { Io } from './main.ts';

export function runCommand(p: Command, io: Io): void {
  addQuantizeOptions(addModelOptions(p.command('run').argument('<model>', 'an .onnx file, or a Tensor IR .tir file (target ref)')))
    .description('execute a model on a target and write each output as DIR/<name>.npy')
    .option('-t, --target <target>', 'ref (reference interpreter), cuda, wgsl, npu[:preset], pim[:preset], hetero[:npu,pim,…]', 'ref')
    .option('--system <preset|file.json>', 'for hetero: the devices and links (npu-pim, gpu-npu-pim, soc-wgsl-npu, workstation)')
    .option('--input <NAME=FILE.npy>', 'an input (repeatable); others are drawn from a fixed seed', collect, [])
    .option('--out <dir>', 'where to write outputs')
    .option('--func <name>', 'for a .tir file with several functions: the one to run')
    .action(async (file: string, o: { shape: string[]; fold: boolean; target: string; input: string[]; out?: string; func?: string; system?: string } & QuantizeFlags) => {
      if (isTirFile(file)) {
        if (o.target !== 'ref') throw new UsageError(`a .tir file runs on the Tensor IR interpreter: use --target ref`);
        const f = pickFunc(loadTir(file), o.func, file);
        const t0 = performance.now();
        const outputs = runTirFunc(f, readInputFlags(o.input));
        io.out(`${file}: ${f.name} on the Tensor IR interpreter: ${fmtMs(performance.now() - t0)}`);
        writeOutputs(io, f.outputs.map((b) => b.name), outputs, o.out);
        return;
      }
      const m = loadModel(file, { shapes: parseShapeFlags(o.shape), fold: o.fold });
      const res = await run(m, readInputFlags(o.input), { target: o.target, ...(o.system ? { system: o.system } : {}), ...quantizeOptions(o) });
      io.out(`${file} on ${o.target} (${res.how}): ${fmtMs(res.ms)}${res.cycles !== undefined ? `, ${res.cycles.toLocaleString('en-US')} cycles` : ''}`);
      for (const line of quantizeSummary(res.quantization)) io.out(`  ${line}`);
      writeOutputs(io, m.graph.outputs.map((v) => v.name), res.outputs, o.out);
    });
}

function writeOutputs(io: Io, names: string[], outputs: Record<string, Tensor>, out: string | undefined): void {
  if (out) {
    try { mkdirSync(out, { recursive: true }); } catch (e) { throw new FileError(`${out}: cannot create (${(e as NodeJS.ErrnoException).code})`); }
  }
  for (const name of names) {
    const t = outputs[name];
    const path = out ? join(out, npyName(name)) : undefined;
    if (path) writeNpy(path, t);
    const vals = t.toNumbers();
    let lo = Infinity, hi = -Infinity, sum = 0;
    for (const x of vals) { lo = Math.min(lo, x); hi = Math.max(hi, x); sum += x; }
    const stats = vals.length ? `min ${lo.toPrecision(4)} max ${hi.toPrecision(4)} mean ${(sum / vals.length).toPrecision(4)}` : 'empty';
    io.out(`  ${name}: ${formatType({ dtype: t.dtype, shape: t.shape })}  ${stats}${path ? `  → ${path}` : ''}`);
  }
}
