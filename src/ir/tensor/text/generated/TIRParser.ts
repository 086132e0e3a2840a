// Generated from TIR.g4 by ANTLR 4.13.1

import * as antlr from "antlr4ng";
import { Token } from "antlr4ng";

// for running tests with parameters, TODO: discuss strategy for typed parameters in CI
// eslint-disable-next-line no-unused-vars
type int = number;


export class TIRParser extends antlr.Parser {
    public static readonly T__0 = 1;
    public static readonly T__1 = 2;
    public static readonly T__2 = 3;
    public static readonly T__3 = 4;
    public static readonly T__4 = 5;
    public static readonly T__5 = 6;
    public static readonly T__6 = 7;
    public static readonly T__7 = 8;
    public static readonly T__8 = 9;
    public static readonly T__9 = 10;
    public static readonly T__10 = 11;
    public static readonly T__11 = 12;
    public static readonly T__12 = 13;
    public static readonly T__13 = 14;
    public static readonly T__14 = 15;
    public static readonly T__15 = 16;
    public static readonly T__16 = 17;
    public static readonly T__17 = 18;
    public static readonly T__18 = 19;
    public static readonly T__19 = 20;
    public static readonly T__20 = 21;
    public static readonly T__21 = 22;
    public static readonly T__22 = 23;
    public static readonly T__23 = 24;
    public static readonly T__24 = 25;
    public static readonly T__25 = 26;
    public static readonly T__26 = 27;
    public static readonly T__27 = 28;
    public static readonly T__28 = 29;
    public static readonly T__29 = 30;
    public static readonly T__30 = 31;
    public static readonly T__31 = 32;
    public static readonly T__32 = 33;
    public static readonly T__33 = 34;
    public static readonly T__34 = 35;
    public static readonly T__35 = 36;
    public static readonly T__36 = 37;
    public static readonly T__37 = 38;
    public static readonly T__38 = 39;
    public static readonly T__39 = 40;
    public static readonly T__40 = 41;
    public static readonly INT = 42;
    public static readonly FLOAT = 43;
    public static readonly ID = 44;
    public static readonly COMMENT = 45;
    public static readonly WS = 46;
    public static readonly RULE_file = 0;
    public static readonly RULE_func = 1;
    public static readonly RULE_bufferDecls = 2;
    public static readonly RULE_bufferDecl = 3;
    public static readonly RULE_dims = 4;
    public static readonly RULE_block = 5;
    public static readonly RULE_stmt = 6;
    public static readonly RULE_loopKind = 7;
    public static readonly RULE_intrinArg = 8;
    public static readonly RULE_exprs = 9;
    public static readonly RULE_expr = 10;
    public static readonly RULE_literal = 11;
    public static readonly RULE_name = 12;

    public static readonly literalNames = [
        null, "'func'", "'('", "')'", "'->'", "','", "':'", "'['", "']'", 
        "'{'", "'}'", "'for'", "'in'", "'range'", "'alloc'", "'if'", "'else'", 
        "'barrier'", "';'", "'intrin'", "'='", "'unroll'", "'vectorize'", 
        "'parallel'", "'bind'", "'-'", "'!'", "'*'", "'/'", "'//'", "'%'", 
        "'+'", "'<'", "'<='", "'>'", "'>='", "'=='", "'!='", "'&&'", "'||'", 
        "'inf'", "'nan'"
    ];

    public static readonly symbolicNames = [
        null, null, null, null, null, null, null, null, null, null, null, 
        null, null, null, null, null, null, null, null, null, null, null, 
        null, null, null, null, null, null, null, null, null, null, null, 
        null, null, null, null, null, null, null, null, null, "INT", "FLOAT", 
        "ID", "COMMENT", "WS"
    ];
    public static readonly ruleNames = [
        "file", "func", "bufferDecls", "bufferDecl", "dims", "block", "stmt", 
        "loopKind", "intrinArg", "exprs", "expr", "literal", "name",
    ];

    public get grammarFileName(): string { return "TIR.g4"; }
    public get literalNames(): (string | null)[] { return TIRParser.literalNames; }
    public get symbolicNames(): (string | null)[] { return TIRParser.symbolicNames; }
    public get ruleNames(): string[] { return TIRParser.ruleNames; }
    public get serializedATN(): number[] { return TIRParser._serializedATN; }

    protected createFailedPredicateException(predicate?: string, message?: string): antlr.FailedPredicateException {
        return new antlr.FailedPredicateException(this, predicate, message);
    }

