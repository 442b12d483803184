/**
 * Assertions on the errors a call throws or a promise rejects with. Each fails the test when
 * nothing went wrong, and hands back the typed error for further checks.
 */
import { expect } from 'vitest';
import { ChannelClosedError } from '../../src/client/errors.js';
import type { Connection } from '../../src/index.js';
import { FrameError } from '../../src/frames/errors.js';

/** What `fn` threw, or undefined when it returned. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Asserts that `fn` throws an instance of `type` (`label` names the check in a failure); returns it. */
export function expectThrown<E extends Error>(
  fn: () => unknown, type: abstract new (...args: never[]) => E, label?: string,
): E {
  const caught = thrownBy(fn);
  expect(caught, label).toBeInstanceOf(type);
  return caught as E;
}

/**
 * Asserts that `fn` throws a FrameError (never a RangeError or TypeError) with reply code `code`
 * and, when given, a message matching `message`; returns it.
 */
export function expectFrameError(fn: () => unknown, code: number, message?: RegExp): FrameError {
  const err = expectThrown(fn, FrameError, `a FrameError ${code}`);
  expect(err.replyCode).toBe(code);
  if (message) expect(err.message).toMatch(message);
  return err;
}

/** {@link expectFrameError} for 502 SYNTAX_ERROR, the code of a field that cannot be decoded. */
export function expectSyntaxError(fn: () => unknown, message?: RegExp): FrameError {
  return expectFrameError(fn, 502, message);
}

/** The rejection of `p`, which must be a ChannelClosedError: the broker closed the channel. */
export async function expectChannelError(p: Promise<unknown>): Promise<ChannelClosedError> {
  const err = await p.then(
    () => { throw new Error('expected the broker to close the channel, but the call succeeded'); },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChannelClosedError);
  return err as ChannelClosedError;
}

/** The rejection of a connect() that must fail; closes the connection if it opened anyway. */
export async function expectConnectFailure(p: Promise<Connection>): Promise<Error> {
  const outcome = await p.then((c) => c, (e: unknown) => e as Error);
  if (!(outcome instanceof Error)) {
    await outcome.close();
    throw new Error('expected connect() to fail, but it connected');
  }
  return outcome;
}
