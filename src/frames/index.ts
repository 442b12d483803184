/**
 * The frame layer: constants, the frame parser and writer, field tables, content headers.
 * Pure: no sockets, timers or state beyond the objects you create.
 * @packageDocumentation
 */
export * from './constants.js';
export { AMQPError, FrameError, EncodeError, ProtocolVersionError, frameError, syntaxError } from './errors.js';
export { Writer } from './writer.js';
export { Reader, decodeText } from './reader.js';
export { FrameParser, type FrameHandler } from './parser.js';
export {
  readTable, writeTable, readArray, writeArray, typed, TypedField, MAX_FIELD_DEPTH,
  type FieldTable, type FieldValue, type FieldTag, type Decimal,
} from './field-table.js';
export {
  writeProperties, readProperties, writeContentHeader, decodeContentHeader, PROPERTY_NAMES,
  type BasicProperties, type ContentHeader,
} from './properties.js';
export { writeContent } from './content.js';
