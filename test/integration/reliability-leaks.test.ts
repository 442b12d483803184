/**
 * R14: no leaks. 10,000 channel open/close cycles on one connection and 1,000 connection
 * open/close cycles leave the process's handles where they were and the heap (after full
 * collections) less than 1 MiB larger than after a warm-up.
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { expectNoLeakedHandles, handleCounts, type HandleCounts } from '../support/guards.js';
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

/** What {@link measureCycles} saw. */
interface CycleRun {
  /** Handles open after the warm-up, for expectNoLeakedHandles. */
  handles: HandleCounts;
  /** Heap growth over the measured cycles, in bytes (after full collections). */
  growth: number;
  /** One line: cycles, time and heap before and after. */
  summary: string;
}

/** `warmup` cycles, then `count` cycles measured: the handle baseline and the heap growth across them. */
async function measureCycles(count: number, warmup: number, cycle: () => Promise<void>): Promise<CycleRun> {
  await repeat(warmup, PARALLEL, cycle);
  const handles = handleCounts();
  const heapBefore = await settledHeap();

  const ms = await repeat(count, PARALLEL, cycle);

  const heapAfter = await settledHeap();
  const growth = heapAfter - heapBefore;
  const summary = `${count} cycles in ${(ms / 1000).toFixed(1)} s; heap ${(heapBefore / MiB).toFixed(2)} -> ${(heapAfter / MiB).toFixed(2)} MiB (${(growth / 1024).toFixed(0)} KiB)`;
  return { handles, growth, summary };
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
    const { handles, growth, summary } = await measureCycles(CHANNEL_CYCLES, 500, cycle);
    console.log(`[R14 channels] ${summary}`);
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
    const { handles, growth, summary } = await measureCycles(CONNECTION_CYCLES, 50, cycle);
    console.log(`[R14 connections] ${summary}`);
    await expectNoLeakedHandles(handles);
    expect(growth).toBeLessThan(MiB);
  }, 120_000);
});