    public constructor(input: antlr.TokenStream) {
        super(input);
        this.interpreter = new antlr.ParserATNSimulator(this, TIRParser._ATN, TIRParser.decisionsToDFA, new antlr.PredictionContextCache());
    }
    public file(): FileContext {
        let localContext = new FileContext(this.context, this.state);
        this.enterRule(localContext, 0, TIRParser.RULE_file);
        let _la: number;
        try {
            this.enterOuterAlt(localContext, 1);
            {
            this.state = 29;
            this.errorHandler.sync(this);
            _la = this.tokenStream.LA(1);
            while (_la === 1) {
                {
                {
                this.state = 26;
                this.func();
                }
                }
                this.state = 31;
                this.errorHandler.sync(this);
                _la = this.tokenStream.LA(1);
            }
            this.state = 32;
            this.match(TIRParser.EOF);
            }
        }
        catch (re) {
            if (re instanceof antlr.RecognitionException) {
                this.errorHandler.reportError(this, re);
                this.errorHandler.recover(this, re);
            } else {
                throw re;
            }
        }
        finally {
            this.exitRule();
        }
        return localContext;
    }
    public func(): FuncContext {
        let localContext = new FuncContext(this.context, this.state);
        this.enterRule(localContext, 2, TIRParser.RULE_func);
        let _la: number;
        try {
            this.enterOuterAlt(localContext, 1);
            {
            this.state = 34;
            this.match(TIRParser.T__0);
            this.state = 35;
            this.name();
            this.state = 36;
            this.match(TIRParser.T__1);
            this.state = 38;
            this.errorHandler.sync(this);
            _la = this.tokenStream.LA(1);
            if ((((_la) & ~0x1F) === 0 && ((1 << _la) & 31469568) !== 0) || _la === 44) {
                {
                this.state = 37;
                localContext._ins = this.bufferDecls();
                }
            }

            this.state = 40;
            this.match(TIRParser.T__2);
            this.state = 41;
            this.match(TIRParser.T__3);
            this.state = 42;
            this.match(TIRParser.T__1);
            this.state = 44;
            this.errorHandler.sync(this);
            _la = this.tokenStream.LA(1);
            if ((((_la) & ~0x1F) === 0 && ((1 << _la) & 31469568) !== 0) || _la === 44) {
                {
                this.state = 43;
                localContext._outs = this.bufferDecls();
                }
            }

            this.state = 46;
            this.match(TIRParser.T__2);
            this.state = 47;
            this.block();
            }
        }
        catch (re) {
            if (re instanceof antlr.RecognitionException) {
                this.errorHandler.reportError(this, re);
                this.errorHandler.recover(this, re);
            } else {
                throw re;
            }
        }
        finally {
            this.exitRule();
        }
        return localContext;
    }
    public bufferDecls(): BufferDeclsContext {
        let localContext = new BufferDeclsContext(this.context, this.state);
        this.enterRule(localContext, 4, TIRParser.RULE_bufferDecls);
        let _la: number;
        try {
            this.enterOuterAlt(localContext, 1);
            {
            this.state = 49;
            this.bufferDecl();
            this.state = 54;
            this.errorHandler.sync(this);
            _la = this.tokenStream.LA(1);
            while (_la === 5) {
                {
                {
                this.state = 50;
                this.match(TIRParser.T__4);
                this.state = 51;
                this.bufferDecl();
                }
                }
                this.state = 56;
                this.errorHandler.sync(this);
                _la = this.tokenStream.LA(1);
            }
            }
        }
        catch (re) {
            if (re instanceof antlr.RecognitionException) {
                this.errorHandler.reportError(this, re);
                this.errorHandler.recover(this, re);
            } else {
                throw re;
            }
        }
        finally {
            this.exitRule();
        }
        return localContext;
    }
    public bufferDecl(): BufferDeclContext {
        let localContext = new BufferDeclContext(this.context, this.state);
        this.enterRule(localContext, 6, TIRParser.RULE_bufferDecl);
        let _la: number;
        try {
            this.enterOuterAlt(localContext, 1);
            {
            this.state = 57;
            this.name();
            this.state = 58;
            this.match(TIRParser.T__5);
            this.state = 59;
            localContext._dtype = this.match(TIRParser.ID);
            this.state = 60;
            this.match(TIRParser.T__6);
            this.state = 62;
            this.errorHandler.sync(this);
            _la = this.tokenStream.LA(1);
            if (_la === 42) {
                {
                this.state = 61;
                this.dims();
                }
            }

            this.state = 64;
            this.match(TIRParser.T__7);
            this.state = 66;
            this.errorHandler.sync(this);
            _la = this.tokenStream.LA(1);
            if (_la === 44) {
                {
                this.state = 65;
                localContext._scope = this.match(TIRParser.ID);
                }
            }

            }
        }
        catch (re) {
            if (re instanceof antlr.RecognitionException) {
                this.errorHandler.reportError(this, re);
                this.errorHandler.recover(this, re);
            } else {
                throw re;
            }
        }
        finally {
            this.exitRule();
        }
        return localContext;
    }
    public dims(): DimsContext {
        let localContext = new DimsContext(this.context, this.state);
        this.enterRule(localContext, 8, TIRParser.RULE_dims);
        let _la: number;
        try {
            this.enterOuterAlt(localContext, 1);
            {
            this.state = 68;
            this.match(TIRParser.INT);
            this.state = 73;
            this.errorHandler.sync(this);
            _la = this.tokenStream.LA(1);
            while (_la === 5) {
                {
                {
                this.state = 69;
                this.match(TIRParser.T__4);
                this.state = 70;
                this.match(TIRParser.INT);
                }
                }
                this.state = 75;
                this.errorHandler.sync(this);
                _la = this.tokenStream.LA(1);
            }
            }
        }
        catch (re) {
            if (re instanceof antlr.RecognitionException) {
                this.errorHandler.reportError(this, re);
                this.errorHandler.recover(this, re);
            } else {
                throw re;
            }
        }
        finally {
            this.exitRule();
        }
        return localContext;
    }
    public block(): BlockContext {
        let localContext = new BlockContext(this.context, this.state);
        this.enterRule(localContext, 10, TIRParser.RULE_block);
        let _la: number;
        try {
            this.enterOuterAlt(localContext, 1);
            {
            this.state = 76;
            this.match(TIRParser.T__8);
            this.state = 80;
            this.errorHandler.sync(this);
            _la = this.tokenStream.LA(1);
            while ((((_la) & ~0x1F) === 0 && ((1 << _la) & 32176128) !== 0) || _la === 44) {
                {
                {
                this.state = 77;
                this.stmt();
                }
                }
                this.state = 82;
                this.errorHandler.sync(this);
                _la = this.tokenStream.LA(1);
            }
            this.state = 83;
            this.match(TIRParser.T__9);
            }
        }
        catch (re) {
            if (re instanceof antlr.RecognitionException) {
                this.errorHandler.reportError(this, re);
                this.errorHandler.recover(this, re);
            } else {
                throw re;
            }
        }
        finally {
            this.exitRule();
        }
        return localContext;
    }
    public stmt(): StmtContext {
        let localContext = new StmtContext(this.context, this.state);
        this.enterRule(localContext, 12, TIRParser.RULE_stmt);
        let _la: number;
        try {
            this.state = 138;
            this.errorHandler.sync(this);
            switch (this.tokenStream.LA(1)) {
            case TIRParser.T__10:
                localContext = new ForStmtContext(localContext);
                this.enterOuterAlt(localContext, 1);
                {
                this.state = 85;
                this.match(TIRParser.T__10);
                this.state = 86;
                this.name();
                this.state = 87;
                this.match(TIRParser.T__11);
                this.state = 88;
                this.match(TIRParser.T__12);
                this.state = 89;
                this.match(TIRParser.T__1);
                this.state = 90;
                this.expr(0);
                this.state = 91;
                this.match(TIRParser.T__4);
                this.state = 92;
                this.expr(0);
                this.state = 93;
                this.match(TIRParser.T__2);
                this.state = 95;
                this.errorHandler.sync(this);
                _la = this.tokenStream.LA(1);
                if ((((_la) & ~0x1F) === 0 && ((1 << _la) & 31457280) !== 0)) {
                    {
                    this.state = 94;
                    this.loopKind();
                    }
                }

                this.state = 97;
                this.block();
                }
                break;
            case TIRParser.T__13:
                localContext = new AllocStmtContext(localContext);
                this.enterOuterAlt(localContext, 2);
                {
                this.state = 99;
                this.match(TIRParser.T__13);
                this.state = 100;
                this.bufferDecl();
                this.state = 101;
                this.block();
                }
                break;
            case TIRParser.T__14:
                localContext = new IfStmtContext(localContext);
                this.enterOuterAlt(localContext, 3);
                {
                this.state = 103;
                this.match(TIRParser.T__14);
                this.state = 104;
                this.expr(0);
                this.state = 105;
                this.block();
                this.state = 108;
                this.errorHandler.sync(this);
                _la = this.tokenStream.LA(1);
                if (_la === 16) {
                    {
                    this.state = 106;
                    this.match(TIRParser.T__15);
                    this.state = 107;
                    this.block();
                    }
                }

                }
                break;
            case TIRParser.T__16:
                localContext = new BarrierStmtContext(localContext);
                this.enterOuterAlt(localContext, 4);
                {
                this.state = 110;
                this.match(TIRParser.T__16);
                this.state = 111;
                this.match(TIRParser.T__17);
                }
                break;
            case TIRParser.T__18:
                localContext = new IntrinStmtContext(localContext);
                this.enterOuterAlt(localContext, 5);
                {
                this.state = 112;
                this.match(TIRParser.T__18);
                this.state = 113;
                this.name();
                this.state = 114;
                this.match(TIRParser.T__1);
                this.state = 123;
                this.errorHandler.sync(this);
                _la = this.tokenStream.LA(1);
                if ((((_la) & ~0x1F) === 0 && ((1 << _la) & 132132868) !== 0) || ((((_la - 40)) & ~0x1F) === 0 && ((1 << (_la - 40)) & 31) !== 0)) {
                    {
                    this.state = 115;
                    this.intrinArg();
                    this.state = 120;
                    this.errorHandler.sync(this);
                    _la = this.tokenStream.LA(1);
                    while (_la === 5) {
                        {
                        {
                        this.state = 116;
                        this.match(TIRParser.T__4);
                        this.state = 117;
                        this.intrinArg();
                        }
                        }
                        this.state = 122;
                        this.errorHandler.sync(this);
                        _la = this.tokenStream.LA(1);
                    }
                    }
                }

                this.state = 125;
                this.match(TIRParser.T__2);
                this.state = 126;
                this.match(TIRParser.T__17);
                }
                break;
            case TIRParser.T__11:
            case TIRParser.T__12:
            case TIRParser.T__20:
            case TIRParser.T__21:
            case TIRParser.T__22:
            case TIRParser.T__23:
            case TIRParser.ID:
                localContext = new StoreStmtContext(localContext);
                this.enterOuterAlt(localContext, 6);
                {
                this.state = 128;
                this.name();
                this.state = 129;
                this.match(TIRParser.T__6);
                this.state = 131;
                this.errorHandler.sync(this);
                _la = this.tokenStream.LA(1);
                if ((((_la) & ~0x1F) === 0 && ((1 << _la) & 132132868) !== 0) || ((((_la - 40)) & ~0x1F) === 0 && ((1 << (_la - 40)) & 31) !== 0)) {
                    {
                    this.state = 130;
                    this.exprs();
                    }
                }

                this.state = 133;
                this.match(TIRParser.T__7);
                this.state = 134;
                this.match(TIRParser.T__19);
                this.state = 135;
                this.expr(0);
                this.state = 136;
                this.match(TIRParser.T__17);
                }
                break;
            default:
                throw new antlr.NoViableAltException(this);
            }
        }
        catch (re) {
            if (re instanceof antlr.RecognitionException) {
                this.errorHandler.reportError(this, re);
                this.errorHandler.recover(this, re);
            } else {
                throw re;
            }
        }
        finally {
            this.exitRule();
        }
        return localContext;
    }
    public loopKind(): LoopKindContext {
        let localContext = new LoopKindContext(this.context, this.state);
        this.enterRule(localContext, 14, TIRParser.RULE_loopKind);
        try {
            this.state = 145;
            this.errorHandler.sync(this);
            switch (this.tokenStream.LA(1)) {
            case TIRParser.T__20:
                localContext = new UnrollContext(localContext);
                this.enterOuterAlt(localContext, 1);
                {
                this.state = 140;
                this.match(TIRParser.T__20);
                }
                break;
            case TIRParser.T__21:
                localContext = new VectorizeContext(localContext);
                this.enterOuterAlt(localContext, 2);
                {
                this.state = 141;
                this.match(TIRParser.T__21);
                }
                break;
            case TIRParser.T__22:
                localContext = new ParallelContext(localContext);
                this.enterOuterAlt(localContext, 3);
                {
                this.state = 142;
                this.match(TIRParser.T__22);
                }
                break;
            case TIRParser.T__23:
                localContext = new BindContext(localContext);
                this.enterOuterAlt(localContext, 4);
                {
                this.state = 143;
                this.match(TIRParser.T__23);
                this.state = 144;
                (localContext as BindContext)._axis = this.match(TIRParser.ID);
                }
                break;
            default:
                throw new antlr.NoViableAltException(this);
            }
        }
        catch (re) {
            if (re instanceof antlr.RecognitionException) {
                this.errorHandler.reportError(this, re);
                this.errorHandler.recover(this, re);
            } else {
                throw re;
            }
        }
        finally {
            this.exitRule();
        }
        return localContext;
    }
    public intrinArg(): IntrinArgContext {
        let localContext = new IntrinArgContext(this.context, this.state);
        this.enterRule(localContext, 16, TIRParser.RULE_intrinArg);
        let _la: number;
        try {
            this.state = 159;
            this.errorHandler.sync(this);
            switch (this.interpreter.adaptivePredict(this.tokenStream, 17, this.context) ) {
            case 1:
                localContext = new RegionArgContext(localContext);
                this.enterOuterAlt(localContext, 1);
                {
                this.state = 147;
                this.name();
                this.state = 148;
                this.match(TIRParser.T__6);
                this.state = 150;
                this.errorHandler.sync(this);
                _la = this.tokenStream.LA(1);
                if ((((_la) & ~0x1F) === 0 && ((1 << _la) & 132132868) !== 0) || ((((_la - 40)) & ~0x1F) === 0 && ((1 << (_la - 40)) & 31) !== 0)) {
                    {
                    this.state = 149;
                    this.exprs();
                    }
                }

                this.state = 152;
                this.match(TIRParser.T__5);
                this.state = 154;
                this.errorHandler.sync(this);
                _la = this.tokenStream.LA(1);
                if (_la === 42) {
                    {
                    this.state = 153;
                    this.dims();
                    }
                }

                this.state = 156;
                this.match(TIRParser.T__7);
                }
                break;
            case 2:
                localContext = new ScalarArgContext(localContext);
                this.enterOuterAlt(localContext, 2);
                {
                this.state = 158;
                this.expr(0);
                }
                break;
            }
        }
        catch (re) {
            if (re instanceof antlr.RecognitionException) {
                this.errorHandler.reportError(this, re);
                this.errorHandler.recover(this, re);
            } else {
                throw re;
            }
        }
        finally {
            this.exitRule();
        }
        return localContext;
    }
    public exprs(): ExprsContext {
        let localContext = new ExprsContext(this.context, this.state);
        this.enterRule(localContext, 18, TIRParser.RULE_exprs);
        let _la: number;
        try {
            this.enterOuterAlt(localContext, 1);
            {
            this.state = 161;
            this.expr(0);
            this.state = 166;
            this.errorHandler.sync(this);
            _la = this.tokenStream.LA(1);
            while (_la === 5) {
                {
                {
                this.state = 162;
                this.match(TIRParser.T__4);
                this.state = 163;
                this.expr(0);
                }
                }
                this.state = 168;
                this.errorHandler.sync(this);
                _la = this.tokenStream.LA(1);
            }
            }
        }
        catch (re) {
            if (re instanceof antlr.RecognitionException) {
                this.errorHandler.reportError(this, re);
                this.errorHandler.recover(this, re);
            } else {
                throw re;
            }
        }
        finally {
            this.exitRule();
        }
        return localContext;
    }

