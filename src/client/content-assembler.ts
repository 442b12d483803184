export * from '../protocol/content-assembler.js';
