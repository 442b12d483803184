export * from '../protocol/tune.js';