    public expr(): ExprContext;
    public expr(_p: number): ExprContext;
    public expr(_p?: number): ExprContext {
        if (_p === undefined) {
            _p = 0;
        }

        let parentContext = this.context;
        let parentState = this.state;
        let localContext = new ExprContext(this.context, parentState);
        let previousContext = localContext;
        let _startState = 20;
        this.enterRecursionRule(localContext, 20, TIRParser.RULE_expr, _p);
        let _la: number;
        try {
            let alternative: number;
            this.enterOuterAlt(localContext, 1);
            {
            this.state = 192;
            this.errorHandler.sync(this);
            switch (this.interpreter.adaptivePredict(this.tokenStream, 21, this.context) ) {
            case 1:
                {
                localContext = new ParenContext(localContext);
                this.context = localContext;
                previousContext = localContext;

                this.state = 170;
                this.match(TIRParser.T__1);
                this.state = 171;
                this.expr(0);
                this.state = 172;
                this.match(TIRParser.T__2);
                }
                break;
            case 2:
                {
                localContext = new LoadExprContext(localContext);
                this.context = localContext;
                previousContext = localContext;
                this.state = 174;
                this.name();
                this.state = 175;
                this.match(TIRParser.T__6);
                this.state = 177;
                this.errorHandler.sync(this);
                _la = this.tokenStream.LA(1);
                if ((((_la) & ~0x1F) === 0 && ((1 << _la) & 132132868) !== 0) || ((((_la - 40)) & ~0x1F) === 0 && ((1 << (_la - 40)) & 31) !== 0)) {
                    {
                    this.state = 176;
                    this.exprs();
                    }
                }

                this.state = 179;
                this.match(TIRParser.T__7);
                }
                break;
            case 3:
                {
                localContext = new CallExprContext(localContext);
                this.context = localContext;
                previousContext = localContext;
                this.state = 181;
                this.name();
                this.state = 182;
                this.match(TIRParser.T__1);
                this.state = 184;
                this.errorHandler.sync(this);
                _la = this.tokenStream.LA(1);
                if ((((_la) & ~0x1F) === 0 && ((1 << _la) & 132132868) !== 0) || ((((_la - 40)) & ~0x1F) === 0 && ((1 << (_la - 40)) & 31) !== 0)) {
                    {
                    this.state = 183;
                    this.exprs();
                    }
                }

                this.state = 186;
                this.match(TIRParser.T__2);
                }
                break;
            case 4:
                {
                localContext = new VarExprContext(localContext);
                this.context = localContext;
                previousContext = localContext;
                this.state = 188;
                this.name();
                }
                break;
            case 5:
                {
                localContext = new LiteralExprContext(localContext);
                this.context = localContext;
                previousContext = localContext;
                this.state = 189;
                this.literal();
                }
                break;
            case 6:
                {
                localContext = new UnaryContext(localContext);
                this.context = localContext;
                previousContext = localContext;
                this.state = 190;
                (localContext as UnaryContext)._op = this.tokenStream.LT(1);
                _la = this.tokenStream.LA(1);
                if(!(_la === 25 || _la === 26)) {
                    (localContext as UnaryContext)._op = this.errorHandler.recoverInline(this);
                }
                else {
                    this.errorHandler.reportMatch(this);
                    this.consume();
                }
                this.state = 191;
                this.expr(7);
                }
                break;
            }
            this.context!.stop = this.tokenStream.LT(-1);
            this.state = 214;
            this.errorHandler.sync(this);
            alternative = this.interpreter.adaptivePredict(this.tokenStream, 23, this.context);
            while (alternative !== 2 && alternative !== antlr.ATN.INVALID_ALT_NUMBER) {
                if (alternative === 1) {
                    if (this.parseListeners != null) {
                        this.triggerExitRuleEvent();
                    }
                    previousContext = localContext;
                    {
                    this.state = 212;
                    this.errorHandler.sync(this);
                    switch (this.interpreter.adaptivePredict(this.tokenStream, 22, this.context) ) {
                    case 1:
                        {
                        localContext = new BinaryContext(new ExprContext(parentContext, parentState));
                        this.pushNewRecursionContext(localContext, _startState, TIRParser.RULE_expr);
                        this.state = 194;
                        if (!(this.precpred(this.context, 6))) {
                            throw this.createFailedPredicateException("this.precpred(this.context, 6)");
                        }
                        this.state = 195;
                        (localContext as BinaryContext)._op = this.tokenStream.LT(1);
                        _la = this.tokenStream.LA(1);
                        if(!((((_la) & ~0x1F) === 0 && ((1 << _la) & 2013265920) !== 0))) {
                            (localContext as BinaryContext)._op = this.errorHandler.recoverInline(this);
                        }
                        else {
                            this.errorHandler.reportMatch(this);
                            this.consume();
                        }
                        this.state = 196;
                        this.expr(7);
                        }
                        break;
                    case 2:
                        {
                        localContext = new BinaryContext(new ExprContext(parentContext, parentState));
                        this.pushNewRecursionContext(localContext, _startState, TIRParser.RULE_expr);
                        this.state = 197;
                        if (!(this.precpred(this.context, 5))) {
                            throw this.createFailedPredicateException("this.precpred(this.context, 5)");
                        }
                        this.state = 198;
                        (localContext as BinaryContext)._op = this.tokenStream.LT(1);
                        _la = this.tokenStream.LA(1);
                        if(!(_la === 25 || _la === 31)) {
                            (localContext as BinaryContext)._op = this.errorHandler.recoverInline(this);
                        }
                        else {
                            this.errorHandler.reportMatch(this);
                            this.consume();
                        }
                        this.state = 199;
                        this.expr(6);
                        }
                        break;
                    case 3:
                        {
                        localContext = new BinaryContext(new ExprContext(parentContext, parentState));
                        this.pushNewRecursionContext(localContext, _startState, TIRParser.RULE_expr);
                        this.state = 200;
                        if (!(this.precpred(this.context, 4))) {
                            throw this.createFailedPredicateException("this.precpred(this.context, 4)");
                        }
                        this.state = 201;
                        (localContext as BinaryContext)._op = this.tokenStream.LT(1);
                        _la = this.tokenStream.LA(1);
                        if(!(((((_la - 32)) & ~0x1F) === 0 && ((1 << (_la - 32)) & 15) !== 0))) {
                            (localContext as BinaryContext)._op = this.errorHandler.recoverInline(this);
                        }
                        else {
                            this.errorHandler.reportMatch(this);
                            this.consume();
                        }
                        this.state = 202;
                        this.expr(5);
                        }
                        break;
                    case 4:
                        {
                        localContext = new BinaryContext(new ExprContext(parentContext, parentState));
                        this.pushNewRecursionContext(localContext, _startState, TIRParser.RULE_expr);
                        this.state = 203;
                        if (!(this.precpred(this.context, 3))) {
                            throw this.createFailedPredicateException("this.precpred(this.context, 3)");
                        }
                        this.state = 204;
                        (localContext as BinaryContext)._op = this.tokenStream.LT(1);
                        _la = this.tokenStream.LA(1);
                        if(!(_la === 36 || _la === 37)) {
                            (localContext as BinaryContext)._op = this.errorHandler.recoverInline(this);
                        }
                        else {
                            this.errorHandler.reportMatch(this);
                            this.consume();
                        }
                        this.state = 205;
                        this.expr(4);
                        }
                        break;
                    case 5:
                        {
                        localContext = new BinaryContext(new ExprContext(parentContext, parentState));
                        this.pushNewRecursionContext(localContext, _startState, TIRParser.RULE_expr);
                        this.state = 206;
                        if (!(this.precpred(this.context, 2))) {
                            throw this.createFailedPredicateException("this.precpred(this.context, 2)");
                        }
                        this.state = 207;
                        (localContext as BinaryContext)._op = this.match(TIRParser.T__37);
                        this.state = 208;
                        this.expr(3);
                        }
                        break;
                    case 6:
                        {
                        localContext = new BinaryContext(new ExprContext(parentContext, parentState));
                        this.pushNewRecursionContext(localContext, _startState, TIRParser.RULE_expr);
                        this.state = 209;
                        if (!(this.precpred(this.context, 1))) {
                            throw this.createFailedPredicateException("this.precpred(this.context, 1)");
                        }
                        this.state = 210;
                        (localContext as BinaryContext)._op = this.match(TIRParser.T__38);
                        this.state = 211;
                        this.expr(2);
                        }
                        break;
                    }
                    }
                }
                this.state = 216;
                this.errorHandler.sync(this);
                alternative = this.interpreter.adaptivePredict(this.tokenStream, 23, this.context);
            }
            }
        }
        catch (re) {
            if (re instanceof antlr.RecognitionException) {
                this.errorHandler.reportError(this, re);
                this.errorHandler.recover(this, re);
            } else {
                throw re;
            }
        }
        finally {
            this.unrollRecursionContexts(parentContext);
        }
        return localContext;
    }
    public literal(): LiteralContext {
        let localContext = new LiteralContext(this.context, this.state);
        this.enterRule(localContext, 22, TIRParser.RULE_literal);
        let _la: number;
        try {
            this.enterOuterAlt(localContext, 1);
            {
            this.state = 217;
            _la = this.tokenStream.LA(1);
            if(!(((((_la - 40)) & ~0x1F) === 0 && ((1 << (_la - 40)) & 15) !== 0))) {
            this.errorHandler.recoverInline(this);
            }
            else {
                this.errorHandler.reportMatch(this);
                this.consume();
            }
            }
        }
        catch (re) {
            if (re instanceof antlr.RecognitionException) {
                this.errorHandler.reportError(this, re);
                this.errorHandler.recover(this, re);
            } else {
                throw re;
            }
        }
        finally {
            this.exitRule();
        }
        return localContext;
    }
    public name(): NameContext {
        let localContext = new NameContext(this.context, this.state);
        this.enterRule(localContext, 24, TIRParser.RULE_name);
        let _la: number;
        try {
            this.enterOuterAlt(localContext, 1);
            {
            this.state = 219;
            _la = this.tokenStream.LA(1);
            if(!((((_la) & ~0x1F) === 0 && ((1 << _la) & 31469568) !== 0) || _la === 44)) {
            this.errorHandler.recoverInline(this);
            }
            else {
                this.errorHandler.reportMatch(this);
                this.consume();
            }
            }
        }
        catch (re) {
            if (re instanceof antlr.RecognitionException) {
                this.errorHandler.reportError(this, re);
                this.errorHandler.recover(this, re);
            } else {
                throw re;
            }
        }
        finally {
            this.exitRule();
        }
        return localContext;
    }

