'use strict';
/**
 * amqplib's own codec on the messages bench/codec.ts describes, for the codec comparison.
 *
 * encode: what amqplib's Connection#sendMessage does per publish (defs.encodeMethod,
 *         defs.encodeProperties, frame.makeBodyFrame, then one buffer for small messages).
 * decode: what Connection#recvFrame does per socket chunk and frame (append the chunk to the
 *         unparsed rest, frame.parseFrame, frame.decodeFrame), and the message object the channel
 *         assembles from deliver + header + body.
 *
 * Run by `node build/bench/codec.js --compare`, which passes the message spec as JSON:
 *   node bench/peers/amqplib-codec.cjs --spec '<json>' [--time ms] [--warmup ms] [--quiet]
 * Prints one JSON line: { version, results: { case: msgs/s }, wireBytes: { case: bytes } }.
 */
const { dirname, join } = require('node:path');
const { parseArgs } = require('node:util');

// amqplib's "exports" map publishes only its channel APIs; the codec modules are loaded by path.
const root = dirname(require.resolve('amqplib'));
const defs = require(join(root, 'lib/defs.js'));
const frame = require(join(root, 'lib/frame.js'));
const { version } = require(join(root, 'package.json'));

const BASIC_CLASS = 60;
const CHANNEL = 1;
/** amqplib copies method + header + body into one buffer below this size (connection.js). */
const SINGLE_CHUNK_THRESHOLD = 2048;

function runFor(batch, ms) {
  const limit = BigInt(Math.round(ms * 1e6));
  const t0 = process.hrtime.bigint();
  let ops = 0;
  let elapsed = 0n;
  do {
    ops += batch();
    elapsed = process.hrtime.bigint() - t0;
  } while (elapsed < limit);
  return ops / (Number(elapsed) / 1e9);
}

function encodeCase(spec, c) {
  const body = Buffer.alloc(c.bodySize, 0x78);
  const props = c.props ? spec.properties : {};
  const fields = { ticket: 0, exchange: spec.exchange, routingKey: spec.routingKey, mandatory: false, immediate: false };
  let last = null;
  const publish = () => {
    const mframe = defs.encodeMethod(defs.BasicPublish, CHANNEL, fields);
    const pframe = defs.encodeProperties(BASIC_CLASS, CHANNEL, body.length, props);
    const headLen = mframe.length + pframe.length;
    const allLen = headLen + (body.length > 0 ? body.length + defs.FRAME_OVERHEAD : 0);
    if (allLen >= SINGLE_CHUNK_THRESHOLD) throw new Error(`${c.name}: amqplib would not send this as one buffer`);
    const all = Buffer.allocUnsafe(allLen);
    let offset = mframe.copy(all, 0);
    offset += pframe.copy(all, offset);
    if (body.length > 0) frame.makeBodyFrame(CHANNEL, body).copy(all, offset);
    return all;
  };
  const n = c.batch;
  const batch = () => {
    for (let i = 0; i < n; i++) last = publish();
    return n;
  };
  return { batch, wireBytes: () => publish().length, check: () => { batch(); if (!last) throw new Error(`${c.name}: nothing encoded`); } };
}

function buildDeliveries(spec, c) {
  const body = Buffer.alloc(c.bodySize, 0x78);
  const props = c.props ? spec.properties : {};
  const parts = [];
  for (let i = 0; i < c.batch; i++) {
    parts.push(defs.encodeMethod(defs.BasicDeliver, CHANNEL, {
      consumerTag: spec.consumerTag, deliveryTag: i + 1, redelivered: false, exchange: spec.exchange, routingKey: spec.routingKey,
    }));
    parts.push(defs.encodeProperties(BASIC_CLASS, CHANNEL, body.length, props));
    if (body.length > 0) parts.push(frame.makeBodyFrame(CHANNEL, body));
  }
  return Buffer.concat(parts);
}

function decodeCase(spec, c) {
  const stream = buildDeliveries(spec, c);
  const max = spec.frameMax;
  const chunk = spec.chunkSize;
  let rest = Buffer.alloc(0);
  let msg = null;
  let delivered = 0;
  let last = null;
  const accept = (f) => {
    if (f.content !== undefined) {
      msg.content = f.content;
      last = msg;
      msg = null;
      delivered++;
    } else if (f.size !== undefined) {
      msg.properties = f.fields;
    } else if (f.id === defs.BasicDeliver) {
      msg = { fields: f.fields, properties: undefined, content: undefined };
    } else {
      throw new Error(`${c.name}: unexpected frame`);
    }
  };
  const batch = () => {
    for (let off = 0; off < stream.length; off += chunk) {
      rest = Buffer.concat([rest, stream.subarray(off, off + chunk)]);
      let f = frame.parseFrame(rest, max);
      while (f) {
        rest = f.rest;
        accept(frame.decodeFrame(f));
        f = frame.parseFrame(rest, max);
      }
    }
    return c.batch;
  };
  const check = () => {
    const before = delivered;
    batch();
    if (delivered - before !== c.batch || last.content.length !== c.bodySize) throw new Error(`${c.name}: wrong deliveries`);
  };
  return { batch, wireBytes: () => stream.length / c.batch, check };
}

function main() {
  const { values } = parseArgs({
    options: {
      spec: { type: 'string' },
      time: { type: 'string', default: '1500' },
      warmup: { type: 'string', default: '250' },
      quiet: { type: 'boolean', default: false },
    },
  });
  if (!values.spec) throw new Error('--spec <json> is required (node build/bench/codec.js --compare passes it)');
  const spec = JSON.parse(values.spec);
  const timeMs = Number(values.time);
  const warmupMs = Number(values.warmup);
  const log = (s) => { if (!values.quiet) process.stderr.write(`${s}\n`); };
  const cases = spec.cases.map((c) => ({ c, run: c.op === 'encode' ? encodeCase(spec, c) : decodeCase(spec, c) }));
  if (warmupMs > 0) for (const { run } of cases) runFor(run.batch, warmupMs);
  const results = {};
  const wireBytes = {};
  for (const [i, { c, run }] of cases.entries()) {
    run.check();
    if (warmupMs > 0) runFor(run.batch, Math.min(warmupMs, 200));
    results[c.name] = runFor(run.batch, timeMs);
    wireBytes[c.name] = Math.round(run.wireBytes());
    log(`  amqplib [${i + 1}/${cases.length}] ${c.name.padEnd(20)} ${(results[c.name] / 1e6).toFixed(2).padStart(6)} M msg/s`);
  }
  process.stdout.write(`${JSON.stringify({ version, results, wireBytes })}\n`);
}

try {
  main();
} catch (e) {
  process.stderr.write(`${e?.message ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
