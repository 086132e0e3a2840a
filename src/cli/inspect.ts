// `tscc inspect MODEL [--emit graph|tir|cuda[:ARCH]]` and `tscc inspect K.tir`.
import type { Command } from 'commander';
import { UsageError } from '../util/errors.ts';
import { loadModel } from '../api.ts';
import { parseShapeFlags } from '../driver/inputs.ts';
import { isTirFile, loadTir } from '../driver/tir.ts';
import { formatStats, graphStats, printGraph } from '../ir/graph/print.ts';
import { printModule } from '../ir/tensor/print.ts';
import { lowerGraph } from '../lower/lower.ts';
import { optimizeGraph } from '../../passes/index.ts';
import { addModelOptions } from './options.ts';
import { compileModel } from '../driver/compile.ts';
import type { Io } from './main.ts';

const STAGES = ['graph', 'tir', 'cuda'];
/** Target stages print the generated source: `cuda[:sm_80|sm_90]` → kernels.cu. */
const isCuda = (emit: string) => emit === 'cuda' || emit.startsWith('cuda:');

export function inspectCommand(p: Command, io: Io): void {
  addModelOptions(p.command('inspect').argument('<model>', 'an .onnx file, or a Tensor IR .tir file'))
    .description('print a model at a pipeline stage')
    .option('--emit <stage>', STAGES.join(' | '), 'graph')
    .option('--passes <a,b,c>', 'run these graph passes first (`default`: the default pipeline)')
    .action(async (file: string, o: { shape: string[]; fold: boolean; emit: string; passes?: string }) => {
      if (isTirFile(file)) { io.out(printModule(loadTir(file)).trimEnd()); return; }
      if (!STAGES.includes(o.emit) && !isCuda(o.emit)) throw new UsageError(`--emit ${o.emit} is not available (stages: ${STAGES.join(', ')})`);
      const m = loadModel(file, { shapes: parseShapeFlags(o.shape), fold: o.fold });
      if (isCuda(o.emit)) {
        const c = await compileModel(m, { target: o.emit });
        io.out(String(c.artifact.files.get('kernels.cu')).trimEnd());
        return;
      }
      const graph = o.passes === undefined ? m.graph : optimizeGraph(m.graph, { passes: o.passes === 'default' ? undefined : o.passes.split(',') });
      if (o.emit === 'tir') {
        const lowered = lowerGraph(graph, { fallback: true });
        io.out(printModule(lowered.funcs).trimEnd());
        for (const f of lowered.fallback) io.out(`# ${f.node.name} (${f.node.op}) stays on the reference runtime: ${f.reason}`);
        return;
      }
      io.out(`# ${file}: ir_version ${m.irVersion}, producer "${m.producer}", opsets ${JSON.stringify(m.opsets)}`);
      io.out(printGraph(graph));
      io.out(formatStats(graphStats(graph)));
    });
}
