/**
 * One point of the scale benchmark in its own process: `node point.js <series> <n> <url>` prints
 * `{ seconds, bytesPerObject }` as JSON on its last stdout line. A fresh process per point keeps
 * one point's garbage and JIT state out of the next one's figures.
 * @packageDocumentation
 */
import { SERIES, type SeriesName } from './workloads.js';

async function main(): Promise<void> {
  const [series, count, url] = process.argv.slice(2);
  const s = SERIES[series as SeriesName];
  if (!s || !count || !url) throw new Error('usage: node point.js <series> <n> <url>');
  const result = await s.run(url, Number(count));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
