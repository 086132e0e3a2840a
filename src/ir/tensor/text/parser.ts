// Text → PrimFunc[]: the inverse of print.ts. ANTLR (grammar TIR.g4, generated code in ./generated)
// builds the parse tree; this file resolves names and builds nodes through the interned constructors
// of expr.ts / stmt.ts, so parse(print(f)) yields the very same expression objects and print → parse →
// print is byte-identical. Every error, syntactic or semantic, is a ParseError `file:line:column: …`
// (columns count from 1). The parser does not verify: call verifyFunc for the IR's structural rules.
import { BaseErrorListener, CharStream, CommonTokenStream, ParserRuleContext, type Token } from 'antlr4ng';
import { ALL_DTYPES, type DType, isFloat } from '../../graph/dtype.ts';
import { ParseError, TsccError } from '../../../util/errors.ts';
import { type Buffer, type Scope, SCOPES, buffer } from '../buffer.ts';
import {
  type BinOp, type Expr, INDEX, MATH_FUNCS, type MathFunc, type Var,
  binary, call, cast, constant, load, select, unary, variable,
} from '../expr.ts';
import { PrimFunc } from '../func.ts';
import {
  type IntrinsicArg, type LoopKind, type Stmt, THREAD_AXES, type ThreadAxis,
  allocate, barrier, forLoop, ifThen, intrinsic, seq, store,
} from '../stmt.ts';
import { intrinsicProblem } from '../verify.ts';
import { TIRLexer } from './generated/TIRLexer.ts';
import {
  AllocStmtContext, BarrierStmtContext, BinaryContext, BindContext, type BlockContext, type BufferDeclContext,
  CallExprContext, type ExprContext, type ExprsContext, ForStmtContext, IfStmtContext, type IntrinArgContext, IntrinStmtContext,
  type LiteralContext, LiteralExprContext, LoadExprContext, type LoopKindContext, type NameContext,
  ParallelContext, ParenContext, RegionArgContext, type StmtContext, StoreStmtContext, TIRParser, UnaryContext,
  UnrollContext, VarExprContext, VectorizeContext, type FuncContext, type DimsContext, type FileContext, type ScalarArgContext,
} from './generated/TIRParser.ts';

/** Parses a .tir document (any number of functions). `file` prefixes error positions. */
export function parseTir(text: string, file = '<input>'): PrimFunc[] {
  try {
    return new Builder(file).module(syntaxTree(text, file));
  } catch (e) {
    // A parse tree or expression nested thousands deep exhausts the stack; that is the input's fault.
    if (e instanceof RangeError) throw new ParseError(`${file}: input nests too deeply to parse`);
    throw e;
  }
}

/** Parses a document that holds exactly one function. */
export function parseFunc(text: string, file = '<input>'): PrimFunc {
  const fs = parseTir(text, file);
  if (fs.length !== 1) throw new ParseError(`${file}: expected one function, found ${fs.length}`);
  return fs[0];
}

class ThrowingListener extends BaseErrorListener {
  constructor(private readonly file: string) { super(); }
  override syntaxError(_r: unknown, _t: unknown, line: number, column: number, msg: string): void {
    throw new ParseError(`${this.file}:${line}:${column + 1}: ${msg}`);
  }
}

function syntaxTree(text: string, file: string) {
  const listener = new ThrowingListener(file);
  const lexer = new TIRLexer(CharStream.fromString(text));
  lexer.removeErrorListeners(); // the default listener prints to the console
  lexer.addErrorListener(listener);
  const parser = new TIRParser(new CommonTokenStream(lexer));
  parser.removeErrorListeners();
  parser.addErrorListener(listener);
  return parser.file();
}

const BIN_OPS: Record<string, BinOp> = {
  '||': 'or', '&&': 'and', '==': 'eq', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge',
  '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '//': 'floordiv', '%': 'floormod',
};
const FUNC_OPS: Record<string, BinOp> = { min: 'min', max: 'max', pow: 'pow' };
const LOOP_KINDS: [new (...a: never[]) => LoopKindContext, LoopKind][] = [
  [UnrollContext, 'unrolled'], [VectorizeContext, 'vectorized'], [ParallelContext, 'parallel'], [BindContext, 'bound'],
];
const I32_MIN = -(2 ** 31), I32_MAX = 2 ** 31 - 1;

