// Registers every reference kernel family.
import './elementwise.ts';
