/**
 * The opening handshake on channel 0 (spec 2.2.4):
 *
 *   C: protocol header        S: connection.start
 *   C: start-ok               S: connection.secure   (zero or more rounds)
 *   C: secure-ok              S: connection.tune
 *   C: tune-ok, open          S: open-ok
 *
 * A pure driver: it receives decoded methods and tells its host what to send. The broker's side
 * is server-handshake.ts.
 * @packageDocumentation
 */
import { ReplyCode } from '../frames/constants.js';
import { FrameError } from '../frames/errors.js';
import type { FieldTable } from '../frames/field-table.js';
import type { Method, MethodArgs, MethodName } from '../methods/types.js';
import { CLIENT_CAPABILITIES } from './capabilities.js';
import { AuthenticationError, ConnectionClosedError } from './errors.js';
import { chooseMechanism, saslResponse, type AuthMechanism } from './sasl.js';
import { negotiateTune, type Tuned } from './tune.js';
import { VERSION } from './version.js';

/** What the handshake needs to know of the connection's options. */
export interface ClientHandshakeOptions {
  readonly username: string;
  readonly password: string;
  readonly vhost: string;
  readonly locale: string;
  /** In order of preference. */
  readonly authMechanisms: readonly AuthMechanism[];
  readonly channelMax: number;
  readonly frameMax: number;
  /** Seconds; undefined takes the server's proposal. */
  readonly heartbeat: number | undefined;
  /** Merged over the defaults; its `capabilities` table is merged over CLIENT_CAPABILITIES. */
  readonly clientProperties: Readonly<Record<string, unknown>>;
  /** client_properties `product` and `version`. */
  readonly product?: { readonly name: string; readonly version: string };
}

/** What the handshake needs from the connection. */
export interface HandshakeHost {
  send<N extends MethodName>(name: N, args: MethodArgs<N>): void;
  /** Tune agreed: apply frame_max and heartbeat before open goes out. */
  onTuned(tuned: Tuned): void;
}

/** The outcome of a successful handshake. */
export interface HandshakeResult {
  serverProperties: FieldTable;
  tuned: Tuned;
  mechanism: string;
}

type Step = 'start' | 'secure-or-tune' | 'open-ok' | 'done';

export { CLIENT_CAPABILITIES } from './capabilities.js';

/** Limit on connection.secure rounds, so a confused server cannot loop us forever. */
const MAX_SECURE_ROUNDS = 16;

/** Drives one handshake. */
export class Handshake {
  private step: Step = 'start';
  private secureRounds = 0;
  private mechanism: AuthMechanism = 'PLAIN';
  private serverProperties: FieldTable = {};
  private tuned: Tuned | null = null;

  constructor(private readonly options: ClientHandshakeOptions, private readonly host: HandshakeHost) {}

  /** True once start-ok went out: an EOF from here on usually means refused credentials. */
  get sentCredentials(): boolean {
    return this.step !== 'start';
  }

  /** Feed a channel-0 method; returns the result once open-ok has arrived. */
  onMethod(m: Method): HandshakeResult | null {
    switch (m.name) {
      case 'connection.start':
        this.expect('start', m.name);
        this.onStart(m.args);
        return null;
      case 'connection.secure':
        this.expect('secure-or-tune', m.name);
        if (++this.secureRounds > MAX_SECURE_ROUNDS) throw new FrameError(ReplyCode.COMMAND_INVALID, `more than ${MAX_SECURE_ROUNDS} connection.secure rounds`);
        // PLAIN, AMQPLAIN and EXTERNAL carry everything in the first response: answer a challenge with it again.
        this.host.send('connection.secure-ok', { response: saslResponse(this.mechanism, this.options) });
        return null;
      case 'connection.tune':
        this.expect('secure-or-tune', m.name);
        this.onTune(m.args);
        return null;
      case 'connection.open-ok':
        this.expect('open-ok', m.name);
        this.step = 'done';
        return { serverProperties: this.serverProperties, tuned: this.tuned!, mechanism: this.mechanism };
      default:
        throw new FrameError(ReplyCode.UNEXPECTED_FRAME, `${m.name} during the connection handshake`);
    }
  }

  private expect(step: Step, name: string): void {
    if (this.step !== step) throw new FrameError(ReplyCode.UNEXPECTED_FRAME, `${name} out of order in the handshake`);
  }

  private onStart(args: Method<'connection.start'>['args']): void {
    if (args.versionMajor !== 0 || args.versionMinor !== 9) {
      throw new FrameError(ReplyCode.COMMAND_INVALID, `server speaks AMQP ${args.versionMajor}-${args.versionMinor}, not 0-9`);
    }
    this.serverProperties = args.serverProperties;
    const offered = args.mechanisms.toString('utf8');
    const mechanism = chooseMechanism(this.options.authMechanisms, offered);
    if (mechanism === undefined) {
      throw new AuthenticationError(
        { replyCode: ReplyCode.ACCESS_REFUSED, replyText: '', classId: 0, methodId: 0, by: 'client' },
        `no common SASL mechanism: server offers '${offered}', client allows ${this.options.authMechanisms.join(', ')}`,
      );
    }
    this.mechanism = mechanism;
    const o = this.options;
    const clientProperties: FieldTable = {
      product: o.product?.name ?? 'amqp-wire',
      version: o.product?.version ?? VERSION,
      platform: `Node.js ${process.version}`,
      information: 'https://www.npmjs.com/package/amqp-wire',
      ...(o.clientProperties as FieldTable),
      capabilities: { ...CLIENT_CAPABILITIES, ...((o.clientProperties['capabilities'] as FieldTable | undefined) ?? {}) },
    };
    this.host.send('connection.start-ok', { clientProperties, mechanism, response: saslResponse(mechanism, o), locale: o.locale });
    this.step = 'secure-or-tune';
  }

  private onTune(args: Method<'connection.tune'>['args']): void {
    const o = this.options;
    const tuned = negotiateTune({ channelMax: o.channelMax, frameMax: o.frameMax, heartbeat: o.heartbeat }, args);
    this.tuned = tuned;
    this.host.send('connection.tune-ok', tuned);
    this.host.onTuned(tuned);
    this.host.send('connection.open', { virtualHost: o.vhost });
    this.step = 'open-ok';
  }

  /**
   * connection.close during the handshake. With authentication_failure_close RabbitMQ reports
   * bad credentials as 403 ACCESS_REFUSED before tune; 403 after open is a vhost permission.
   */
  closeError(args: Method<'connection.close'>['args']): ConnectionClosedError {
    const reason = { ...args, by: 'server' as const };
    if (args.replyCode === ReplyCode.ACCESS_REFUSED && this.step === 'secure-or-tune') {
      const who = this.mechanism === 'EXTERNAL' ? 'with the TLS client certificate (EXTERNAL)' : `for user '${this.options.username}' (${this.mechanism})`;
      return new AuthenticationError(reason, `authentication failed ${who}: ${args.replyText}`);
    }
    return new ConnectionClosedError(reason);
  }
}
