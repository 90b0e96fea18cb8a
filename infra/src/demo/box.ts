/** A row of {@link box} that draws a separator line. */
export const SEPARATOR = Symbol('separator');

/** Breaks a row at spaces so it fits `width`; continuation lines are indented under the value column. */
export function wrap(row: string, width: number): string[] {
  const lines: string[] = [];
  let rest = row;
  while (rest.length > width) {
    const cut = rest.lastIndexOf(' ', width) > 20 ? rest.lastIndexOf(' ', width) : width;
    lines.push(rest.slice(0, cut));
    rest = `           ${rest.slice(cut).trimStart()}`;
  }
  return [...lines, rest];
}

/** Rows in a box under a title, for people. */
export function box(title: string, rows: Array<string | typeof SEPARATOR>): string {
  const width = Math.max(title.length, ...rows.map((row) => (row === SEPARATOR ? 0 : row.length)));
  const line = (text: string): string => `│ ${text.padEnd(width)} │`;
  const rule = (left: string, right: string): string => `${left}${'─'.repeat(width + 2)}${right}`;
  return [rule('╭', '╮'), line(title), rule('├', '┤'), ...rows.map((row) => (row === SEPARATOR ? rule('├', '┤') : line(row))), rule('╰', '╯')].join('\n');
}
