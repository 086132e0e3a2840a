import { describe, expect, it } from 'vitest';
import {
  type BinOp, type Expr, Var, binary, constant, evalBinary, int, select, unary, variable, add, mul, floordiv, floormod, lt,
} from '../../../src/ir/tensor/expr.ts';
import { simplifyExpr } from '../../../src/ir/tensor/simplify.ts';
import type { Interval } from '../../../src/ir/tensor/bounds.ts';
import { rng } from '../../../src/runtime/random.ts';
import { printExpr } from '../../../src/ir/tensor/print.ts';

/** A tiny reference evaluator with the IR's semantics (i32 wrap, floor division). */
function evaluate(e: Expr, env: Map<Var, number>): number {
  switch (e.kind) {
    case 'const': return e.value;
    case 'var': return env.get(e)!;
    case 'binary': {
      const v = evalBinary(e.op, evaluate(e.a, env), evaluate(e.b, env), e.a.dtype);
      return e.dtype === 'i32' ? v | 0 : v;
    }
    case 'unary': return e.op === 'neg' ? -evaluate(e.a, env) | 0 : +!evaluate(e.a, env);
    case 'select': return evaluate(e.cond, env) ? evaluate(e.a, env) : evaluate(e.b, env);
    default: throw new Error(`unexpected ${e.kind}`);
  }
}

const vars = [variable('i'), variable('j'), variable('k')];
const ranges = new Map<Var, Interval>([[vars[0], { lo: 0, hi: 15 }], [vars[1], { lo: 0, hi: 3 }], [vars[2], { lo: -4, hi: 9 }]]);

function randomExpr(r: () => number, depth: number): Expr {
  if (depth === 0 || r() < 0.25) return r() < 0.6 ? vars[Math.floor(r() * 3)] : int(Math.floor(r() * 17) - 4);
  const ops: BinOp[] = ['add', 'sub', 'mul', 'floordiv', 'floormod', 'min', 'max'];
  const x = r();
  if (x < 0.08) return unary('neg', randomExpr(r, depth - 1));
  if (x < 0.16) {
    const cmp: BinOp[] = ['lt', 'le', 'gt', 'ge', 'eq', 'ne'];
    return select(binary(cmp[Math.floor(r() * 6)], randomExpr(r, depth - 1), randomExpr(r, depth - 1)), randomExpr(r, depth - 1), randomExpr(r, depth - 1));
  }
  const op = ops[Math.floor(r() * ops.length)];
  const a = randomExpr(r, depth - 1);
  // Divisors are positive constants, as index arithmetic produces them.
  const b = op === 'floordiv' || op === 'floormod' ? int(1 + Math.floor(r() * 8)) : randomExpr(r, depth - 1);
  return binary(op, a, b);
}

describe('arithmetic simplifier', () => {
  it('property: 3,000 random index expressions evaluate the same before and after', () => {
    const r = rng(42);
    let changed = 0;
    for (let t = 0; t < 3000; t++) {
      const e = randomExpr(r, 4);
      const s = simplifyExpr(e, ranges);
      if (s !== e) changed++;
      for (let p = 0; p < 12; p++) {
        const env = new Map(vars.map((v) => {
          const { lo, hi } = ranges.get(v)!;
          return [v, lo + Math.floor(r() * (hi - lo + 1))];
        }));
        expect(evaluate(s, env), `${printExpr(e)}  ⇒  ${printExpr(s)}`).toBe(evaluate(e, env));
      }
    }
    expect(changed).toBeGreaterThan(1000);
  });

  it('folds constants and identities in the constructors', () => {
    const [i] = vars;
    expect(add(int(2), int(3))).toBe(int(5));
    expect(add(i, int(0))).toBe(i);
    expect(mul(int(1), i)).toBe(i);
    expect(add(int(1), i)).toBe(add(i, int(1)));
  });

  it('cancels linear terms and resolves div/mod with loop bounds', () => {
    const [i, j] = vars; // i in [0,15], j in [0,3]
    const s = (e: Expr) => printExpr(simplifyExpr(e, ranges));
    expect(s(binary('sub', add(mul(i, int(4)), j), mul(i, int(4))))).toBe('j');
    expect(s(floordiv(add(mul(i, int(4)), j), int(4)))).toBe('i');
    expect(s(floormod(add(mul(i, int(4)), j), int(4)))).toBe('j');
    expect(s(floordiv(j, int(4)))).toBe('0');
    expect(s(floormod(add(mul(i, int(8)), int(3)), int(4)))).toBe('3');
    expect(s(lt(add(mul(i, int(4)), j), int(64)))).toBe('bool(1)');
    expect(s(binary('min', i, int(20)))).toBe('i');
  });

  it('leaves float arithmetic alone (no reassociation)', () => {
    const x = variable('x', 'f32');
    const e = binary('sub', binary('add', x, constant(1e8, 'f32')), constant(1e8, 'f32'));
    expect(simplifyExpr(e)).toBe(e);
  });
});