    public override sempred(localContext: antlr.ParserRuleContext | null, ruleIndex: number, predIndex: number): boolean {
        switch (ruleIndex) {
        case 10:
            return this.expr_sempred(localContext as ExprContext, predIndex);
        }
        return true;
    }
    private expr_sempred(localContext: ExprContext | null, predIndex: number): boolean {
        switch (predIndex) {
        case 0:
            return this.precpred(this.context, 6);
        case 1:
            return this.precpred(this.context, 5);
        case 2:
            return this.precpred(this.context, 4);
        case 3:
            return this.precpred(this.context, 3);
        case 4:
            return this.precpred(this.context, 2);
        case 5:
            return this.precpred(this.context, 1);
        }
        return true;
    }

    public static readonly _serializedATN: number[] = [
        4,1,46,222,2,0,7,0,2,1,7,1,2,2,7,2,2,3,7,3,2,4,7,4,2,5,7,5,2,6,7,
        6,2,7,7,7,2,8,7,8,2,9,7,9,2,10,7,10,2,11,7,11,2,12,7,12,1,0,5,0,
        28,8,0,10,0,12,0,31,9,0,1,0,1,0,1,1,1,1,1,1,1,1,3,1,39,8,1,1,1,1,
        1,1,1,1,1,3,1,45,8,1,1,1,1,1,1,1,1,2,1,2,1,2,5,2,53,8,2,10,2,12,
        2,56,9,2,1,3,1,3,1,3,1,3,1,3,3,3,63,8,3,1,3,1,3,3,3,67,8,3,1,4,1,
        4,1,4,5,4,72,8,4,10,4,12,4,75,9,4,1,5,1,5,5,5,79,8,5,10,5,12,5,82,
        9,5,1,5,1,5,1,6,1,6,1,6,1,6,1,6,1,6,1,6,1,6,1,6,1,6,3,6,96,8,6,1,
        6,1,6,1,6,1,6,1,6,1,6,1,6,1,6,1,6,1,6,1,6,3,6,109,8,6,1,6,1,6,1,
        6,1,6,1,6,1,6,1,6,1,6,5,6,119,8,6,10,6,12,6,122,9,6,3,6,124,8,6,
        1,6,1,6,1,6,1,6,1,6,1,6,3,6,132,8,6,1,6,1,6,1,6,1,6,1,6,3,6,139,
        8,6,1,7,1,7,1,7,1,7,1,7,3,7,146,8,7,1,8,1,8,1,8,3,8,151,8,8,1,8,
        1,8,3,8,155,8,8,1,8,1,8,1,8,3,8,160,8,8,1,9,1,9,1,9,5,9,165,8,9,
        10,9,12,9,168,9,9,1,10,1,10,1,10,1,10,1,10,1,10,1,10,1,10,3,10,178,
        8,10,1,10,1,10,1,10,1,10,1,10,3,10,185,8,10,1,10,1,10,1,10,1,10,
        1,10,1,10,3,10,193,8,10,1,10,1,10,1,10,1,10,1,10,1,10,1,10,1,10,
        1,10,1,10,1,10,1,10,1,10,1,10,1,10,1,10,1,10,1,10,5,10,213,8,10,
        10,10,12,10,216,9,10,1,11,1,11,1,12,1,12,1,12,0,1,20,13,0,2,4,6,
        8,10,12,14,16,18,20,22,24,0,7,1,0,25,26,1,0,27,30,2,0,25,25,31,31,
        1,0,32,35,1,0,36,37,1,0,40,43,3,0,12,13,21,24,44,44,246,0,29,1,0,
        0,0,2,34,1,0,0,0,4,49,1,0,0,0,6,57,1,0,0,0,8,68,1,0,0,0,10,76,1,
        0,0,0,12,138,1,0,0,0,14,145,1,0,0,0,16,159,1,0,0,0,18,161,1,0,0,
        0,20,192,1,0,0,0,22,217,1,0,0,0,24,219,1,0,0,0,26,28,3,2,1,0,27,
        26,1,0,0,0,28,31,1,0,0,0,29,27,1,0,0,0,29,30,1,0,0,0,30,32,1,0,0,
        0,31,29,1,0,0,0,32,33,5,0,0,1,33,1,1,0,0,0,34,35,5,1,0,0,35,36,3,
        24,12,0,36,38,5,2,0,0,37,39,3,4,2,0,38,37,1,0,0,0,38,39,1,0,0,0,
        39,40,1,0,0,0,40,41,5,3,0,0,41,42,5,4,0,0,42,44,5,2,0,0,43,45,3,
        4,2,0,44,43,1,0,0,0,44,45,1,0,0,0,45,46,1,0,0,0,46,47,5,3,0,0,47,
        48,3,10,5,0,48,3,1,0,0,0,49,54,3,6,3,0,50,51,5,5,0,0,51,53,3,6,3,
        0,52,50,1,0,0,0,53,56,1,0,0,0,54,52,1,0,0,0,54,55,1,0,0,0,55,5,1,
        0,0,0,56,54,1,0,0,0,57,58,3,24,12,0,58,59,5,6,0,0,59,60,5,44,0,0,
        60,62,5,7,0,0,61,63,3,8,4,0,62,61,1,0,0,0,62,63,1,0,0,0,63,64,1,
        0,0,0,64,66,5,8,0,0,65,67,5,44,0,0,66,65,1,0,0,0,66,67,1,0,0,0,67,
        7,1,0,0,0,68,73,5,42,0,0,69,70,5,5,0,0,70,72,5,42,0,0,71,69,1,0,
        0,0,72,75,1,0,0,0,73,71,1,0,0,0,73,74,1,0,0,0,74,9,1,0,0,0,75,73,
        1,0,0,0,76,80,5,9,0,0,77,79,3,12,6,0,78,77,1,0,0,0,79,82,1,0,0,0,
        80,78,1,0,0,0,80,81,1,0,0,0,81,83,1,0,0,0,82,80,1,0,0,0,83,84,5,
        10,0,0,84,11,1,0,0,0,85,86,5,11,0,0,86,87,3,24,12,0,87,88,5,12,0,
        0,88,89,5,13,0,0,89,90,5,2,0,0,90,91,3,20,10,0,91,92,5,5,0,0,92,
        93,3,20,10,0,93,95,5,3,0,0,94,96,3,14,7,0,95,94,1,0,0,0,95,96,1,
        0,0,0,96,97,1,0,0,0,97,98,3,10,5,0,98,139,1,0,0,0,99,100,5,14,0,
        0,100,101,3,6,3,0,101,102,3,10,5,0,102,139,1,0,0,0,103,104,5,15,
        0,0,104,105,3,20,10,0,105,108,3,10,5,0,106,107,5,16,0,0,107,109,
        3,10,5,0,108,106,1,0,0,0,108,109,1,0,0,0,109,139,1,0,0,0,110,111,
        5,17,0,0,111,139,5,18,0,0,112,113,5,19,0,0,113,114,3,24,12,0,114,
        123,5,2,0,0,115,120,3,16,8,0,116,117,5,5,0,0,117,119,3,16,8,0,118,
        116,1,0,0,0,119,122,1,0,0,0,120,118,1,0,0,0,120,121,1,0,0,0,121,
        124,1,0,0,0,122,120,1,0,0,0,123,115,1,0,0,0,123,124,1,0,0,0,124,
        125,1,0,0,0,125,126,5,3,0,0,126,127,5,18,0,0,127,139,1,0,0,0,128,
        129,3,24,12,0,129,131,5,7,0,0,130,132,3,18,9,0,131,130,1,0,0,0,131,
        132,1,0,0,0,132,133,1,0,0,0,133,134,5,8,0,0,134,135,5,20,0,0,135,
        136,3,20,10,0,136,137,5,18,0,0,137,139,1,0,0,0,138,85,1,0,0,0,138,
        99,1,0,0,0,138,103,1,0,0,0,138,110,1,0,0,0,138,112,1,0,0,0,138,128,
        1,0,0,0,139,13,1,0,0,0,140,146,5,21,0,0,141,146,5,22,0,0,142,146,
        5,23,0,0,143,144,5,24,0,0,144,146,5,44,0,0,145,140,1,0,0,0,145,141,
        1,0,0,0,145,142,1,0,0,0,145,143,1,0,0,0,146,15,1,0,0,0,147,148,3,
        24,12,0,148,150,5,7,0,0,149,151,3,18,9,0,150,149,1,0,0,0,150,151,
        1,0,0,0,151,152,1,0,0,0,152,154,5,6,0,0,153,155,3,8,4,0,154,153,
        1,0,0,0,154,155,1,0,0,0,155,156,1,0,0,0,156,157,5,8,0,0,157,160,
        1,0,0,0,158,160,3,20,10,0,159,147,1,0,0,0,159,158,1,0,0,0,160,17,
        1,0,0,0,161,166,3,20,10,0,162,163,5,5,0,0,163,165,3,20,10,0,164,
        162,1,0,0,0,165,168,1,0,0,0,166,164,1,0,0,0,166,167,1,0,0,0,167,
        19,1,0,0,0,168,166,1,0,0,0,169,170,6,10,-1,0,170,171,5,2,0,0,171,
        172,3,20,10,0,172,173,5,3,0,0,173,193,1,0,0,0,174,175,3,24,12,0,
        175,177,5,7,0,0,176,178,3,18,9,0,177,176,1,0,0,0,177,178,1,0,0,0,
        178,179,1,0,0,0,179,180,5,8,0,0,180,193,1,0,0,0,181,182,3,24,12,
        0,182,184,5,2,0,0,183,185,3,18,9,0,184,183,1,0,0,0,184,185,1,0,0,
        0,185,186,1,0,0,0,186,187,5,3,0,0,187,193,1,0,0,0,188,193,3,24,12,
        0,189,193,3,22,11,0,190,191,7,0,0,0,191,193,3,20,10,7,192,169,1,
        0,0,0,192,174,1,0,0,0,192,181,1,0,0,0,192,188,1,0,0,0,192,189,1,
        0,0,0,192,190,1,0,0,0,193,214,1,0,0,0,194,195,10,6,0,0,195,196,7,
        1,0,0,196,213,3,20,10,7,197,198,10,5,0,0,198,199,7,2,0,0,199,213,
        3,20,10,6,200,201,10,4,0,0,201,202,7,3,0,0,202,213,3,20,10,5,203,
        204,10,3,0,0,204,205,7,4,0,0,205,213,3,20,10,4,206,207,10,2,0,0,
        207,208,5,38,0,0,208,213,3,20,10,3,209,210,10,1,0,0,210,211,5,39,
        0,0,211,213,3,20,10,2,212,194,1,0,0,0,212,197,1,0,0,0,212,200,1,
        0,0,0,212,203,1,0,0,0,212,206,1,0,0,0,212,209,1,0,0,0,213,216,1,
        0,0,0,214,212,1,0,0,0,214,215,1,0,0,0,215,21,1,0,0,0,216,214,1,0,
        0,0,217,218,7,5,0,0,218,23,1,0,0,0,219,220,7,6,0,0,220,25,1,0,0,
        0,24,29,38,44,54,62,66,73,80,95,108,120,123,131,138,145,150,154,
        159,166,177,184,192,212,214
    ];

