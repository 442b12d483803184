export * from '../protocol/client-handshake.js';
