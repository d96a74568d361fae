// Output for people (aligned tables, key: value blocks) and for scripts (--json).

export interface Output {
  json(value: unknown): void;
  table(rows: readonly object[], columns: readonly string[]): void;
  fields(record: Record<string, unknown>): void;
  line(text: string): void;
}

const show = (value: unknown): string => {
  if (value === undefined || value === null) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
};

export function createOutput(write: (text: string) => void): Output {
  return {
    json: (value) => write(`${JSON.stringify(value, null, 2)}\n`),
    line: (text) => write(`${text}\n`),
    table(rows, columns) {
      if (rows.length === 0) {
        write("(none)\n");
        return;
      }
      const cells = rows.map((row) =>
        columns.map((column) => show((row as Record<string, unknown>)[column])),
      );
      const widths = columns.map((column, i) =>
        Math.max(column.length, ...cells.map((cell) => (cell[i] ?? "").length)),
      );
      const format = (values: readonly string[]) =>
        values
          .map((value, i) => value.padEnd(widths[i] ?? 0))
          .join("  ")
          .trimEnd();
      write(`${format(columns.map((column) => column.toUpperCase()))}\n`);
      for (const cell of cells) write(`${format(cell)}\n`);
    },
    fields(record) {
      const entries = Object.entries(record).filter(
        ([, value]) => value !== undefined && value !== "",
      );
      const width = Math.max(...entries.map(([key]) => key.length));
      for (const [key, value] of entries) write(`${`${key}:`.padEnd(width + 2)}${show(value)}\n`);
    },
  };
}
