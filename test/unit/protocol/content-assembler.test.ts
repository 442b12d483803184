import { describe, expect, it } from 'vitest';
import { ContentAssembler } from '../../../src/protocol/content-assembler.js';
import { FrameError } from '../../../src/frames/errors.js';
import { writeContentHeader } from '../../../src/frames/properties.js';
import { Writer } from '../../../src/frames/writer.js';

/** The payload of a content header frame for `bodySize` bytes of class `classId`. */
function header(bodySize: number, classId = 60): Buffer {
  const w = new Writer(64);
  writeContentHeader(w, 1, classId, bodySize, { contentType: 'text/plain' });
  return Buffer.from(w.buf.subarray(7, w.pos - 1));
}

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof FrameError ? e.replyCode : -1;
  }
  return undefined;
}

describe('ContentAssembler', () => {
  it('hands a single-frame body on as a view of that frame, without copying', () => {
    const a = new ContentAssembler<string>(1024);
    a.begin('deliver', 60);
    const h = header(5);
    expect(a.header(h, 0, h.length)).toBeNull();
    const frame = Buffer.from('xxhelloxx');
    const done = a.bodyFrame(frame, 2, 7)!;
    expect(done.method).toBe('deliver');
    expect(done.properties).toEqual({ contentType: 'text/plain' });
    expect(done.body.toString()).toBe('hello');
    expect(done.body.buffer).toBe(frame.buffer);
    expect(a.busy).toBe(false);
  });

  it('gathers a body spread over several frames, counting bytes', () => {
    const a = new ContentAssembler<string>(1024);
    a.begin('m', 60);
    const h = header(6);
    a.header(h, 0, h.length);
    expect(a.bodyFrame(Buffer.from('ab'), 0, 2)).toBeNull();
    expect(a.bodyFrame(Buffer.from(''), 0, 0)).toBeNull();
    expect(a.bodyFrame(Buffer.from('cdef'), 0, 4)!.body.toString()).toBe('abcdef');
  });

  it('completes at the header when the body size is 0', () => {
    const a = new ContentAssembler<string>(1024);
    a.begin('m', 60);
    const h = header(0);
    expect(a.header(h, 0, h.length)!.body.length).toBe(0);
  });

  it('refuses frames out of order with 505 and oversize content with 501', () => {
    const h = header(4);
    expect(codeOf(() => new ContentAssembler(10).header(h, 0, h.length))).toBe(505); // header without method
    expect(codeOf(() => new ContentAssembler(10).bodyFrame(h, 0, 1))).toBe(505); // body without header
    const twice = new ContentAssembler<string>(10);
    twice.begin('a', 60);
    expect(codeOf(() => twice.begin('b', 60))).toBe(505); // method while content expected
    expect(codeOf(() => twice.assertIdle('basic.ack'))).toBe(505);
    const mismatch = new ContentAssembler<string>(10);
    mismatch.begin('a', 60);
    const h90 = header(4, 90);
    expect(codeOf(() => mismatch.header(h90, 0, h90.length))).toBe(505); // class mismatch
    const overrun = new ContentAssembler<string>(10);
    overrun.begin('a', 60);
    overrun.header(h, 0, h.length);
    expect(codeOf(() => overrun.bodyFrame(Buffer.alloc(5), 0, 5))).toBe(501); // more bytes than announced
    const big = new ContentAssembler<string>(3);
    big.begin('a', 60);
    expect(codeOf(() => big.header(h, 0, h.length))).toBe(501); // over maxMessageSize, before allocating
  });
});
