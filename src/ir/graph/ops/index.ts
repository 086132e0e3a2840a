// Registers every op's shape rule.
import './elementwise.ts';
