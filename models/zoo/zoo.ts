// The model zoo: realistic blocks of the architectures tscc must compile, each writable at the
// opsets the common exporters target, with the exporter's op forms for that opset.
import type { Built } from './net.ts';
import { classifier, efficientNet, mobileNetV2, mobileNetV3, resnetBasic, resnetBottleneck, tinyCnn } from './cnn.ts';
import { shuffleNet, squeezeNet } from './channels.ts';
import { gpt2, vit } from './transformer.ts';
import { sileroVad } from './vad.ts';

export type { Built } from './net.ts';

export interface ZooEntry {
  readonly name: string;
  readonly build: (opset: number) => Built;
  /** Oldest opset the model can be written at (default 9): Range needs 11, ceil_mode 10. */
  readonly minOpset?: number;
}

/** Opsets each zoo model is written at (PyTorch's long-time default, the Softmax/Squeeze change, LayerNorm). */
export const ZOO_OPSETS = [11, 13, 17] as const;

/** Older opsets some exporters still write (Clip bounds as attributes, Resize-10, Upsample). */
export const LEGACY_OPSETS = [9, 10] as const;

export const ZOO: readonly ZooEntry[] = [
  { name: 'resnet-basic', build: resnetBasic },
  { name: 'resnet-bottleneck', build: resnetBottleneck },
  { name: 'mobilenet-v2', build: mobileNetV2 },
  { name: 'mobilenet-v3', build: mobileNetV3 },
  { name: 'efficientnet-mbconv', build: efficientNet },
  { name: 'shufflenet-v2', build: shuffleNet },
  { name: 'squeezenet-fire', build: squeezeNet, minOpset: 10 },
  { name: 'classifier-head', build: classifier },
  { name: 'vit-encoder', build: vit },
  { name: 'gpt2-decoder', build: gpt2, minOpset: 11 },
  { name: 'silero-vad', build: sileroVad },
  { name: 'tiny-cnn', build: tinyCnn },
];

export function zooModel(name: string): ZooEntry {
  const e = ZOO.find((z) => z.name === name);
  if (!e) throw new Error(`no zoo model "${name}" (have: ${ZOO.map((z) => z.name).join(', ')})`);
  return e;
}
