// `tscc inspect MODEL [--emit graph]`: the imported graph with shapes, dtypes and parameter counts.
import type { Command } from 'commander';
import { UsageError } from '../util/errors.ts';
import { loadModel } from '../api.ts';
import { parseShapeFlags } from '../driver/inputs.ts';
import { formatStats, graphStats, printGraph } from '../ir/graph/print.ts';
import { addModelOptions } from './options.ts';
import type { Io } from './main.ts';

export function inspectCommand(p: Command, io: Io): void {
  addModelOptions(p.command('inspect').argument('<model>', 'an .onnx file'))
    .description('print a model at a pipeline stage')
    .option('--emit <stage>', 'graph', 'graph')
    .action((file: string, o: { shape: string[]; fold: boolean; emit: string }) => {
      if (o.emit !== 'graph') throw new UsageError(`--emit ${o.emit} is not available (stages: graph)`);
      const m = loadModel(file, { shapes: parseShapeFlags(o.shape), fold: o.fold });
      io.out(`# ${file}: ir_version ${m.irVersion}, producer "${m.producer}", opsets ${JSON.stringify(m.opsets)}`);
      io.out(printGraph(m.graph));
      io.out(formatStats(graphStats(m.graph)));
    });
}
