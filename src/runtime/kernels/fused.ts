// A fused node (passes/graph/fuse.ts) runs its member sub-graph, so the reference runtime executes
// exactly what the fusion pass grouped; body inputs and outputs correspond to the node's by position.
// The body is self-contained (no captures), so it runs as a graph of its own, which also works for
// callers whose context runs no subgraphs (a target's host fallback).
import { ShapeError, nodeRef } from '../../util/errors.ts';
import { defineKernel } from '../kernel.ts';
import { runGraph } from '../interpreter.ts';

defineKernel('Fused', (inputs, node) => {
  const body = node.body;
  if (!body) throw new ShapeError(`${nodeRef(node)}: a Fused node needs a body graph`);
  if (body.inputs.length !== inputs.length) throw new ShapeError(`${nodeRef(node)}: the body has ${body.inputs.length} inputs, the node ${inputs.length}`);
  const out = runGraph(body, Object.fromEntries(body.inputs.map((v, i) => [v.name, inputs[i]!])));
  return body.outputs.map((v) => out[v.name]);
}, 'any');
