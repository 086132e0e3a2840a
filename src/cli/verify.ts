// `tscc verify MODEL --target T`: compare a target with onnxruntime-node on seeded random inputs.
// Exit 0 when every output is within tolerance; 2 (a tscc bug) when one is not.
import type { Command } from 'commander';
import { loadModel, verify } from '../api.ts';
import { parseShapeFlags, readInputFlags } from '../driver/inputs.ts';
import { addModelOptions, collect } from './options.ts';
import type { Io } from './main.ts';

export function verifyCommand(p: Command, io: Io, status: { code: number }): void {
  addModelOptions(p.command('verify').argument('<model>', 'an .onnx file'))
    .description('run seeded random inputs through a target and onnxruntime-node; print the error per output')
    .option('-t, --target <target>', 'ref (reference interpreter)', 'ref')
    .option('--input <NAME=FILE.npy>', 'an input (repeatable)', collect, [])
    .option('--tol <x>', 'pass when max|a-b| ≤ tol·max|ref|', '1e-4')
    .action(async (file: string, o: { shape: string[]; fold: boolean; target: string; input: string[]; tol: string }) => {
      const m = loadModel(file, { shapes: parseShapeFlags(o.shape), fold: o.fold });
      const r = await verify(m, { target: o.target, tol: Number(o.tol), inputs: readInputFlags(o.input) });
      io.out(`${file}: ${o.target} (${r.how}) vs onnxruntime-node, tolerance ${r.tol}·max|ref|`);
      for (const d of r.diffs) {
        io.out(`  ${d.ok ? 'ok  ' : 'FAIL'} ${d.name}: max abs ${d.maxAbs.toExponential(3)}, max|ref| ${d.maxRef.toExponential(3)}, rel ${d.rel.toExponential(3)}${d.shapeMatch ? '' : ' (shape mismatch)'}`);
      }
      if (!r.ok) { io.err('tscc: verify failed: outputs differ from onnxruntime'); status.code = 2; }
    });
}