    private static __ATN: antlr.ATN;
    public static get _ATN(): antlr.ATN {
        if (!TIRParser.__ATN) {
            TIRParser.__ATN = new antlr.ATNDeserializer().deserialize(TIRParser._serializedATN);
        }

        return TIRParser.__ATN;
    }


    private static readonly vocabulary = new antlr.Vocabulary(TIRParser.literalNames, TIRParser.symbolicNames, []);

    public override get vocabulary(): antlr.Vocabulary {
        return TIRParser.vocabulary;
    }

    private static readonly decisionsToDFA = TIRParser._ATN.decisionToState.map( (ds: antlr.DecisionState, index: number) => new antlr.DFA(ds, index) );
}

export class FileContext extends antlr.ParserRuleContext {
    public constructor(parent: antlr.ParserRuleContext | null, invokingState: number) {
        super(parent, invokingState);
    }
    public EOF(): antlr.TerminalNode {
        return this.getToken(TIRParser.EOF, 0)!;
    }
    public func(): FuncContext[];
    public func(i: number): FuncContext | null;
    public func(i?: number): FuncContext[] | FuncContext | null {
        if (i === undefined) {
            return this.getRuleContexts(FuncContext);
        }

        return this.getRuleContext(i, FuncContext);
    }
    public override get ruleIndex(): number {
        return TIRParser.RULE_file;
    }
}


