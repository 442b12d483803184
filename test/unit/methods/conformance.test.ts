/**
 * The hand-written method table against the published machine-readable spec
 * (`spec/amqp-rabbitmq-0.9.1.json` in this repository): classes, methods, ids, names,
 * field names, order and types, and the synchronous/content/replies metadata.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLASS_NAMES, METHODS, type MethodDef } from '../../../src/methods/definitions.js';
import { METHOD_BY_KEY, METHOD_BY_NAME } from '../../../src/methods/codec.js';

interface SpecArgument {
  name: string;
  type?: string;
  domain?: string;
  'default-value'?: unknown;
}
interface SpecMethod {
  name: string;
  id: number;
  synchronous?: boolean;
  content?: boolean;
  arguments: SpecArgument[];
}
interface SpecClass {
  name: string;
  id: number;
  methods: SpecMethod[];
}
interface Spec {
  domains: [string, string][];
  classes: SpecClass[];
}

const SPEC_PATH = fileURLToPath(new URL('../../../spec/amqp-rabbitmq-0.9.1.json', import.meta.url));

function loadSpec(): Spec {
  if (!existsSync(SPEC_PATH)) {
    throw new Error(
      `AMQP spec JSON not found at ${SPEC_PATH}: the conformance test reads spec/amqp-rabbitmq-0.9.1.json from the repository`,
    );
  }
  return JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as Spec;
}

const spec = loadSpec();
const domains = new Map(spec.domains);
const table: readonly MethodDef[] = METHODS;

/** `routing-key` -> `routingKey`. */
function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** A spec argument's primitive type, following `domain` through the domain list. */
function specType(method: string, arg: SpecArgument): string {
  if (arg.type !== undefined) return arg.type;
  if (arg.domain === undefined) throw new Error(`${method}.${arg.name}: spec argument has neither type nor domain`);
  const resolved = domains.get(arg.domain);
  if (resolved === undefined) throw new Error(`${method}.${arg.name}: unknown domain '${arg.domain}'`);
  return resolved;
}

const specMethods = spec.classes.flatMap((c) =>
  c.methods.map((m) => ({ cls: c, method: m, name: `${c.name}.${m.name}` })),
);

/** Our default value in the form the spec writes it (byte strings as text). */
function specForm(value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value;
}

describe('method table against the spec JSON', () => {
  it('has exactly the spec classes, with the same ids', () => {
    const specClasses = new Map(spec.classes.map((c) => [c.id, c.name]));
    expect(new Map([...CLASS_NAMES].sort((a, b) => a[0] - b[0]))).toEqual(
      new Map([...specClasses].sort((a, b) => a[0] - b[0])),
    );
  });

  it('has every spec method and nothing else', () => {
    const ours = table.map((m) => m.name).sort();
    const theirs = specMethods.map((m) => m.name).sort();
    const missing = theirs.filter((n) => !ours.includes(n));
    const extra = ours.filter((n) => !theirs.includes(n));
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
  });

  it('has no duplicate names or keys', () => {
    expect(METHOD_BY_NAME.size, 'distinct names').toBe(table.length);
    expect(METHOD_BY_KEY.size, 'distinct keys').toBe(table.length);
  });

  describe.each(specMethods)('$name', ({ cls, method, name }) => {
    const ours = METHOD_BY_NAME.get(name);

    it('ids, key and flags match', () => {
      expect(ours, `${name}: missing from the table`).toBeDefined();
      const def = ours!;
      expect(def.classId, `${name}: class id`).toBe(cls.id);
      expect(def.methodId, `${name}: method id`).toBe(method.id);
      expect(def.key, `${name}: key`).toBe(((cls.id << 16) | method.id) >>> 0);
      expect(METHOD_BY_KEY.get(def.key)?.name, `${name}: lookup by key`).toBe(name);
      expect(def.synchronous, `${name}: synchronous`).toBe(method.synchronous === true);
      expect(def.content, `${name}: content`).toBe(method.content === true);
    });

    it('fields match in name, order and type', () => {
      const def = ours!;
      const expected = method.arguments.map((a) => `${camel(a.name)}:${specType(name, a)}`);
      const actual = def.fields.map((f) => `${f[0]}:${f[1]}`);
      expect(actual, `${name}: field list (name:type, wire order)`).toEqual(expected);
      method.arguments.forEach((arg, i) => {
        const field = def.fields[i];
        expect(field?.[0], `${name} field #${i}: name`).toBe(camel(arg.name));
        expect(field?.[1], `${name}.${camel(arg.name)}: type`).toBe(specType(name, arg));
      });
    });

    it('defaults, where the table gives one, are the spec default-value', () => {
      const def = ours!;
      def.fields.forEach((field, i) => {
        if (field.length !== 3) return;
        const arg = method.arguments[i];
        expect(arg?.['default-value'], `${name}.${field[0]}: the spec gives no default`).toBeDefined();
        expect(specForm(field[2]), `${name}.${field[0]}: default`).toEqual(arg?.['default-value']);
      });
    });
  });
});

describe('replies', () => {
  it.each(table.filter((m) => m.synchronous))('$name names existing, asynchronous replies of its own class', (def) => {
    expect(def.replies.length, `${def.name}: a synchronous method needs a reply`).toBeGreaterThan(0);
    for (const reply of def.replies) {
      const r = METHOD_BY_NAME.get(reply);
      expect(r, `${def.name}: reply ${reply} is not in the table`).toBeDefined();
      expect(r!.classId, `${def.name}: reply ${reply} is in another class`).toBe(def.classId);
      expect(r!.synchronous, `${def.name}: reply ${reply} is itself synchronous`).toBe(false);
    }
  });

  it.each(table.filter((m) => !m.synchronous))('$name (asynchronous) lists no replies', (def) => {
    expect(def.replies, `${def.name}: replies`).toEqual([]);
  });

  it.each(table.filter((m) => m.name.endsWith('-ok')))('$name is a reply of the method it confirms', (def) => {
    const request = def.name.slice(0, -'-ok'.length);
    expect(METHOD_BY_NAME.get(request)?.replies, `${request}: replies`).toContain(def.name);
  });

  it('basic.get may be answered by get-ok or get-empty', () => {
    expect([...METHOD_BY_NAME.get('basic.get')!.replies].sort()).toEqual(['basic.get-empty', 'basic.get-ok']);
  });
});
