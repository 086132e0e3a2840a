// Reference kernels of the nn family: convolutions, pools and matrix products, one file per concept.
import './conv.ts';
import './conv-transpose.ts';
import './pool.ts';
import './matmul.ts';
import './einsum.ts';