export class FuncContext extends antlr.ParserRuleContext {
    public _ins?: BufferDeclsContext;
    public _outs?: BufferDeclsContext;
    public constructor(parent: antlr.ParserRuleContext | null, invokingState: number) {
        super(parent, invokingState);
    }
    public name(): NameContext {
        return this.getRuleContext(0, NameContext)!;
    }
    public block(): BlockContext {
        return this.getRuleContext(0, BlockContext)!;
    }
    public bufferDecls(): BufferDeclsContext[];
    public bufferDecls(i: number): BufferDeclsContext | null;
    public bufferDecls(i?: number): BufferDeclsContext[] | BufferDeclsContext | null {
        if (i === undefined) {
            return this.getRuleContexts(BufferDeclsContext);
        }

        return this.getRuleContext(i, BufferDeclsContext);
    }
    public override get ruleIndex(): number {
        return TIRParser.RULE_func;
    }
}


export class BufferDeclsContext extends antlr.ParserRuleContext {
    public constructor(parent: antlr.ParserRuleContext | null, invokingState: number) {
        super(parent, invokingState);
    }
    public bufferDecl(): BufferDeclContext[];
    public bufferDecl(i: number): BufferDeclContext | null;
    public bufferDecl(i?: number): BufferDeclContext[] | BufferDeclContext | null {
        if (i === undefined) {
            return this.getRuleContexts(BufferDeclContext);
        }

        return this.getRuleContext(i, BufferDeclContext);
    }
    public override get ruleIndex(): number {
        return TIRParser.RULE_bufferDecls;
    }
}


