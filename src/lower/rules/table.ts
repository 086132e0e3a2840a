// The compute rule of every lowered op, and the ops left to the reference runtime with the reason.
import type { Rule } from '../rule.ts';
import { CREATE_RULES } from './create.ts';
import { convRule, convTransposeRule } from './conv.ts';
import { ELEMENTWISE_RULES } from './elementwise.ts';
import { GATHER_RULES } from './gather.ts';
import { MATMUL_RULES } from './matmul.ts';
import { MOVEMENT_RULES } from './movement.ts';
import { MX_RULES } from './mx.ts';
import { NORM_RULES } from './norm.ts';
import { POOL_RULES } from './pool.ts';
import { QUANT_RULES } from './quant.ts';
import { REDUCE_RULES } from './reduce.ts';
import { RESIZE_RULES } from './resize.ts';

export const RULES: Readonly<Record<string, Rule>> = {
  ...ELEMENTWISE_RULES,
  ...MOVEMENT_RULES,
  ...GATHER_RULES,
  ...CREATE_RULES,
  ...RESIZE_RULES,
  ...MATMUL_RULES,
  ...POOL_RULES,
  ...NORM_RULES,
  ...REDUCE_RULES,
  ...QUANT_RULES,
  ...MX_RULES, // custom-domain ops are keyed `domain::Op`
  Conv: convRule,
  ConvTranspose: convTransposeRule,
};

/** The compute rule of an op; custom-domain ops (com.tscc MX ops) are keyed `domain::Op`. */
export function ruleOf(domain: string | undefined, op: string): Rule | undefined {
  return !domain || domain === 'ai.onnx' ? RULES[op] : RULES[`${domain}::${op}`];
}

/** Ops the reference runtime executes that have no compute rule, and why. */
export const NOT_LOWERED: Readonly<Record<string, string>> = {
  NonZero: 'its output shape depends on the data',
  Compress: 'its output shape depends on the data',
  TopK: 'sorting is not a loop nest of reductions; it runs on the reference runtime',
  If: 'control flow: the branch taken depends on the data',
  Loop: 'control flow: the trip count depends on the data',
  Scan: 'control flow over a sub-graph',
  LSTM: 'a recurrence over time with gates; it runs on the reference runtime',
  GRU: 'a recurrence over time with gates; it runs on the reference runtime',
  RNN: 'a recurrence over time; it runs on the reference runtime',
  ScatterND: 'writes to data-dependent positions; a compute defines each output element from its own index',
  ScatterElements: 'writes to data-dependent positions; a compute defines each output element from its own index',
  BitShift: 'the Tensor IR has no shift operator',
};
