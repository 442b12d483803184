/**
 * Frames -> `onMethod` / `onContent` for one channel: decodes method frames (basic.deliver through
 * its fast path) and assembles content (method -> header -> body). The connection hands each frame
 * of the channel here; the channel itself only sees whole methods and messages.
 * @packageDocumentation
 */
import { FrameType } from '../../frames/constants.js';
import { decodeMethod, methodDef } from '../../methods/codec.js';
import { methodKey } from '../../methods/definitions.js';
import { BASIC_DELIVER_KEY, DeliverCache, decodeBasicDeliver } from '../../methods/fast-path.js';
import type { Method } from '../../methods/types.js';
import type { Content, ContentMethod } from '../../protocol/events.js';
import { ContentAssembler } from '../content-assembler.js';

/** Where the decoded frames of a channel go. */
export interface FramesTarget {
  onMethod(method: Method, key: number): void;
  onContent(content: Content): void;
}

/** The channel's stage, as far as inbound frames care. */
export interface FramesGate {
  /** True once the channel sent or received channel.close: only close and close-ok count then. */
  readonly onlyCloseCounts: boolean;
}

const BASIC = 60;
const CLOSE = methodDef('channel.close').key;
const CLOSE_OK = methodDef('channel.close-ok').key;

/** The inbound frame path of one channel. */
export class FramesIn {
  private readonly assembler: ContentAssembler<ContentMethod>;
  /** Strings of recent basic.deliver frames, reused when the next one repeats them. */
  private readonly deliverCache = new DeliverCache();

  constructor(private readonly target: FramesTarget, private readonly gate: FramesGate, maxMessageSize: number) {
    this.assembler = new ContentAssembler(maxMessageSize);
  }

  /** A frame for this channel; throws FrameError when the peer broke the protocol. */
  onFrame(type: number, buf: Buffer, start: number, end: number): void {
    if (this.gate.onlyCloseCounts) return this.whileClosing(type, buf, start, end);
    if (type === FrameType.METHOD) this.onMethodFrame(buf, start, end);
    else if (type === FrameType.HEADER) this.done(this.assembler.header(buf, start, end));
    else if (type === FrameType.BODY) this.done(this.assembler.bodyFrame(buf, start, end));
  }

  private onMethodFrame(buf: Buffer, start: number, end: number): void {
    if (end - start >= 4 && buf.readUInt32BE(start) === BASIC_DELIVER_KEY) {
      this.assembler.begin({ name: 'basic.deliver', args: decodeBasicDeliver(buf, start, end, this.deliverCache) }, BASIC);
      return;
    }
    const m = decodeMethod(buf, start, end);
    const key = methodKey(m.classId, m.methodId);
    if (m.name === 'basic.get-ok') return this.assembler.begin({ name: m.name, args: m.args }, BASIC);
    if (m.name === 'basic.return') return this.assembler.begin({ name: m.name, args: m.args }, BASIC);
    this.assembler.assertIdle(m.name);
    this.target.onMethod(m, key);
  }

  private done(content: Content | null): void {
    if (content !== null) this.target.onContent(content);
  }

  /**
   * After channel.close only close and close-ok count (spec 1.5.2.5): anything else, content
   * included, is dropped unparsed, and a half-assembled message is forgotten.
   */
  private whileClosing(type: number, buf: Buffer, start: number, end: number): void {
    this.assembler.reset();
    if (type !== FrameType.METHOD || end - start < 4) return;
    const key = buf.readUInt32BE(start);
    if (key === CLOSE || key === CLOSE_OK) this.target.onMethod(decodeMethod(buf, start, end), key);
  }
}
