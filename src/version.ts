// The tscc version, part of every cache key and report.
export const VERSION = '0.1.0';
