/** The conformance table as Markdown, one row per scenario, so the README can show it as printed. */
import type { Row, ScenarioOutcome } from './run-scenario.ts';

const columns: readonly (readonly [keyof Row, string])[] = [
  ['scenario', 'scenario'],
  ['findingType', 'finding type'],
  ['decision', 'decision'],
  ['action', 'action'],
  ['endState', 'end state'],
  ['undo', 'undo'],
  ['backToOriginal', 'back to original'],
];

const cell = (text: string): string => text.replaceAll('|', '\\|');

/** One row per scenario; the last column says whether everything the scenario expects held. */
export function formatTable(outcomes: readonly ScenarioOutcome[]): string {
  const lines = [
    `| ${columns.map(([, title]) => title).join(' | ')} | conforms |`,
    `|${columns.map(() => '---').join('|')}|---|`,
    ...outcomes.map(({ row, mismatches }) => `| ${columns.map(([key]) => cell(row[key])).join(' | ')} | ${mismatches.length === 0 ? '✔' : '✘'} |`),
  ];
  return lines.join('\n');
}
