import { CASES } from './catalogue';
import { GROUP_TITLES, type CaseDefinition, type CaseGroup } from './types';

const cell = (text: string): string => text.replace(/\|/g, '\\|');

/**
 * The case list as the README shows it, one table per group (generated: `sepp-probe cases
 * --markdown`; a test compares it with the README so the two cannot drift apart).
 */
export function casesMarkdown(cases: readonly CaseDefinition[] = CASES): string {
  const groups = [...new Set(cases.map((c) => c.group))] as CaseGroup[];
  const out: string[] = [];
  for (const group of groups) {
    const rows = cases.filter((c) => c.group === group);
    out.push(`**${GROUP_TITLES[group]}** (${rows[0]!.role} role, ${rows.length} case${rows.length === 1 ? '' : 's'})`, '');
    out.push('| case | checks | clause | expected | level |', '|---|---|---|---|---|');
    for (const c of rows) {
      const notes = [c.level, ...(c.needsCaKey ? ['needs `--ca-key`'] : [])].join(', ');
      out.push(`| \`${c.id}\` | ${cell(c.title)} | ${cell(c.clause)} | ${cell(c.expected)} | ${notes} |`);
    }
    out.push('');
  }
  return out.join('\n').trimEnd() + '\n';
}
