import { defineConfig } from 'vitest/config';

/**
 * Three projects: `unit` and `fake` need no broker; `integration` gets a real RabbitMQ from its
 * globalSetup and runs one file at a time (tests there share one broker).
 *
 * `fake` runs first and on its own (sequence.groupOrder): its tests time the client's own timers
 * (timeouts, heartbeats, close deadlines) to within a few hundred ms, which a CPU shared with
 * fast-check runs or a busy broker would blur. `unit` then runs beside `integration`, which uses
 * one worker at a time.
 */
export default defineConfig({
  test: {
    setupFiles: ['test/support/guards.ts'],
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], sequence: { groupOrder: 1 } },
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
          testTimeout: 30_000,
          hookTimeout: 30_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