const isDType = (s: string): s is DType => (ALL_DTYPES as string[]).includes(s);
const isMathFunc = (s: string): s is MathFunc => (MATH_FUNCS as readonly string[]).includes(s);

/** Builds IR from the parse tree; holds the names in scope while it walks. */
class Builder {
  private readonly vars = new Map<string, Var>();
  private readonly buffers = new Map<string, Buffer>();

  constructor(private readonly file: string) {}

  private fail(at: ParserRuleContext | Token, message: string): never {
    const tok = at instanceof ParserRuleContext ? at.start! : at;
    throw new ParseError(`${this.file}:${tok.line}:${tok.column + 1}: ${message}`);
  }

  /** Runs a constructor; its invariant errors (`tensor IR: …`) become positioned ParseErrors. */
  private guard<T>(at: ParserRuleContext, make: () => T): T {
    try {
      return make();
    } catch (e) {
      if (e instanceof TsccError || !(e instanceof Error) || !e.message.startsWith('tensor IR: ')) throw e;
      return this.fail(at, e.message.slice('tensor IR: '.length));
    }
  }

  module(ctx: FileContext): PrimFunc[] {
    const seen = new Set<string>();
    return ctx.func().map((f) => {
      const name = f.name().getText();
      if (seen.has(name)) this.fail(f.name(), `function ${name} is defined twice`);
      seen.add(name);
      return this.func(f);
    });
  }

  private func(ctx: FuncContext): PrimFunc {
    this.vars.clear();
    this.buffers.clear();
    const [ins, outs] = [ctx._ins, ctx._outs].map((ds) => (ds?.bufferDecl() ?? []).map((d) => this.declare(d)));
    return new PrimFunc(ctx.name().getText(), ins, outs, this.block(ctx.block()));
  }

  private bufferDecl(ctx: BufferDeclContext): Buffer {
    const dtype = this.dtype(ctx._dtype!);
    const shape = this.dims(ctx.dims());
    const scope = ctx._scope ? ctx._scope.text! : 'global';
    if (!(SCOPES as readonly string[]).includes(scope)) this.fail(ctx._scope!, `unknown scope ${scope} (expected one of ${SCOPES.join(', ')})`);
    return buffer(ctx.name().getText(), dtype, shape, scope as Scope);
  }

  /** Declares a parameter or allocation; a name may not shadow a buffer in scope. */
  private declare(ctx: BufferDeclContext): Buffer {
    const b = this.bufferDecl(ctx);
    if (this.buffers.has(b.name)) this.fail(ctx.name(), `buffer ${b.name} is already declared`);
    this.buffers.set(b.name, b);
    return b;
  }

  private dtype(tok: Token): DType {
    const t = tok.text!;
    if (!isDType(t)) this.fail(tok, `unknown dtype ${t}`);
    return t;
  }

  private dims(ctx: DimsContext | null): number[] {
    return (ctx?.INT() ?? []).map((n) => {
      const v = Number(n.getText());
      if (!Number.isSafeInteger(v)) this.fail(n.symbol, `dimension ${n.getText()} is too large`);
      return v;
    });
  }

  private block(ctx: BlockContext): Stmt {
    return seq(ctx.stmt().map((s) => this.stmt(s)));
  }

