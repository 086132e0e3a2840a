// Shape rules: reduce family (filled in by its owner).
import { defineOp } from './registry.ts';
void defineOp;
