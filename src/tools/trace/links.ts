/**
 * What a frame means in its conversation: the links between frames that the protocol implies but
 * never states. Fed every event of one connection in wire order, it adds notes and flags:
 *
 * - tune: the server's offer, the client's answer, and whose value won;
 * - confirms: publishes numbered per channel from `confirm.select` (the broker's delivery tags),
 *   each ack/nack matched to the publishes it settles (`multiple` expanded), with latency;
 *   `basic.return` matched to the oldest unconfirmed publish with the same exchange and key;
 * - deliveries: each ack/nack/reject matched to the deliveries it settles, with hold time;
 *   unknown or already settled tags flagged (the broker will close the channel with 406);
 * - synchronous requests matched to their reply, with the round trip;
 * - closes with code and sender, server `basic.cancel`, frames over the negotiated frame_max,
 *   frames after `channel.close`, heartbeat intervals.
 *
 * It also counts, per channel, frames and bytes per method and the latencies for the summary.
 * @packageDocumentation
 */
import { replyCodeName } from '../../frames/constants.js';
import { METHOD_BY_NAME } from '../../methods/codec.js';
import type { TraceDirection, TraceEvent } from './events.js';

/** Frames and bytes of one method (content frames count toward the method that carried them). */
export interface MethodCount {
  frames: number;
  bytes: number;
}

/** What the summary reports for one channel. */
export interface ChannelStats {
  readonly channel: number;
  readonly methods: Map<string, MethodCount>;
  /** Publishes in confirm mode not yet acked or nacked. */
  unconfirmed: number;
  /** Deliveries (not no-ack) not yet acked, nacked or rejected. */
  unacked: number;
  readonly confirmLatency: number[];
  readonly holdTime: number[];
  readonly roundTrip: number[];
  readonly flags: string[];
}

interface Request {
  readonly name: string;
  readonly replies: readonly string[];
  readonly time: number;
}

interface PublishRecord {
  readonly time: number;
  readonly exchange: string;
  readonly routingKey: string;
}

/** Per channel: confirm numbering, outstanding deliveries, consumers. */
class ChannelState {
  confirming = false;
  nextSeq = 1;
  /** Unconfirmed publishes by sequence number, in order. */
  readonly unconfirmed = new Map<number, PublishRecord>();
  /** Outstanding deliveries by delivery tag, with the time they arrived. */
  readonly deliveries = new Map<number, number>();
  /** Highest delivery tag seen, so a settled tag can be told from one never sent. */
  maxTag = 0;
  /** Consumer tags that consume with no-ack. */
  readonly noAckConsumers = new Set<string>();
  /** The no-ack flag of consumes and gets awaiting their reply, in order. */
  readonly consumeNoAck: boolean[] = [];
  readonly getNoAck: boolean[] = [];
  /** The content method whose header and body frames are arriving, per direction. */
  readonly contentOf: Record<TraceDirection, string> = { 'C->S': 'content', 'S->C': 'content' };
  closing: TraceDirection | null = null;
  constructor(readonly stats: ChannelStats) {}
}

function ms(n: number): string {
  return n < 10 ? `${n.toFixed(2)} ms` : n < 1000 ? `${n.toFixed(1)} ms` : `${(n / 1000).toFixed(2)} s`;
}

