/**
 * A one-line description of the machine a benchmark ran on, for reports and JSON.
 * @packageDocumentation
 */
import os from 'node:os';

/** Where and when a run happened. */
export interface MachineInfo {
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly platform: string;
  /** 1-minute load average when the run started (other work on a shared machine skews results). */
  readonly load1: number;
}

/** Describe this machine now. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString().slice(0, 10),
    cpu: (cpus[0]?.model ?? 'unknown cpu').replace(/\s+/g, ' ').trim(),
    cores: os.availableParallelism?.() ?? cpus.length,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    load1: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** `2026-05-01, Intel Xeon ... x2, node v20.19.0, linux x64, load 0.31` */
export function describeMachine(m: MachineInfo = machineInfo()): string {
  return `${m.date}, ${m.cpu} x${m.cores}, node ${m.node}, ${m.platform}, load ${m.load1}`;
}
