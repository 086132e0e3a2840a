// The `tscc` command line. Exit codes: 0 success, 1 user error (one line naming the problem),
// 2 internal error (with a stack trace, which is a tscc bug to report).
import { Command, CommanderError } from 'commander';
import { TsccError } from '../util/errors.ts';
import { VERSION } from '../version.ts';
import { inspectCommand } from './inspect.ts';
import { runCommand } from './run.ts';
import { verifyCommand } from './verify.ts';
import { opsCommand } from './ops.ts';
import { compileCommand } from './compile.ts';
import { tuneCommand } from './tune.ts';
import { dbCommand } from './db.ts';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const STD: Io = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') };

function program(io: Io, status: { code: number }): Command {
  const p = new Command('tscc')
    .description('a deep-learning compiler: ONNX in; CUDA C, WGSL, NPU and PIM out')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showHelpAfterError(false);
  compileCommand(p, io);
  inspectCommand(p, io);
  runCommand(p, io);
  verifyCommand(p, io, status);
  opsCommand(p, io);
  tuneCommand(p, io);
  dbCommand(p, io);
  return p;
}

/** Runs the CLI; returns the exit code instead of exiting, so it can be tested in-process. */
export async function main(argv: string[], io: Io = STD): Promise<number> {
  const status = { code: 0 };
  try {
    await program(io, status).parseAsync(argv, { from: 'user' });
    return status.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return 0;
      return 1; // commander already printed the one-line reason
    }
    if (e instanceof TsccError) {
      io.err(`tscc: error [${e.code}]: ${e.message}`);
      return 1;
    }
    io.err(`tscc: internal error: ${(e as Error)?.stack ?? String(e)}`);
    return 2;
  }
}
