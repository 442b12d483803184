/**
 * R14: no leaks. 10,000 channel open/close cycles on one connection and 1,000 connection
 * open/close cycles leave the process's handles where they were and the heap (after full
 * collections) less than 1 MiB larger than after a warm-up.
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { expectNoLeakedHandles, handleCounts } from '../support/guards.js';
import { MiB, connectNamed, settledHeap, uniqueName } from './reliability-support.js';

/** Runs `cycle` `count` times, `parallel` at a time. */
async function repeat(count: number, parallel: number, cycle: () => Promise<void>): Promise<number> {
  const started = performance.now();
  let left = count;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (left > 0) {
      left--;
      await cycle();
    }
  }));
  return performance.now() - started;
}

const CHANNEL_CYCLES = 10_000;
const CONNECTION_CYCLES = 1_000;
const PARALLEL = 4;

describe('R14: no leaks', () => {
  it(`${CHANNEL_CYCLES} channel open/close cycles: handles back to baseline, heap grows < 1 MiB`, async () => {
    const conn = await connectNamed(uniqueName('r14-channels'));
    const listenersBefore = conn.eventNames().map((e) => `${String(e)}:${conn.listenerCount(e)}`);
    const cycle = async (): Promise<void> => {
      const ch = await conn.channel();
      await ch.close();
    };
    await repeat(500, PARALLEL, cycle);
    const handles = handleCounts();
    const heapBefore = await settledHeap();

    const ms = await repeat(CHANNEL_CYCLES, PARALLEL, cycle);

    const heapAfter = await settledHeap();
    const growth = heapAfter - heapBefore;
    console.log(`[R14 channels] ${CHANNEL_CYCLES} cycles in ${(ms / 1000).toFixed(1)} s; heap ${(heapBefore / MiB).toFixed(2)} -> ${(heapAfter / MiB).toFixed(2)} MiB (${(growth / 1024).toFixed(0)} KiB)`);
    await expectNoLeakedHandles(handles);
    expect(conn.eventNames().map((e) => `${String(e)}:${conn.listenerCount(e)}`)).toEqual(listenersBefore);
    expect(growth).toBeLessThan(MiB);
    await conn.close();
    await expectNoLeakedHandles();
  }, 120_000);

  it(`${CONNECTION_CYCLES} connection open/close cycles: handles back to baseline, heap grows < 1 MiB`, async () => {
    const name = uniqueName('r14-connections');
    const cycle = async (): Promise<void> => {
      const conn = await connectNamed(name);
      await conn.close();
    };
    await repeat(50, PARALLEL, cycle);
    const handles = handleCounts();
    const heapBefore = await settledHeap();

    const ms = await repeat(CONNECTION_CYCLES, PARALLEL, cycle);

    const heapAfter = await settledHeap();
    const growth = heapAfter - heapBefore;
    console.log(`[R14 connections] ${CONNECTION_CYCLES} cycles in ${(ms / 1000).toFixed(1)} s; heap ${(heapBefore / MiB).toFixed(2)} -> ${(heapAfter / MiB).toFixed(2)} MiB (${(growth / 1024).toFixed(0)} KiB)`);
    await expectNoLeakedHandles(handles);
    expect(growth).toBeLessThan(MiB);
  }, 120_000);
});
