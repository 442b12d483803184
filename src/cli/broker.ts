/**
 * Opening the CLI's connection, and turning any failure into an exit code and one line of text.
 * @packageDocumentation
 */
import {
  AMQPError, ArgumentError, AuthenticationError, ClosedError, ConnectError, NotAmqpError, ProtocolVersionError, TimeoutError, connect, redactUrl,
  type Connection,
} from '../index.js';
import { CliUsageError, ExitCode } from './args.js';

/** How to get a broker, said once wherever no broker answers. */
export const START_A_BROKER =
  "start one with 'apt-get install rabbitmq-server && rabbitmq-server -detached' " +
  "(or 'bash scripts/broker.sh start' in the amqp-wire repository), or point --url / AMQP_URL at yours";

/** No AMQP connection could be opened; `cause` says why. */
export class CannotConnectError extends Error {
  override name = 'CannotConnectError';
  /** The URL tried, password hidden. */
  readonly url: string;
  constructor(url: string, cause: unknown) {
    super(`cannot connect to ${redactUrl(url)}`, { cause });
    this.url = redactUrl(url);
  }
}

/** Connect for a CLI command; the connection is named after it in the management UI. */
export async function openConnection(url: string, command: string): Promise<Connection> {
  try {
    return await connect(url, { name: `amqp-wire ${command}` });
  } catch (e) {
    if (e instanceof ArgumentError) throw new CliUsageError(`bad --url / AMQP_URL: ${e.message}`);
    throw new CannotConnectError(url, e);
  }
}

/** The exit code and the one line printed on stderr for an error a command threw. */
export function describeFailure(err: unknown): { code: number; line: string } {
  if (err instanceof CliUsageError) return { code: ExitCode.USAGE, line: err.message };
  if (err instanceof CannotConnectError) return { code: ExitCode.CANNOT_CONNECT, line: cannotConnect(err) };
  if (err instanceof AMQPError) return { code: ExitCode.FAILURE, line: `${err.name}: ${err.message}` };
  const e = err instanceof Error ? err : new Error(String(err));
  return { code: ExitCode.FAILURE, line: `${e.name}: ${e.message}` };
}

function cannotConnect(err: CannotConnectError): string {
  const cause = err.cause;
  if (cause instanceof ConnectError) {
    // Only when nothing answered is starting a broker the fix; a name that does not resolve or a
    // certificate we do not trust is said as it is.
    if (cause.kind !== 'refused' && cause.kind !== 'timeout') return cause.message;
    const why = cause.code ?? (cause.cause as Error | undefined)?.message ?? 'no answer';
    return `cannot connect to ${cause.address} (${why}): no AMQP broker answers at ${err.url}; ${START_A_BROKER}`;
  }
  if (cause instanceof NotAmqpError) return `${err.message}: ${cause.message}`;
  if (cause instanceof AuthenticationError) return `${err.message}: the broker refused the login (${cause.replyText || cause.message}); check the user and password in the URL`;
  if (cause instanceof TimeoutError) return `${err.message}: no AMQP handshake within ${cause.timeoutMs} ms; is it an AMQP 0-9-1 broker? ${START_A_BROKER}`;
  if (cause instanceof ProtocolVersionError) return `${err.message}: ${cause.message}`;
  if (cause instanceof ClosedError) return `${err.message}: ${cause.message}`;
  return `${err.message}: ${(cause as Error | undefined)?.message ?? String(cause)}`;
}
