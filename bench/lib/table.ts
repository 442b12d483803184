/**
 * Plain-text tables for the terminal, and progress lines that stay off stdout.
 * @packageDocumentation
 */

/** Column alignment: numbers read best right-aligned. */
export type Align = 'left' | 'right';

/** A column: its title and alignment (right by default, except the first column). */
export interface Column {
  readonly title: string;
  readonly align?: Align;
}

/** Render rows under a header with padded columns and a rule below the header. */
export function renderTable(columns: readonly (Column | string)[], rows: readonly (readonly string[])[]): string {
  const cols = columns.map((c, i): Required<Column> =>
    typeof c === 'string' ? { title: c, align: i === 0 ? 'left' : 'right' } : { title: c.title, align: c.align ?? (i === 0 ? 'left' : 'right') });
  const widths = cols.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cols.map((c, i) => {
      const cell = cells[i] ?? '';
      const w = widths[i]!;
      return c.align === 'left' ? cell.padEnd(w) : cell.padStart(w);
    }).join('  ').trimEnd();
  return [line(cols.map((c) => c.title)), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Print a table to stdout. */
export function printTable(columns: readonly (Column | string)[], rows: readonly (readonly string[])[]): void {
  process.stdout.write(`${renderTable(columns, rows)}\n`);
}

/** A progress line on stderr, so `--json` output on stdout stays clean. Silent with `quiet`. */
export function progress(message: string, quiet = false): void {
  if (!quiet) process.stderr.write(`${message}\n`);
}
