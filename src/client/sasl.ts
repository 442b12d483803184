export * from '../protocol/sasl.js';
