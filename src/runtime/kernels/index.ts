// Registers every reference kernel, one file per op family.
import './elementwise.ts';
import './nn.ts';
import './norm.ts';
import './tensor.ts';
import './reduce.ts';
import './rnn.ts';
import './quant.ts';
import './mx.ts';
import './control.ts';
import './fused.ts';