  private stmt(ctx: StmtContext): Stmt {
    if (ctx instanceof ForStmtContext) return this.forStmt(ctx);
    if (ctx instanceof AllocStmtContext) {
      const b = this.declare(ctx.bufferDecl());
      const body = this.block(ctx.block());
      this.buffers.delete(b.name);
      return allocate(b, body);
    }
    if (ctx instanceof IfStmtContext) {
      const cond = this.expr(ctx.expr());
      if (cond.dtype !== 'bool') this.fail(ctx.expr(), `if condition is ${cond.dtype}, expected bool`);
      const otherwise = ctx.block(1);
      return ifThen(cond, this.block(ctx.block(0)!), otherwise ? this.block(otherwise) : undefined);
    }
    if (ctx instanceof BarrierStmtContext) return barrier;
    if (ctx instanceof IntrinStmtContext) {
      const name = ctx.name().getText();
      const args = ctx.intrinArg().map((a) => this.intrinArg(a));
      const why = intrinsicProblem(name, args);
      if (why) this.fail(ctx.name(), why);
      return intrinsic(name, args);
    }
    const st = ctx as StoreStmtContext;
    const b = this.bufferRef(st.name());
    const idx = this.indices(st.exprs(), b, st);
    const value = this.expr(st.expr());
    if (value.dtype !== b.dtype) this.fail(st.expr(), `storing ${value.dtype} into ${b.name} of ${b.dtype}`);
    return this.guard(st, () => store(b, idx, value));
  }

  private forStmt(ctx: ForStmtContext): Stmt {
    const [min, extent] = [0, 1].map((k) => this.index(ctx.expr(k)!, 'loop bound'));
    const name = ctx.name().getText();
    const kindCtx = ctx.loopKind();
    const kind = kindCtx ? LOOP_KINDS.find(([C]) => kindCtx instanceof C)![1] : 'serial';
    let thread: ThreadAxis | undefined;
    if (kindCtx instanceof BindContext) {
      const axis = kindCtx._axis!.text!;
      if (!(THREAD_AXES as readonly string[]).includes(axis)) this.fail(kindCtx._axis!, `unknown thread axis ${axis} (expected one of ${THREAD_AXES.join(', ')})`);
      thread = axis as ThreadAxis;
    }
    const v = variable(name, INDEX);
    const outer = this.vars.get(name);
    this.vars.set(name, v);
    const body = this.block(ctx.block());
    if (outer) this.vars.set(name, outer);
    else this.vars.delete(name);
    return forLoop(v, min, extent, body, kind, thread);
  }

  private intrinArg(ctx: IntrinArgContext): IntrinsicArg {
    if (ctx instanceof RegionArgContext) {
      const b = this.bufferRef(ctx.name());
      const offsets = this.indices(ctx.exprs(), b, ctx);
      const extents = this.dims(ctx.dims());
      if (extents.length !== b.rank) this.fail(ctx, `region of ${b.name} has ${extents.length} extents, but ${b.name} has rank ${b.rank}`);
      return { buffer: b, offsets, extents };
    }
    return this.expr((ctx as ScalarArgContext).expr());
  }

  private bufferRef(ctx: NameContext): Buffer {
    const name = ctx.getText();
    const b = this.buffers.get(name);
    if (!b) this.fail(ctx, `unknown buffer ${name}`);
    return b;
  }

  private indices(ctx: ExprsContext | null, b: Buffer, at: ParserRuleContext): Expr[] {
    const idx = (ctx?.expr() ?? []).map((e) => this.index(e, `index of ${b.name}`));
    if (idx.length !== b.rank) this.fail(at, `${b.name} has rank ${b.rank}, indexed with ${idx.length} indices`);
    return idx;
  }

  /** An expression that must be an index (i32). */
  private index(ctx: ExprContext, what: string): Expr {
    const e = this.expr(ctx);
    if (e.dtype !== INDEX) this.fail(ctx, `${what} is ${e.dtype}, expected ${INDEX}`);
    return e;
  }