export class BufferDeclContext extends antlr.ParserRuleContext {
    public _dtype?: Token | null;
    public _scope?: Token | null;
    public constructor(parent: antlr.ParserRuleContext | null, invokingState: number) {
        super(parent, invokingState);
    }
    public name(): NameContext {
        return this.getRuleContext(0, NameContext)!;
    }
    public ID(): antlr.TerminalNode[];
    public ID(i: number): antlr.TerminalNode | null;
    public ID(i?: number): antlr.TerminalNode | null | antlr.TerminalNode[] {
    	if (i === undefined) {
    		return this.getTokens(TIRParser.ID);
    	} else {
    		return this.getToken(TIRParser.ID, i);
    	}
    }
    public dims(): DimsContext | null {
        return this.getRuleContext(0, DimsContext);
    }
    public override get ruleIndex(): number {
        return TIRParser.RULE_bufferDecl;
    }
}


export class DimsContext extends antlr.ParserRuleContext {
    public constructor(parent: antlr.ParserRuleContext | null, invokingState: number) {
        super(parent, invokingState);
    }
    public INT(): antlr.TerminalNode[];
    public INT(i: number): antlr.TerminalNode | null;
    public INT(i?: number): antlr.TerminalNode | null | antlr.TerminalNode[] {
    	if (i === undefined) {
    		return this.getTokens(TIRParser.INT);
    	} else {
    		return this.getToken(TIRParser.INT, i);
    	}
    }
    public override get ruleIndex(): number {
        return TIRParser.RULE_dims;
    }
}


export class BlockContext extends antlr.ParserRuleContext {
    public constructor(parent: antlr.ParserRuleContext | null, invokingState: number) {
        super(parent, invokingState);
    }
    public stmt(): StmtContext[];
    public stmt(i: number): StmtContext | null;
    public stmt(i?: number): StmtContext[] | StmtContext | null {
        if (i === undefined) {
            return this.getRuleContexts(StmtContext);
        }

        return this.getRuleContext(i, StmtContext);
    }
    public override get ruleIndex(): number {
        return TIRParser.RULE_block;
    }
}


export class StmtContext extends antlr.ParserRuleContext {
    public constructor(parent: antlr.ParserRuleContext | null, invokingState: number) {
        super(parent, invokingState);
    }
    public override get ruleIndex(): number {
        return TIRParser.RULE_stmt;
    }
    public override copyFrom(ctx: StmtContext): void {
        super.copyFrom(ctx);
    }
}
export class BarrierStmtContext extends StmtContext {
    public constructor(ctx: StmtContext) {
        super(ctx.parent, ctx.invokingState);
        super.copyFrom(ctx);
    }
}
export class StoreStmtContext extends StmtContext {
    public constructor(ctx: StmtContext) {
        super(ctx.parent, ctx.invokingState);
        super.copyFrom(ctx);
    }
    public name(): NameContext {
        return this.getRuleContext(0, NameContext)!;
    }
    public expr(): ExprContext {
        return this.getRuleContext(0, ExprContext)!;
    }
    public exprs(): ExprsContext | null {
        return this.getRuleContext(0, ExprsContext);
    }
}
export class IfStmtContext extends StmtContext {
    public constructor(ctx: StmtContext) {
        super(ctx.parent, ctx.invokingState);
        super.copyFrom(ctx);
    }
    public expr(): ExprContext {
        return this.getRuleContext(0, ExprContext)!;
    }
    public block(): BlockContext[];
    public block(i: number): BlockContext | null;
    public block(i?: number): BlockContext[] | BlockContext | null {
        if (i === undefined) {
            return this.getRuleContexts(BlockContext);
        }

        return this.getRuleContext(i, BlockContext);
    }
}
export class AllocStmtContext extends StmtContext {
    public constructor(ctx: StmtContext) {
        super(ctx.parent, ctx.invokingState);
        super.copyFrom(ctx);
    }
    public bufferDecl(): BufferDeclContext {
        return this.getRuleContext(0, BufferDeclContext)!;
    }
    public block(): BlockContext {
        return this.getRuleContext(0, BlockContext)!;
    }
}
export class IntrinStmtContext extends StmtContext {
    public constructor(ctx: StmtContext) {
        super(ctx.parent, ctx.invokingState);
        super.copyFrom(ctx);
    }
    public name(): NameContext {
        return this.getRuleContext(0, NameContext)!;
    }
    public intrinArg(): IntrinArgContext[];
    public intrinArg(i: number): IntrinArgContext | null;
    public intrinArg(i?: number): IntrinArgContext[] | IntrinArgContext | null {
        if (i === undefined) {
            return this.getRuleContexts(IntrinArgContext);
        }

        return this.getRuleContext(i, IntrinArgContext);
    }
}
export class ForStmtContext extends StmtContext {
    public constructor(ctx: StmtContext) {
        super(ctx.parent, ctx.invokingState);
        super.copyFrom(ctx);
    }
    public name(): NameContext {
        return this.getRuleContext(0, NameContext)!;
    }
    public expr(): ExprContext[];
    public expr(i: number): ExprContext | null;
    public expr(i?: number): ExprContext[] | ExprContext | null {
        if (i === undefined) {
            return this.getRuleContexts(ExprContext);
        }

        return this.getRuleContext(i, ExprContext);
    }
    public block(): BlockContext {
        return this.getRuleContext(0, BlockContext)!;
    }
    public loopKind(): LoopKindContext | null {
        return this.getRuleContext(0, LoopKindContext);
    }
}


