/**
 * The method layer: the table of every AMQP 0-9-1 method and its encoders/decoders.
 * @packageDocumentation
 */
export { METHODS, CLASS_NAMES, methodKey, type MethodDef } from './definitions.js';
export type { FieldSpec, FieldType, EncodeValue, DecodeValue } from './fields.js';
export type { MethodName, MethodArgs, DecodedArgs, Method, ContentMethodName, ReplyOf } from './types.js';
export {
  METHOD_BY_KEY, METHOD_BY_NAME, methodDef, methodName, encodeMethod, encodeMethodDef, writeMethodPayload, decodeMethod,
} from './codec.js';
export {
  encodeBasicPublish, encodeBasicAck, decodeBasicDeliver, decodeBasicPublish, BASIC_PUBLISH_KEY, BASIC_DELIVER_KEY, BASIC_ACK_KEY,
  DeliverCache, type BasicDeliverArgs, type BasicPublishArgs,
} from './fast-path.js';
