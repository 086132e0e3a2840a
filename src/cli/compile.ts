// `tscc compile MODEL --target T [-o DIR]`: writes a self-contained artifact folder and report.json.
import type { Command } from 'commander';
import { compile, loadModel } from '../api.ts';
import { compileReport } from '../driver/compile.ts';
import { parseShapeFlags } from '../driver/inputs.ts';
import { heteroSummary } from '../driver/hetero/summary.ts';
import { addModelOptions, addQuantizeOptions, fmtMs, type QuantizeFlags, quantizeOptions, quantizeSummary } from './options.ts';
import type { Io } from './main.ts';

export function compileCommand(p: Command, io: Io): void {
  addQuantizeOptions(addModelOptions(p.command('compile').argument('<model>', 'an .onnx file')))
    .description('compile a model for a target and write the artifact folder')
    .requiredOption('-t, --target <target>', 'cuda[:sm_80|sm_90] | wgsl | npu[:preset|config.json] | pim[:hbm3|hbm2|aim] | hetero[:npu,pim,cuda,wgsl]')
    .option('--system <preset|file.json>', 'for hetero: the devices and links (npu-pim, gpu-npu-pim, soc-wgsl-npu, workstation)')
    .option('-o, --out <dir>', 'artifact folder')
    .option('--no-passes', 'compile the graph as imported (no fusion or simplification)')
    .option('--db <file>', 'apply the best schedules from this tuning database (tscc tune)')
    .action(async (file: string, o: { shape: string[]; fold: boolean; target: string; out?: string; passes: boolean; db?: string; system?: string } & QuantizeFlags) => {
      const m = loadModel(file, { shapes: parseShapeFlags(o.shape), fold: o.fold });
      const c = await compile(m, { target: o.target, out: o.out, noPasses: !o.passes, db: o.db, ...(o.system ? { system: o.system } : {}), ...quantizeOptions(o) });
      const r = compileReport(m, o.target, c) as { totals: { kernels: number; latencyMs: number | null; latencySource: string; cycles?: number } };
      const lat = r.totals.latencyMs === null ? 'n/a' : `${fmtMs(r.totals.latencyMs)} (${r.totals.latencySource})`;
      io.out(`${file} → ${o.target}: ${r.totals.kernels} kernels, latency ${lat}${r.totals.cycles !== undefined ? `, ${r.totals.cycles.toLocaleString('en-US')} cycles` : ''}${o.out ? `  → ${o.out}/` : ''}`);
      for (const line of heteroSummary(r)) io.out(`  ${line}`);
      for (const line of quantizeSummary(c.quantization)) io.out(`  ${line}`);
    });
}
