/**
 * Unique queue and exchange names for integration tests. Every name carries this process's id, a
 * counter and a random part, so test files, repeated runs and parallel vitest processes sharing
 * one broker never meet each other's leftovers. All names start with {@link NAME_PREFIX}, which
 * makes stray test objects easy to find (`rabbitmqctl list_queues name | grep amqpwire-test`).
 */
import { randomBytes } from 'node:crypto';

/** Prefix of every name made here. */
export const NAME_PREFIX = 'amqpwire-test';

let counter = 0;
const run = `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;

/** Keeps a label to characters that read well in rabbitmqctl output. */
function clean(label: string): string {
  return label.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60);
}

/**
 * A fresh name such as `amqpwire-test.q.dlx.1f2a3b4c5d.7`. `kind` says what it names (`q`, `x`),
 * `label` what the test uses it for. Far below the 255-byte short-string limit.
 */
export function uniqueName(kind: string, label = ''): string {
  counter += 1;
  const middle = label === '' ? '' : `.${clean(label)}`;
  return `${NAME_PREFIX}.${kind}${middle}.${run}.${counter}`;
}

/** A fresh queue name. */
export function queueName(label = ''): string {
  return uniqueName('q', label);
}

/** A fresh exchange name. */
export function exchangeName(label = ''): string {
  return uniqueName('x', label);
}