  private expr(ctx: ExprContext): Expr {
    if (ctx instanceof ParenContext) return this.expr(ctx.expr());
    if (ctx instanceof LiteralExprContext) return this.literal(ctx.literal(), 1);
    if (ctx instanceof VarExprContext) return this.varRef(ctx.name());
    if (ctx instanceof LoadExprContext) {
      const b = this.bufferRef(ctx.name());
      const idx = this.indices(ctx.exprs(), b, ctx);
      return this.guard(ctx, () => load(b, idx));
    }
    if (ctx instanceof CallExprContext) return this.call(ctx);
    if (ctx instanceof UnaryContext) {
      const operand = ctx.expr();
      const neg = ctx._op!.text === '-';
      // `-3` is one constant: fold here so `-2147483648` is not rejected as an out-of-range 2147483648.
      if (neg && operand instanceof LiteralExprContext) return this.literal(operand.literal(), -1);
      const a = this.expr(operand);
      return unary(neg ? 'neg' : 'not', a);
    }
    const bin = ctx as BinaryContext;
    const [a, b] = [this.expr(bin.expr(0)!), this.expr(bin.expr(1)!)];
    const sym = bin._op!.text!;
    if (a.dtype !== b.dtype) this.fail(bin._op!, `operands of ${sym} are ${a.dtype} and ${b.dtype}`);
    return binary(BIN_OPS[sym], a, b);
  }

  private varRef(ctx: NameContext): Expr {
    const name = ctx.getText();
    const v = this.vars.get(name);
    if (v) return v;
    if (this.buffers.has(name)) this.fail(ctx, `buffer ${name} used without indices`);
    return this.fail(ctx, `unknown variable ${name} (not a loop variable in scope)`);
  }

  /** An untyped literal: integers are i32, anything with '.', 'e', inf or nan is f32. */
  private literal(ctx: LiteralContext, sign: 1 | -1, dtype?: DType): Expr {
    const text = ctx.getText();
    const v = sign * (text === 'inf' ? Infinity : text === 'nan' ? NaN : Number(text));
    const float = ctx.INT() === null;
    const type = dtype ?? (float ? 'f32' : INDEX);
    if (type === INDEX && (float || v < I32_MIN || v > I32_MAX)) {
      this.fail(ctx, float ? `${text} is not an ${INDEX}` : `integer ${sign < 0 ? '-' : ''}${text} does not fit in ${INDEX}; write i64(${sign < 0 ? '-' : ''}${text})`);
    }
    return constant(v, type);
  }

  private call(ctx: CallExprContext): Expr {
    const fn = ctx.name().getText();
    const argCtx = ctx.exprs()?.expr() ?? [];
    const arity = (n: number) => {
      if (argCtx.length !== n) this.fail(ctx, `${fn} takes ${n} argument${n === 1 ? '' : 's'}, got ${argCtx.length}`);
    };
    if (isDType(fn)) {
      arity(1);
      const lit = typedLiteral(argCtx[0]);
      // `f16(0.1)` is a typed constant: build it from the decimal, not by casting the f32 literal 0.1
      // (which would round it to single precision first). A fraction cast to an integer type truncates.
      if (lit && (isFloat(fn) || lit.ctx.INT() !== null)) return this.literal(lit.ctx, lit.sign, fn);
      return cast(fn, this.expr(argCtx[0]));
    }
    if (fn in FUNC_OPS) {
      arity(2);
      const [a, b] = argCtx.map((e) => this.expr(e));
      if (a.dtype !== b.dtype) this.fail(ctx, `${fn} of ${a.dtype} and ${b.dtype}`);
      return binary(FUNC_OPS[fn], a, b);
    }
    if (fn === 'select') {
      arity(3);
      const [c, a, b] = argCtx.map((e) => this.expr(e));
      return this.guard(ctx, () => select(c, a, b));
    }
    if (isMathFunc(fn)) {
      arity(1);
      return call(fn, [this.expr(argCtx[0])]);
    }
    return this.fail(ctx.name(), `unknown function ${fn}`);
  }

}

/** `1.5`, `-3`, `inf`: an argument that is a literal, possibly negated. */
function typedLiteral(ctx: ExprContext): { ctx: LiteralContext; sign: 1 | -1 } | undefined {
  if (ctx instanceof LiteralExprContext) return { ctx: ctx.literal(), sign: 1 };
  if (ctx instanceof UnaryContext && ctx._op!.text === '-' && ctx.expr() instanceof LiteralExprContext) {
    return { ctx: (ctx.expr() as LiteralExprContext).literal(), sign: -1 };
  }
  return undefined;
}
