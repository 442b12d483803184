/**
 * The broker's side of the opening handshake (spec 2.2.4), as a pure driver:
 *
 *   C: protocol header        S: connection.start
 *   C: start-ok               S: connection.secure   (zero or more rounds)
 *   C: secure-ok              S: connection.tune
 *   C: tune-ok, open          S: open-ok
 *
 * It receives the client's decoded methods and tells its host what to send. `expecting` names
 * the method it waits for next, so a scripted peer can pull exactly that method and feed it in.
 * It authenticates nobody: the fake brokers of the tests and benches accept any credentials.
 * @packageDocumentation
 */
import { ReplyCode } from '../frames/constants.js';
import { FrameError } from '../frames/errors.js';
import type { FieldTable } from '../frames/field-table.js';
import type { DecodedArgs, Method, MethodArgs, MethodName } from '../methods/types.js';
import { SERVER_CAPABILITIES } from './capabilities.js';
import type { Tuned } from './tune.js';

/** What a server proposes in connection.tune unless told otherwise: RabbitMQ's limits, heartbeats off. */
export const DEFAULT_SERVER_TUNE: Readonly<Tuned> = Object.freeze({ channelMax: 2047, frameMax: 131072, heartbeat: 0 });

/** How the server side runs the handshake. Every field has a default. */
export interface ServerHandshakeOptions {
  /** server_properties. Default: `product` and `version` below, with SERVER_CAPABILITIES. */
  serverProperties?: FieldTable;
  /** Space-separated SASL mechanisms offered. Default `PLAIN AMQPLAIN`. */
  mechanisms?: string;
  /** Default `en_US`. */
  locales?: string;
  /** connection.secure rounds before tune. Default 0. */
  secureRounds?: number;
  /** Challenge sent in each connection.secure. Default `challenge <round>`. */
  challenge?: Uint8Array;
  /** connection.tune values; missing ones come from DEFAULT_SERVER_TUNE. */
  tune?: Partial<Tuned>;
  /** Send connection.open-ok after connection.open. Default true. */
  openOk?: boolean;
}

/** What the handshake needs from the server it runs in. */
export interface ServerHandshakeHost {
  /** Send a method on channel 0. */
  send<N extends MethodName>(name: N, args: MethodArgs<N>): void;
}

/** The client's side of the handshake as the server received it, and the limits now in force. */
export interface ServerHandshakeResult {
  startOk: DecodedArgs<'connection.start-ok'>;
  secureOks: Array<DecodedArgs<'connection.secure-ok'>>;
  tuneOk: DecodedArgs<'connection.tune-ok'>;
  open: DecodedArgs<'connection.open'>;
  /** The tune-ok values, where 0 (no limit) on frame_max falls back to the server's proposal. */
  tuned: Tuned;
}

/** The client methods of the handshake, in the order a server waits for them. */
export type ServerHandshakeStep = 'connection.start-ok' | 'connection.secure-ok' | 'connection.tune-ok' | 'connection.open';

/** The arguments of connection.start for `options` (see ServerHandshakeOptions for the defaults). */
export function connectionStartArgs(options: ServerHandshakeOptions = {}): MethodArgs<'connection.start'> {
  return {
    versionMajor: 0,
    versionMinor: 9,
    serverProperties: options.serverProperties ?? { product: 'fake-broker', version: '0.0.0', capabilities: { ...SERVER_CAPABILITIES } },
    mechanisms: options.mechanisms ?? 'PLAIN AMQPLAIN',
    locales: options.locales ?? 'en_US',
  };
}

/** Drives the server side of one handshake. */
export class ServerHandshake {
  private step: ServerHandshakeStep | null = null;
  private secureRound = 0;
  private readonly tune: Tuned;
  private startOk: DecodedArgs<'connection.start-ok'> | null = null;
  private readonly secureOks: Array<DecodedArgs<'connection.secure-ok'>> = [];
  private tuneOk: DecodedArgs<'connection.tune-ok'> | null = null;

  constructor(private readonly options: ServerHandshakeOptions, private readonly host: ServerHandshakeHost) {
    this.tune = { ...DEFAULT_SERVER_TUNE, ...options.tune };
  }

  /** The client method the handshake waits for; null before `start()` and once it is done. */
  get expecting(): ServerHandshakeStep | null {
    return this.step;
  }

  /** Send connection.start (the client's protocol header has arrived). */
  start(): void {
    if (this.step !== null || this.startOk !== null) throw new Error('server handshake already started');
    this.host.send('connection.start', connectionStartArgs(this.options));
    this.step = 'connection.start-ok';
  }

  /**
   * Feed a channel-0 method from the client; returns the result once connection.open has arrived
   * (and open-ok has gone out, unless `openOk` is false). Anything out of order is a 505.
   */
  onMethod(m: Method): ServerHandshakeResult | null {
    if (m.name !== this.step) {
      const wanted = this.step ?? 'nothing (the handshake is not running)';
      throw new FrameError(ReplyCode.UNEXPECTED_FRAME, `${m.name} during the connection handshake, expected ${wanted}`);
    }
    switch (m.name) {
      case 'connection.start-ok':
        this.startOk = m.args;
        this.secureOrTune();
        return null;
      case 'connection.secure-ok':
        this.secureOks.push(m.args);
        this.secureOrTune();
        return null;
      case 'connection.tune-ok':
        this.tuneOk = m.args;
        this.step = 'connection.open';
        return null;
      case 'connection.open': {
        this.step = null;
        if (this.options.openOk ?? true) this.host.send('connection.open-ok', {});
        const tuneOk = this.tuneOk!;
        return {
          startOk: this.startOk!, secureOks: this.secureOks, tuneOk, open: m.args,
          tuned: { channelMax: tuneOk.channelMax, frameMax: tuneOk.frameMax || this.tune.frameMax || DEFAULT_SERVER_TUNE.frameMax, heartbeat: tuneOk.heartbeat },
        };
      }
      default:
        return null;
    }
  }

  private secureOrTune(): void {
    if (this.secureRound < (this.options.secureRounds ?? 0)) {
      this.secureRound++;
      this.host.send('connection.secure', { challenge: this.options.challenge ?? Buffer.from(`challenge ${this.secureRound}`) });
      this.step = 'connection.secure-ok';
      return;
    }
    this.host.send('connection.tune', this.tune);
    this.step = 'connection.tune-ok';
  }
}