function tag(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

const other = (d: TraceDirection): TraceDirection => (d === 'C->S' ? 'S->C' : 'C->S');
const sender = (d: TraceDirection): string => (d === 'C->S' ? 'client' : 'server');

/** Settles `keys` of `map` up to `upTo` (multiple) or just `upTo`; returns the settled entries in order. */
function settle<T>(map: Map<number, T>, upTo: number, multiple: boolean): [number, T][] {
  if (!multiple) {
    const v = map.get(upTo);
    if (v === undefined) return [];
    map.delete(upTo);
    return [[upTo, v]];
  }
  const out: [number, T][] = [];
  // multiple with tag 0 (client side): everything outstanding.
  for (const [k, v] of map) if (upTo === 0 || k <= upTo) out.push([k, v]);
  for (const [k] of out) map.delete(k);
  return out;
}

function range(tags: readonly number[]): string {
  if (tags.length === 1) return `#${tags[0]}`;
  return `#${tags[0]}..#${tags[tags.length - 1]} (${tags.length})`;
}

/** The links of one connection. */
export class ConnectionLinks {
  private readonly channels = new Map<number, ChannelState>();
  private readonly retired: ChannelStats[] = [];
  private readonly pending = new Map<string, Request[]>();
  private serverTune: Readonly<Record<string, unknown>> | undefined;
  private frameMax = 0;
  private heartbeat = 0;
  private readonly lastHeartbeat: Record<TraceDirection, number> = { 'C->S': 0, 'S->C': 0 };
  private readonly lastFrame: Record<TraceDirection, number> = { 'C->S': 0, 'S->C': 0 };

  /** `onRelease(channel)`: both sides agreed a channel is closed; its id may be reused. */
  constructor(readonly conn: number, private readonly onRelease: (channel: number) => void = () => undefined) {}

  /** Every channel seen so far, with its counts (channel 0 is the connection). */
  stats(): ChannelStats[] {
    return [...this.retired, ...[...this.channels.values()].map((c) => c.stats)].sort((a, b) => a.channel - b.channel);
  }

  /** Adds notes and flags to `e` and counts it. */
  see(e: TraceEvent): void {
    if (e.kind === 'open' || e.kind === 'close' || e.kind === 'protocol-header' || e.kind === 'decode-error') {
      if (e.kind === 'decode-error') this.flag(e, this.channel(0), 'decode failed');
      return;
    }
    const ch = this.channel(e.channel);
    if (this.frameMax > 0 && e.size > this.frameMax) this.flag(e, ch, `frame of ${e.size} B over frame_max ${this.frameMax}`);
    const silent = this.lastFrame[e.dir];
    this.lastFrame[e.dir] = e.time;
    if (e.kind === 'heartbeat') {
      this.count(ch, 'heartbeat', e.size);
      if (e.channel !== 0) this.flag(e, ch, 'heartbeat off channel 0');
      const last = this.lastHeartbeat[e.dir];
      if (last > 0) e.notes.push(`${ms(e.time - last)} since the previous heartbeat`);
      this.lastHeartbeat[e.dir] = e.time;
      return;
    }
    if (this.heartbeat > 0 && silent > 0 && e.time - silent > 2 * this.heartbeat * 1000) {
      this.flag(e, ch, `${sender(e.dir)} silent for ${ms(e.time - silent)} (heartbeat ${this.heartbeat} s)`);
    }
    if (e.kind !== 'method') {
      this.count(ch, ch.contentOf[e.dir], e.size);
      return;
    }
    const name = e.name!;
    const args = e.args ?? {};
    this.count(ch, name, e.size);
    if (ch.closing !== null && name !== 'channel.close' && name !== 'channel.close-ok' && e.dir === ch.closing) {
      this.flag(e, ch, `${name} after channel.close`);
    }
    this.reply(e, ch, name);
    this.request(e, name, args);
    this.meaning(e, ch, name, args);
  }

  private meaning(e: TraceEvent, ch: ChannelState, name: string, args: Readonly<Record<string, unknown>>): void {
    switch (name) {
      case 'basic.publish':
      case 'basic.deliver':
      case 'basic.get-ok':
      case 'basic.return':
        ch.contentOf[e.dir] = name;
        break;
    }
    switch (name) {
      case 'connection.tune':
        this.serverTune = args;
        return;
      case 'connection.tune-ok':
        return this.tuned(e, args);
      case 'connection.close':
      case 'channel.close': {
        const code = args['replyCode'] as number;
        if (name === 'channel.close') ch.closing = e.dir;
        const text = `${name === 'channel.close' ? 'channel' : 'connection'} closed by ${sender(e.dir)}: ${code} ${replyCodeName(code)}`;
        if (code === 200) e.notes.push(text);
        else this.flag(e, ch, `${text} '${String(args['replyText'])}'`);
        return;
      }
      case 'channel.close-ok':
        // A reused channel id starts clean; the summary keeps what this one did.
        this.retired.push(ch.stats);
        this.channels.delete(e.channel);
        this.onRelease(e.channel);
        return;
      case 'confirm.select':
        ch.confirming = true;
        e.notes.push('publishes on this channel are numbered from #1');
        return;
      case 'basic.publish':
        if (ch.confirming) {
          const seq = ch.nextSeq++;
          ch.unconfirmed.set(seq, { time: e.time, exchange: String(args['exchange']), routingKey: String(args['routingKey']) });
          ch.stats.unconfirmed = ch.unconfirmed.size;
          e.notes.push(`publish #${seq}`);
        }
        return;
      case 'basic.return': {
        this.flag(e, ch, `returned: ${String(args['replyCode'])} ${String(args['replyText'])}`);
        for (const [seq, p] of ch.unconfirmed) {
          if (p.exchange === args['exchange'] && p.routingKey === args['routingKey']) {
            e.notes.push(`return of publish #${seq} after ${ms(e.time - p.time)}`);
            break;
          }
        }
        return;
      }
      case 'basic.consume':
        if (!args['nowait']) ch.consumeNoAck.push(Boolean(args['noAck']));
        else if (args['noAck']) ch.noAckConsumers.add(String(args['consumerTag']));
        return;
      case 'basic.consume-ok':
        if (ch.consumeNoAck.shift()) ch.noAckConsumers.add(String(args['consumerTag']));
        return;
      case 'basic.get':
        ch.getNoAck.push(Boolean(args['noAck']));
        return;
      case 'basic.get-empty':
        ch.getNoAck.shift();
        return;
      case 'basic.cancel':
        if (e.dir === 'S->C') this.flag(e, ch, `server cancelled consumer ${String(args['consumerTag'])}`);
        return;
      case 'basic.deliver':
      case 'basic.get-ok': {
        const t = tag(args['deliveryTag']);
        ch.maxTag = Math.max(ch.maxTag, t);
        const noAck = name === 'basic.get-ok' ? ch.getNoAck.shift() : ch.noAckConsumers.has(String(args['consumerTag']));
        if (noAck) e.notes.push(`delivery #${t} (no-ack: settled when sent)`);
        else {
          ch.deliveries.set(t, e.time);
          ch.stats.unacked = ch.deliveries.size;
        }
        return;
      }
      case 'basic.ack':
      case 'basic.nack':
      case 'basic.reject':
        if (e.dir === 'S->C') this.confirmed(e, ch, name, args);
        else this.settled(e, ch, name, args);
        return;
      case 'connection.blocked':
        this.flag(e, ch, `publishing blocked: ${String(args['reason'])}`);
        return;
      case 'connection.unblocked':
        e.notes.push('publishing unblocked');
        return;
    }
  }

  /** tune-ok: the client's answer to the server's offer, value by value. */
  private tuned(e: TraceEvent, args: Readonly<Record<string, unknown>>): void {
    this.frameMax = args['frameMax'] as number;
    this.heartbeat = args['heartbeat'] as number;
    const offer = this.serverTune;
    if (offer === undefined) return;
    const parts = (['channelMax', 'frameMax', 'heartbeat'] as const).map((k) => {
      const s = offer[k] as number;
      const c = args[k] as number;
      const label = k === 'channelMax' ? 'channel_max' : k === 'frameMax' ? 'frame_max' : 'heartbeat';
      const winner = s === c ? 'server offer kept' : 'client chose';
      return `${label} server ${s} / client ${c}: ${winner}${k === 'heartbeat' && c === 0 ? ' (heartbeats off)' : ''}`;
    });
    e.notes.push(`tune: ${parts.join('; ')}`);
  }

  /** The broker settles publishes (confirm mode). */
  private confirmed(e: TraceEvent, ch: ChannelState, name: string, args: Readonly<Record<string, unknown>>): void {
    const t = tag(args['deliveryTag']);
    const done = settle(ch.unconfirmed, t, Boolean(args['multiple']));
    ch.stats.unconfirmed = ch.unconfirmed.size;
    if (done.length === 0) return this.flag(e, ch, `${name} of unknown publish #${t}`);
    const lat = done.map(([, p]) => e.time - p.time);
    ch.stats.confirmLatency.push(...lat);
    const verb = name === 'basic.ack' ? 'confirms' : 'nacks';
    e.notes.push(`${verb} publish ${range(done.map(([s]) => s))} after ${ms(Math.min(...lat))}${lat.length > 1 ? `..${ms(Math.max(...lat))}` : ''}`);
    if (name === 'basic.nack') this.flag(e, ch, `broker nacked ${done.length} publish(es)`);
  }

  /** The client settles deliveries. */
  private settled(e: TraceEvent, ch: ChannelState, name: string, args: Readonly<Record<string, unknown>>): void {
    const t = tag(args['deliveryTag']);
    const multiple = name !== 'basic.reject' && Boolean(args['multiple']);
    const done = settle(ch.deliveries, t, multiple);
    ch.stats.unacked = ch.deliveries.size;
    if (done.length === 0) {
      const why = t > ch.maxTag ? 'unknown' : 'already settled';
      return this.flag(e, ch, `${name} of ${why} delivery tag ${t} (the broker closes the channel: 406 PRECONDITION_FAILED)`);
    }
    const hold = done.map(([, at]) => e.time - at);
    ch.stats.holdTime.push(...hold);
    e.notes.push(`settles delivery ${range(done.map(([k]) => k))} held ${ms(Math.min(...hold))}${hold.length > 1 ? `..${ms(Math.max(...hold))}` : ''}`);
  }

  /** A synchronous request waits for its reply from the other side on the same channel. */
  private request(e: TraceEvent, name: string, args: Readonly<Record<string, unknown>>): void {
    const def = METHOD_BY_NAME.get(name);
    if (def === undefined || def.replies.length === 0 || args['nowait'] === true) return;
    const key = `${e.dir}:${e.channel}`;
    const queue = this.pending.get(key) ?? [];
    queue.push({ name, replies: def.replies, time: e.time });
    this.pending.set(key, queue);
  }

  private reply(e: TraceEvent, ch: ChannelState, name: string): void {
    const queue = this.pending.get(`${other(e.dir)}:${e.channel}`);
    if (queue === undefined) return;
    const i = queue.findIndex((r) => r.replies.includes(name));
    if (i < 0) return;
    const [req] = queue.splice(i, 1);
    const rtt = e.time - req!.time;
    ch.stats.roundTrip.push(rtt);
    e.notes.push(`reply to ${req!.name}: round trip ${ms(rtt)}`);
  }

  private channel(id: number): ChannelState {
    let ch = this.channels.get(id);
    if (ch === undefined) {
      ch = new ChannelState({ channel: id, methods: new Map(), unconfirmed: 0, unacked: 0, confirmLatency: [], holdTime: [], roundTrip: [], flags: [] });
      this.channels.set(id, ch);
    }
    return ch;
  }

  private count(ch: ChannelState, name: string, bytes: number): void {
    const c = ch.stats.methods.get(name);
    if (c === undefined) ch.stats.methods.set(name, { frames: 1, bytes });
    else {
      c.frames++;
      c.bytes += bytes;
    }
  }

  private flag(e: TraceEvent, ch: ChannelState, text: string): void {
    e.flags.push(text);
    ch.stats.flags.push(text);
  }
}
