import { defineConfig } from 'vitest/config';

/**
 * Three projects: `unit` and `fake` need no broker; `integration` gets a real RabbitMQ from its
 * globalSetup and runs one file at a time (tests there share one broker).
 *
 * `unit` and `fake` run first, `integration` after them (sequence.groupOrder): fake-broker tests
 * time the client's own timers (timeouts, heartbeats, close deadlines) to within a few hundred ms,
 * which the heaviest integration files (10 MiB bodies, 10,000 confirms, a busy broker on the same
 * two cores) would blur. Vitest runs projects with different worker limits in different groups.
 */
export default defineConfig({
  test: {
    setupFiles: ['test/support/guards.ts'],
    maxWorkers: 2,
    // A timeout only catches a hang: on a machine shared with other work, fast-check runs and
    // proxy tests that take 1 s when idle have passed 5 s.
    testTimeout: 20_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'fake', include: ['test/fake/**/*.test.ts'], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          // And `cluster`: a 3-node RabbitMQ cluster (scripts/cluster.sh), started by its files and
          // stopped by its globalSetup; the tests crash and restart nodes, one file at a time.
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          globalSetup: ['test/support/cluster-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          // Last, after unit, fake and integration: node boots and kills would skew their timing tests.
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
