// Shape rules: nn family (filled in by its owner).
import { defineOp } from './registry.ts';
void defineOp;
