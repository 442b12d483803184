/**
 * `amqp-wire trace`: a decoded, linked view of AMQP conversations, from a proxy, a recording or
 * a connection in this process, on the protocol layer's session.
 * @packageDocumentation
 */
export type { TraceEvent, TraceDirection, TraceEventKind, TraceBody } from './events.js';
export { Tracer, TracedConnection, traceNow, type TracerOptions } from './tracer.js';
export { Printer, formatLine, describeFrame, describeArgs, describeProperties, previewBody, annotatedHex, toJson, type PrinterOptions } from './printer.js';
export { ConnectionLinks, type ChannelStats, type MethodCount } from './links.js';
export { formatSummary, summaryJson, percentile, type ConnectionSummary } from './summary.js';
export { RecordingWriter, readRecording, RecordingFormatError, RecordKind, RECORDING_MAGIC, type RecordingEntry } from './recording.js';
export { replayRecording } from './replay.js';
export { startTraceProxy, type TraceProxyOptions } from './proxy.js';
