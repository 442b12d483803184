/**
 * The fake broker of the client-ceiling benchmark, in a process of its own:
 * `node build/bench/client/fake-broker-server.js [--port n]`. Prints `{"port": n}` on stdout once
 * listening and runs until stdin closes (its parent went away) or SIGTERM. It is the null broker
 * of `amqp-wire perf` (`src/tools/null-broker/`).
 * @packageDocumentation
 */
import '../../src/tools/null-broker/main.js';
