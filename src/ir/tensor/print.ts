// The textual form of the tensor IR. It parses back (text/parser.ts) to the same interned nodes, so
// print → parse → print is byte-identical. Grammar: text/TIR.g4.
//
//   func add(A: f32[4, 8], B: f32[4, 8]) -> (C: f32[4, 8]) {
//     for i in range(0, 4) parallel {
//       for j in range(0, 8) {
//         C[i, j] = A[i, j] + B[i, j];
//       }
//     }
//   }
import type { DType } from '../graph/dtype.ts';
import type { Buffer } from './buffer.ts';
import { type BinOp, type Expr, Const } from './expr.ts';
import type { PrimFunc } from './func.ts';
import { type IntrinsicArg, type Stmt, isRegion } from './stmt.ts';

const BIN: Record<BinOp, [string, number]> = {
  or: ['||', 1], and: ['&&', 2],
  eq: ['==', 3], ne: ['!=', 3], lt: ['<', 4], le: ['<=', 4], gt: ['>', 4], ge: ['>=', 4],
  add: ['+', 5], sub: ['-', 5], mul: ['*', 6], div: ['/', 6], floordiv: ['//', 6], floormod: ['%', 6],
  min: ['min', 9], max: ['max', 9], pow: ['pow', 9],
};
const FUNC_OPS = new Set<BinOp>(['min', 'max', 'pow']);
const UNARY_PREC = 7;
const ATOM = 10;

/** Shortest text that parses back to the same number. */
export function formatNumber(v: number, dtype: DType): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (dtype === 'f32' || dtype === 'f64' || dtype === 'f16' || dtype === 'bf16' || dtype.startsWith('f8')) {
    if (Object.is(v, -0)) return '-0.0';
    const s = String(v);
    return /[.eE]/.test(s) ? s : `${s}.0`;
  }
  return String(v);
}

function constText(c: Const): string {
  const num = formatNumber(c.value, c.dtype);
  return c.dtype === 'i32' || c.dtype === 'f32' ? num : `${c.dtype}(${num})`;
}

function prec(e: Expr): number {
  if (e.kind === 'binary') return FUNC_OPS.has(e.op) ? ATOM : BIN[e.op][1];
  if (e.kind === 'unary') return UNARY_PREC;
  if (e.kind === 'const' && (e.value < 0 || Object.is(e.value, -0)) && (e.dtype === 'i32' || e.dtype === 'f32')) return UNARY_PREC;
  return ATOM;
}

export function printExpr(e: Expr): string {
  const wrap = (x: Expr, min: number) => (prec(x) < min ? `(${printExpr(x)})` : printExpr(x));
  switch (e.kind) {
    case 'var': return e.name;
    case 'const': return constText(e);
    case 'binary': {
      const [sym, p] = BIN[e.op];
      if (FUNC_OPS.has(e.op)) return `${sym}(${printExpr(e.a)}, ${printExpr(e.b)})`;
      // Left-associative: the right operand needs parentheses at equal precedence.
      return `${wrap(e.a, p)} ${sym} ${wrap(e.b, p + 1)}`;
    }
    case 'unary': return `${e.op === 'neg' ? '-' : '!'}${wrap(e.a, UNARY_PREC)}`;
    case 'cast': return `${e.dtype}(${printExpr(e.a)})`;
    case 'select': return `select(${printExpr(e.cond)}, ${printExpr(e.a)}, ${printExpr(e.b)})`;
    case 'load': return `${e.buffer.name}[${e.indices.map(printExpr).join(', ')}]`;
    case 'call': return `${e.fn}(${e.args.map(printExpr).join(', ')})`;
  }
}

export function printBufferDecl(b: Buffer): string {
  return `${b.name}: ${b.dtype}[${b.shape.join(', ')}]${b.scope === 'global' ? '' : ` ${b.scope}`}`;
}

function printArg(a: IntrinsicArg): string {
  if (!isRegion(a)) return printExpr(a);
  return `${a.buffer.name}[${a.offsets.map(printExpr).join(', ')} : ${a.extents.join(', ')}]`;
}

export function printStmt(s: Stmt, indent = ''): string {
  const inner = indent + '  ';
  switch (s.kind) {
    case 'for': {
      const kind = s.loopKind === 'serial' ? '' : s.loopKind === 'bound' ? ` bind ${s.thread}` : ` ${s.loopKind === 'unrolled' ? 'unroll' : s.loopKind === 'vectorized' ? 'vectorize' : 'parallel'}`;
      return `${indent}for ${s.loopVar.name} in range(${printExpr(s.min)}, ${printExpr(s.extent)})${kind} {\n${printStmt(s.body, inner)}\n${indent}}`;
    }
    case 'store': return `${indent}${s.buffer.name}[${s.indices.map(printExpr).join(', ')}] = ${printExpr(s.value)};`;
    case 'allocate': return `${indent}alloc ${printBufferDecl(s.buffer)} {\n${printStmt(s.body, inner)}\n${indent}}`;
    case 'seq': return s.stmts.map((x) => printStmt(x, indent)).join('\n');
    case 'if': {
      const head = `${indent}if ${printExpr(s.cond)} {\n${printStmt(s.then, inner)}\n${indent}}`;
      return s.otherwise ? `${head} else {\n${printStmt(s.otherwise, inner)}\n${indent}}` : head;
    }
    case 'barrier': return `${indent}barrier;`;
    case 'intrinsic': return `${indent}intrin ${s.name}(${s.args.map(printArg).join(', ')});`;
  }
}

export function printFunc(f: PrimFunc): string {
  const ins = f.inputs.map(printBufferDecl).join(', ');
  const outs = f.outputs.map(printBufferDecl).join(', ');
  return `func ${f.name}(${ins}) -> (${outs}) {\n${printStmt(f.body, '  ')}\n}\n`;
}

/** Several functions (a module), separated by blank lines. */
export function printModule(fs: readonly PrimFunc[]): string {
  return fs.map(printFunc).join('\n');
}
