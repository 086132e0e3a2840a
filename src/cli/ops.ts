// `tscc ops [--markdown]`: the generated table of supported ops and opset ranges (docs/ops.md).
import type { Command } from 'commander';
import { supportedOpsTable } from '../driver/ops-table.ts';
import type { Io } from './main.ts';

export function opsCommand(p: Command, io: Io): void {
  p.command('ops')
    .description('list the ONNX ops tscc imports and runs, with their opset ranges')
    .option('--markdown', 'print docs/ops.md')
    .action((o: { markdown?: boolean }) => { io.out(supportedOpsTable(o.markdown ?? false)); });
}
