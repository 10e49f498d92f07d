import type { Approval, JsonValue, Trigger } from '../../api/types.ts';

/** What was asked for: the action type, or the playbook. */
export function requestName(approval: Approval): string {
  if (approval.request.playbook !== undefined) return `playbook ${approval.request.playbook}`;
  return approval.request.type ?? 'unknown request';
}

/** The request's inputs as `name=value` text (finding-derived: shown as text, never as a link). */
export function inputsText(inputs: Readonly<Record<string, JsonValue>>): string {
  const entries = Object.entries(inputs);
  if (entries.length === 0) return 'no inputs';
  return entries.map(([name, value]) => `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`).join(', ');
}

/** Who or what asked, in a few words: a rule on a finding, or a person's request. */
export function triggerText(trigger: Trigger | null): string {
  if (trigger === null || trigger.source === 'person') return 'a person’s request';
  const parts = [`${trigger.source} finding`];
  if (trigger.findingType !== null) parts.push(trigger.findingType);
  if (trigger.ruleId !== null) parts.push(`rule ${trigger.ruleId}`);
  return parts.join(' · ');
}