export class LoopKindContext extends antlr.ParserRuleContext {
    public constructor(parent: antlr.ParserRuleContext | null, invokingState: number) {
        super(parent, invokingState);
    }
    public override get ruleIndex(): number {
        return TIRParser.RULE_loopKind;
    }
    public override copyFrom(ctx: LoopKindContext): void {
        super.copyFrom(ctx);
    }
}
export class VectorizeContext extends LoopKindContext {
    public constructor(ctx: LoopKindContext) {
        super(ctx.parent, ctx.invokingState);
        super.copyFrom(ctx);
    }
}
export class BindContext extends LoopKindContext {
    public _axis?: Token | null;
    public constructor(ctx: LoopKindContext) {
        super(ctx.parent, ctx.invokingState);
        super.copyFrom(ctx);
    }
    public ID(): antlr.TerminalNode {
        return this.getToken(TIRParser.ID, 0)!;
    }
}
export class UnrollContext extends LoopKindContext {
    public constructor(ctx: LoopKindContext) {
        super(ctx.parent, ctx.invokingState);
        super.copyFrom(ctx);
    }
}
export class ParallelContext extends LoopKindContext {
    public constructor(ctx: LoopKindContext) {
        super(ctx.parent, ctx.invokingState);
        super.copyFrom(ctx);
    }
}


export class IntrinArgContext extends antlr.ParserRuleContext {
    public constructor(parent: antlr.ParserRuleContext | null, invokingState: number) {
        super(parent, invokingState);
    }
    public override get ruleIndex(): number {
        return TIRParser.RULE_intrinArg;
    }
    public override copyFrom(ctx: IntrinArgContext): void {
        super.copyFrom(ctx);
    }
}
export class RegionArgContext extends IntrinArgContext {
    public constructor(ctx: IntrinArgContext) {
        super(ctx.parent, ctx.invokingState);
        super.copyFrom(ctx);
    }
    public name(): NameContext {
        return this.getRuleContext(0, NameContext)!;
    }
    public exprs(): ExprsContext | null {
        return this.getRuleContext(0, ExprsContext);
    }
    public dims(): DimsContext | null {
        return this.getRuleContext(0, DimsContext);
    }
}
export class ScalarArgContext extends IntrinArgContext {
    public constructor(ctx: IntrinArgContext) {
        super(ctx.parent, ctx.invokingState);
        super.copyFrom(ctx);
    }
    public expr(): ExprContext {
        return this.getRuleContext(0, ExprContext)!;
    }
}


export class ExprsContext extends antlr.ParserRuleContext {
    public constructor(parent: antlr.ParserRuleContext | null, invokingState: number) {
        super(parent, invokingState);
    }
    public expr(): ExprContext[];
    public expr(i: number): ExprContext | null;
    public expr(i?: number): ExprContext[] | ExprContext | null {
        if (i === undefined) {
            return this.getRuleContexts(ExprContext);
        }

        return this.getRuleContext(i, ExprContext);
    }
    public override get ruleIndex(): number {
        return TIRParser.RULE_exprs;
    }
}


export class ExprContext extends antlr.ParserRuleContext {
    public constructor(parent: antlr.ParserRuleContext | null, invokingState: number) {
        super(parent, invokingState);
    }
    public override get ruleIndex(): number {
        return TIRParser.RULE_expr;
    }
    public override copyFrom(ctx: ExprContext): void {
        super.copyFrom(ctx);
    }
}
export class VarExprContext extends ExprContext {
    public constructor(ctx: ExprContext) {
        super(ctx.parent, ctx.invokingState);
        super.copyFrom(ctx);
    }
    public name(): NameContext {
        return this.getRuleContext(0, NameContext)!;
    }
}
export class LiteralExprContext extends ExprContext {
    public constructor(ctx: ExprContext) {
        super(ctx.parent, ctx.invokingState);
        super.copyFrom(ctx);
    }
    public literal(): LiteralContext {
        return this.getRuleContext(0, LiteralContext)!;
    }
}
export class CallExprContext extends ExprContext {
    public constructor(ctx: ExprContext) {
        super(ctx.parent, ctx.invokingState);
        super.copyFrom(ctx);
    }
    public name(): NameContext {
        return this.getRuleContext(0, NameContext)!;
    }
    public exprs(): ExprsContext | null {
        return this.getRuleContext(0, ExprsContext);
    }
}
export class BinaryContext extends ExprContext {
    public _op?: Token | null;
    public constructor(ctx: ExprContext) {
        super(ctx.parent, ctx.invokingState);
        super.copyFrom(ctx);
    }
    public expr(): ExprContext[];
    public expr(i: number): ExprContext | null;
    public expr(i?: number): ExprContext[] | ExprContext | null {
        if (i === undefined) {
            return this.getRuleContexts(ExprContext);
        }

        return this.getRuleContext(i, ExprContext);
    }
}
export class LoadExprContext extends ExprContext {
    public constructor(ctx: ExprContext) {
        super(ctx.parent, ctx.invokingState);
        super.copyFrom(ctx);
    }
    public name(): NameContext {
        return this.getRuleContext(0, NameContext)!;
    }
    public exprs(): ExprsContext | null {
        return this.getRuleContext(0, ExprsContext);
    }
}
export class UnaryContext extends ExprContext {
    public _op?: Token | null;
    public constructor(ctx: ExprContext) {
        super(ctx.parent, ctx.invokingState);
        super.copyFrom(ctx);
    }
    public expr(): ExprContext {
        return this.getRuleContext(0, ExprContext)!;
    }
}
export class ParenContext extends ExprContext {
    public constructor(ctx: ExprContext) {
        super(ctx.parent, ctx.invokingState);
        super.copyFrom(ctx);
    }
    public expr(): ExprContext {
        return this.getRuleContext(0, ExprContext)!;
    }
}


export class LiteralContext extends antlr.ParserRuleContext {
    public constructor(parent: antlr.ParserRuleContext | null, invokingState: number) {
        super(parent, invokingState);
    }
    public INT(): antlr.TerminalNode | null {
        return this.getToken(TIRParser.INT, 0);
    }
    public FLOAT(): antlr.TerminalNode | null {
        return this.getToken(TIRParser.FLOAT, 0);
    }
    public override get ruleIndex(): number {
        return TIRParser.RULE_literal;
    }
}


export class NameContext extends antlr.ParserRuleContext {
    public constructor(parent: antlr.ParserRuleContext | null, invokingState: number) {
        super(parent, invokingState);
    }
    public ID(): antlr.TerminalNode {
        return this.getToken(TIRParser.ID, 0)!;
    }
    public override get ruleIndex(): number {
        return TIRParser.RULE_name;
    }
}
