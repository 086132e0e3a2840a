// `tscc tune MODEL --target T [--trials N] [--budget 8h] [--db FILE] [--log-json FILE]`: tunes every
// kernel, resumable (configs in the database are never measured again). Ctrl-C stops after the batch
// being measured is committed; a second Ctrl-C exits at once (committed batches are safe either way).
import { appendFileSync } from 'node:fs';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { loadModel } from '../api.ts';
import { parseShapeFlags } from '../driver/inputs.ts';
import { tuneModel } from '../tune/driver.ts';
import type { TuneEvent } from '../tune/tuner.ts';
import { UsageError } from '../util/errors.ts';
import { addModelOptions } from './options.ts';
import type { Io } from './main.ts';

/** `8h`, `30m`, `90s`, `1h30m`, or a number of seconds. */
export function parseDuration(s: string): number {
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(h|m|s)/g;
  let ms = 0, used = 0;
  for (const m of s.matchAll(re)) { ms += Number(m[1]) * { h: 3600e3, m: 60e3, s: 1e3 }[m[2] as 'h' | 'm' | 's']; used += m[0].length; }
  if (used !== s.length || used === 0) throw new UsageError(`--budget ${s}: expected a duration like 8h, 30m, 1h30m or 90s`);
  return ms;
}

function positive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} ${v}: expected a positive integer`);
  return n;
}

const fmt = (v: number | null): string => (v === null ? 'n/a' : v < 10 ? v.toFixed(3) : v.toFixed(0));

interface TuneFlags { shape: string[]; fold: boolean; target: string; trials: string; budget?: string; db: string; logJson?: string; batch: string; model: string; seed: string }

export function tuneCommand(p: Command, io: Io): void {
  addModelOptions(p.command('tune').argument('<model>', 'an .onnx file'))
    .description('auto-tune every kernel of a model for a target, recording measurements in a database')
    .requiredOption('-t, --target <target>', 'interp | npu | wgsl | cuda | pim (with :variant)')
    .option('--trials <n>', 'trials per kernel, the default schedule included', '64')
    .option('--budget <duration>', 'stop starting new batches after this long (8h, 30m, 90s)')
    .option('--db <file>', 'tuning database (SQLite)', 'tscc-tuning.db')
    .option('--log-json <file>', 'append one JSON event per line')
    .option('--batch <n>', 'configs measured per batch (one transaction each)', '8')
    .option('--cost-model <kind>', 'xgboost | random', 'xgboost')
    .option('--seed <n>', 'search seed', '1')
    .action(async (file: string, o: TuneFlags & { costModel: string }) => {
      const trials = positive('--trials', o.trials), batch = positive('--batch', o.batch), seed = positive('--seed', o.seed);
      if (o.costModel !== 'xgboost' && o.costModel !== 'random') throw new UsageError(`--cost-model ${o.costModel}: expected xgboost or random`);
      const budgetMs = o.budget !== undefined ? parseDuration(o.budget) : undefined;
      const m = loadModel(file, { shapes: parseShapeFlags(o.shape), fold: o.fold });
      const abort = new AbortController();
      let interrupts = 0;
      const onSigint = () => {
        if (++interrupts > 1) process.exit(130);
        io.err('\ntscc tune: stopping after the current batch (Ctrl-C again to quit now; committed results are kept)');
        abort.abort();
      };
      process.on('SIGINT', onSigint);
      const bar = new cliProgress.SingleBar({
        format: '{kernel} |{bar}| {value}/{total} trials | best {best} (default {dflt}) | ETA {eta_formatted}',
        stream: process.stderr, hideCursor: true,
      }, cliProgress.Presets.shades_classic);
      const log = (e: TuneEvent) => { if (o.logJson) appendFileSync(o.logJson, JSON.stringify({ time: new Date().toISOString(), ...e }) + '\n'); };
      try {
        const s = await tuneModel(m, {
          target: o.target, db: o.db, trials, batch, seed, budgetMs, signal: abort.signal, costModel: o.costModel,
          onEvent: (e) => {
            log(e);
            if (e.type === 'kernel_start') bar.start(e.trials, Math.min(e.measured, e.trials), { kernel: e.kernel, best: 'n/a', dflt: 'n/a' });
            if (e.type === 'batch') bar.update(Math.min(e.measured, e.trials), { best: fmt(e.best), dflt: fmt(e.defaultCost) });
            if (e.type === 'kernel_done') bar.stop();
          },
        });
        for (const k of s.kernels) {
          const speedup = k.best && k.defaultCost ? ` (${(k.defaultCost / k.best).toFixed(2)}× the default)` : '';
          io.out(`${k.name}: ${k.measured} trials, best ${fmt(k.best)} vs default ${fmt(k.defaultCost)}${speedup}`);
        }
        // Timed targets: the in-model check decides what compile --db applies (src/tune/confirm-model.ts).
        for (const v of s.inModel?.verdicts ?? []) {
          const c = v.speedup;
          io.out(`${v.kernels.join(', ')}: inside the model ${c.med.toFixed(3)}× [${c.lo.toFixed(3)}..${c.hi.toFixed(3)}] (95 % CI${v.fresh ? '' : ', recorded earlier'}): ${v.kept ? 'applied by compile --db' : 'not applied (the CI does not lie above 1)'}`);
        }
        io.out(`${s.stopped ? 'stopped' : 'done'}: ${s.kernels.length} kernels tuned on ${o.target} (${s.how}) → ${o.db}`);
      } finally {
        bar.stop();
        process.off('SIGINT', onSigint);
      }
    });
}
