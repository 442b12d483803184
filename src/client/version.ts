export * from '../protocol/version.js';
