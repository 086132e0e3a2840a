// Options shared by several commands.
import type { Command } from 'commander';

export const collect = (v: string, acc: string[]) => [...acc, v];

export function addModelOptions(c: Command): Command {
  return c
    .option('--shape <NAME=d0,d1,…>', 'bind an input\'s dynamic dims (repeatable)', collect, [])
    .option('--no-fold', 'do not fold constant sub-graphs on import');
}

export function fmtMs(ms: number): string {
  return ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
