/**
 * The seed's RPC service: Fibonacci numbers. Computed iteratively with bigint, so fib(30) is the
 * seed's 832040 and fib(1000) is exact and instant (the seed's recursive version is exponential).
 * @packageDocumentation
 */
import type { Message, RpcHandler } from '../index.js';

/** Largest n the server answers; bigger requests get an error reply. */
export const FIB_MAX = 10_000;

/** fib(0) = 0, fib(1) = 1, fib(n) = fib(n-1) + fib(n-2). */
export function fib(n: number): bigint {
  let a = 0n;
  let b = 1n;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

/** Read a request body as `int(body)` does: an integer, surrounding whitespace allowed. */
export function parseFibRequest(body: Uint8Array): number {
  const text = Buffer.from(body).toString('utf8');
  if (!/^\s*\+?\d+\s*$/.test(text)) throw new TypeError(`invalid literal for int() with base 10: ${JSON.stringify(text)}`);
  const n = Number(text.trim());
  if (n > FIB_MAX) throw new RangeError(`fib(${n}) is too large: this server answers n <= ${FIB_MAX}`);
  return n;
}

/** The seed's on_request: parse n, report it, answer fib(n) as decimal text. */
export function fibHandler(onRequest: (n: number, request: Message) => void = () => undefined): RpcHandler {
  return (request) => {
    const n = parseFibRequest(request.body);
    onRequest(n, request);
    return fib(n);
  };
}
