// `tscc run MODEL --target T [--input NAME=FILE.npy …] [--out DIR]`.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { FileError } from '../util/errors.ts';
import { loadModel, run } from '../api.ts';
import { parseShapeFlags, readInputFlags } from '../driver/inputs.ts';
import { formatType } from '../ir/graph/print.ts';
import { npyName, writeNpy } from '../runtime/npy.ts';
import { addModelOptions, collect, fmtMs } from './options.ts';
import type { Io } from './main.ts';

export function runCommand(p: Command, io: Io): void {
  addModelOptions(p.command('run').argument('<model>', 'an .onnx file'))
    .description('execute a model on a target and write each output as DIR/<name>.npy')
    .option('-t, --target <target>', 'ref (reference interpreter), cuda, wgsl, npu[:preset], pim[:preset]', 'ref')
    .option('--input <NAME=FILE.npy>', 'an input (repeatable); others are drawn from a fixed seed', collect, [])
    .option('--out <dir>', 'where to write outputs')
    .action(async (file: string, o: { shape: string[]; fold: boolean; target: string; input: string[]; out?: string }) => {
      const m = loadModel(file, { shapes: parseShapeFlags(o.shape), fold: o.fold });
      const res = await run(m, readInputFlags(o.input), { target: o.target });
      if (o.out) {
        try { mkdirSync(o.out, { recursive: true }); } catch (e) { throw new FileError(`${o.out}: cannot create (${(e as NodeJS.ErrnoException).code})`); }
      }
      io.out(`${file} on ${o.target} (${res.how}): ${fmtMs(res.ms)}`);
      for (const v of m.graph.outputs) {
        const t = res.outputs[v.name];
        const path = o.out ? join(o.out, npyName(v.name)) : undefined;
        if (path) writeNpy(path, t);
        const vals = t.toNumbers();
        let lo = Infinity, hi = -Infinity, sum = 0;
        for (const x of vals) { lo = Math.min(lo, x); hi = Math.max(hi, x); sum += x; }
        const stats = vals.length ? `min ${lo.toPrecision(4)} max ${hi.toPrecision(4)} mean ${(sum / vals.length).toPrecision(4)}` : 'empty';
        io.out(`  ${v.name}: ${formatType({ dtype: t.dtype, shape: t.shape })}  ${stats}${path ? `  → ${path}` : ''}`);
      }
    });
}
