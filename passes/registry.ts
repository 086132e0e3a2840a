// Every graph pass by name, and the default pipeline as one readable list.
import { UsageError } from '../src/util/errors.ts';
import type { GraphPass } from './pass.ts';
import { algebraPass } from './graph/algebra.ts';
import { csePass } from './graph/cse.ts';
import { dcePass } from './graph/dce.ts';
import { eliminatePass } from './graph/eliminate.ts';
import { foldBnPass } from './graph/fold-bn.ts';
import { foldPass } from './graph/fold.ts';
import { fusePass } from './graph/fuse.ts';
import { layoutPass } from './graph/layout.ts';
import { decomposeRnnPass } from './graph/rnn.ts';

export const PASSES: ReadonlyMap<string, GraphPass> = new Map(
  [foldPass, dcePass, csePass, eliminatePass, algebraPass, foldBnPass, layoutPass, fusePass, decomposeRnnPass].map((p) => [p.name, p]),
);

/**
 * The default pipeline. Simplification runs twice around BN folding: folding BN makes Mul/Add by
 * constants that algebra and CSE clean up, and eliminate exposes chains that fold again.
 */
export const DEFAULT_PIPELINE: readonly string[] = [
  'fold',       // constants and known shapes
  'eliminate',  // Identity, Dropout, no-op reshapes/transposes, chains
  'algebra',    // x·1, x+0, x/c → x·(1/c)
  'fold-bn',    // BatchNormalization into Conv/Gemm, else Mul+Add
  'fold',       // what the rewrites made constant
  'cse',        // equal constants and nodes
  'layout',     // sink Transposes so NHWC↔NCHW pairs meet
  'eliminate',  // … and cancel
  'dce',
  'fuse',       // named patterns + TVM rules → Fused nodes
];

export function lookupPass(name: string): GraphPass {
  const p = PASSES.get(name);
  if (!p) throw new UsageError(`unknown pass "${name}" (passes: ${[...PASSES.keys()].join(', ')})`);
  return p;
}
