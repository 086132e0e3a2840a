// Reference kernels: control family (filled in by its owner).
import { defineKernel } from '../kernel.ts';
void defineKernel;
