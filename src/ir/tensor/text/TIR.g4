// The textual form of the tensor IR: exactly what src/ir/tensor/print.ts prints, plus `#` comments.
//
// Generated code: the TypeScript parser is generated from this file by antlr4ng-cli (the ANTLR tool,
// run through Java) into ./generated/ and COMMITTED, so installing and running tscc needs no Java.
// After editing this grammar run `npm run gen:parser` (scripts/gen-parser.sh) and commit the result;
// test/ir/tensor/text.test.ts regenerates into a temporary folder and fails if the committed files
// are not byte-identical to fresh output.
//
// The grammar is deliberately loose where a precise message helps more than a syntax error: dtypes,
// scopes, thread axes, function names and intrinsic names are plain identifiers here and are checked
// by text/parser.ts, which reports them with line:column.
grammar TIR;

file : func* EOF ;

func : 'func' name '(' ins=bufferDecls? ')' '->' '(' outs=bufferDecls? ')' block ;

bufferDecls : bufferDecl (',' bufferDecl)* ;

// `A: f32[4, 8]`, `S: f32[16, 16] shared`; a rank-0 buffer is `x: f32[]`.
bufferDecl : name ':' dtype=ID '[' dims? ']' scope=ID? ;

dims : INT (',' INT)* ;

block : '{' stmt* '}' ;

stmt
    : 'for' name 'in' 'range' '(' expr ',' expr ')' loopKind? block   # ForStmt
    | 'alloc' bufferDecl block                                        # AllocStmt
    | 'if' expr block ('else' block)?                                 # IfStmt
    | 'barrier' ';'                                                   # BarrierStmt
    | 'intrin' name '(' (intrinArg (',' intrinArg)*)? ')' ';'         # IntrinStmt
    | name '[' exprs? ']' '=' expr ';'                                # StoreStmt
    ;

loopKind
    : 'unroll'        # Unroll
    | 'vectorize'     # Vectorize
    | 'parallel'      # Parallel
    | 'bind' axis=ID  # Bind
    ;

// A buffer region `A[i, j : 16, 16]` (offsets : extents) or a scalar expression.
intrinArg
    : name '[' exprs? ':' dims? ']'  # RegionArg
    | expr                           # ScalarArg
    ;

exprs : expr (',' expr)* ;

// Alternatives are listed from the tightest binding to the loosest, matching print.ts's BIN table;
// binary operators associate to the left. All binary alternatives share one label (one context class).
expr
    : '(' expr ')'                              # Paren
    | name '[' exprs? ']'                       # LoadExpr
    | name '(' exprs? ')'                       # CallExpr
    | name                                      # VarExpr
    | literal                                   # LiteralExpr
    | op=('-' | '!') expr                       # Unary
    | expr op=('*' | '/' | '//' | '%') expr     # Binary
    | expr op=('+' | '-') expr                  # Binary
    | expr op=('<' | '<=' | '>' | '>=') expr    # Binary
    | expr op=('==' | '!=') expr                # Binary
    | expr op='&&' expr                         # Binary
    | expr op='||' expr                         # Binary
    ;

literal : INT | FLOAT | 'inf' | 'nan' ;

// Loop-kind words are keywords only where a loop kind may stand, so they remain usable as names.
name : ID | 'in' | 'range' | 'unroll' | 'vectorize' | 'parallel' | 'bind' ;

INT   : [0-9]+ ;
FLOAT : [0-9]+ '.' [0-9]* EXPONENT? | '.' [0-9]+ EXPONENT? | [0-9]+ EXPONENT ;
fragment EXPONENT : [eE] [+-]? [0-9]+ ;

// Dotted names cover thread axes (`threadIdx.x`) and split loops (`i.outer`).
ID : [A-Za-z_] [A-Za-z0-9_]* ('.' [A-Za-z0-9_]+)* ;

COMMENT : '#' ~[\r\n]* -> skip ;
WS      : [ \t\r\n]+ -> skip ;
