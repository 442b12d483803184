import { defineConfig } from 'vitest/config';

/**
 * Three projects: `unit` and `fake` need no broker; `integration` gets a real RabbitMQ from its
 * globalSetup and runs one file at a time (tests there share one broker).
 */
export default defineConfig({
  test: {
    setupFiles: ['test/support/guards.ts'],
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'fake', include: ['test/fake/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          // And `cluster`: a 3-node RabbitMQ cluster (scripts/cluster.sh) from its globalSetup,
          // whose nodes the tests crash and restart, one file at a time.
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
