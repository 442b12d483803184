/**
 * The protocol layer: a sans-IO session usable in either role (bytes in, per-channel events out),
 * both halves of the opening handshake, tune negotiation, SASL and the capabilities tables.
 * @packageDocumentation
 */
export type { Content, ContentMethod, SessionHandler } from './events.js';
export { Session, type SessionOptions, type SessionRole } from './session.js';
export { ContentAssembler, type Assembled } from './content-assembler.js';
export { Handshake, type HandshakeHost, type HandshakeResult, type ClientHandshakeOptions } from './client-handshake.js';
export {
  ServerHandshake, connectionStartArgs, DEFAULT_SERVER_TUNE,
  type ServerHandshakeHost, type ServerHandshakeOptions, type ServerHandshakeResult, type ServerHandshakeStep,
} from './server-handshake.js';
export { CLIENT_CAPABILITIES, SERVER_CAPABILITIES } from './capabilities.js';
export { negotiateTune, negotiateLimit, negotiateHeartbeat, type Tuned, type TuneWanted } from './tune.js';
export { saslResponse, chooseMechanism, type AuthMechanism, type SaslCredentials } from './sasl.js';
export { ClosedError, ConnectionClosedError, ChannelClosedError, AuthenticationError, type ClosedBy, type CloseReason } from './errors.js';
export { VERSION } from './version.js';
