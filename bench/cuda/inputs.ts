// Seeded random inputs of a model as .npy files (what tscc_run reads): npx tsx bench/cuda/inputs.ts MODEL DIR
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { npyName, writeNpy } from '../../src/runtime/npy.ts';
import { randomTensor } from '../../src/runtime/random.ts';

const [file, dir] = process.argv.slice(2);
const g = loadOnnxBytes(readFileSync(file)).graph;
g.inputs.forEach((v, i) => writeNpy(join(dir, npyName(v.name)), randomTensor(v.type.dtype, v.type.shape as number[], 7 + i)));
