/**
 * Each source's severity scale mapped onto rules' LOW / MEDIUM / HIGH / CRITICAL. Informational and
 * unknown severities become LOW, the bottom of the scale: a rule with `minSeverity` above LOW never
 * acts on a finding whose source would not rate it.
 */
import type { Severity } from './types.ts';

/**
 * GuardDuty's numeric `severity` (GuardDuty User Guide, "Severity levels of GuardDuty findings"):
 * Low 1.0–3.9, Medium 4.0–6.9, High 7.0–8.9, Critical 9.0–10.0. Below 1.0 is read as Low.
 */
export function guardDutySeverity(value: number): Severity {
  if (value >= 9) return 'CRITICAL';
  if (value >= 7) return 'HIGH';
  if (value >= 4) return 'MEDIUM';
  return 'LOW';
}

export const asffSeverityLabels = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type AsffSeverityLabel = (typeof asffSeverityLabels)[number];

/** ASFF `Severity.Label` (Security Hub User Guide, ASFF "Severity"): INFORMATIONAL is read as LOW. */
export function asffLabelSeverity(label: AsffSeverityLabel): Severity {
  return label === 'INFORMATIONAL' ? 'LOW' : label;
}

/**
 * ASFF `Severity.Normalized` 0–100, used when a finding has no `Label`, with the ranges Security Hub
 * uses to derive the label (ASFF "Severity"): 0 INFORMATIONAL, 1–39 LOW, 40–69 MEDIUM, 70–89 HIGH,
 * 90–100 CRITICAL.
 */
export function asffNormalizedSeverity(normalized: number): Severity {
  if (normalized >= 90) return 'CRITICAL';
  if (normalized >= 70) return 'HIGH';
  if (normalized >= 40) return 'MEDIUM';
  return 'LOW';
}

/**
 * OCSF 1.x `severity_id` (OCSF schema, base event attribute `severity_id`): 0 Unknown, 1 Informational,
 * 2 Low, 3 Medium, 4 High, 5 Critical, 6 Fatal, 99 Other. Fatal is read as CRITICAL; Unknown,
 * Informational and Other as LOW, unless Other comes with a `severity` caption that names a level.
 */
export function ocsfSeverity(severityId: number, caption: string | undefined): Severity {
  switch (severityId) {
    case 2:
      return 'LOW';
    case 3:
      return 'MEDIUM';
    case 4:
      return 'HIGH';
    case 5:
    case 6:
      return 'CRITICAL';
    case 99: {
      const named = caption?.toUpperCase();
      return named === 'MEDIUM' || named === 'HIGH' || named === 'CRITICAL' ? named : named === 'FATAL' ? 'CRITICAL' : 'LOW';
    }
    default:
      return 'LOW';
  }
}

/** Falco's priorities, as its JSON output spells them (falco.org, "Rules": priority), lower-cased. */
export const falcoPriorities = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'info', 'debug'] as const;
export type FalcoPriority = (typeof falcoPriorities)[number];

/** The priority `text` names, whatever its case (Falco writes `Warning`, rules files `WARNING`). */
export function falcoPriorityOf(text: string): FalcoPriority | undefined {
  const lower = text.toLowerCase();
  return falcoPriorities.find((priority) => priority === lower);
}

/**
 * Falco's syslog-style priorities: Emergency, Alert and Critical are CRITICAL; Error HIGH; Warning
 * MEDIUM; Notice, Informational (Info) and Debug LOW.
 */
export function falcoSeverity(priority: FalcoPriority | undefined): Severity {
  switch (priority) {
    case 'emergency':
    case 'alert':
    case 'critical':
      return 'CRITICAL';
    case 'error':
      return 'HIGH';
    case 'warning':
      return 'MEDIUM';
    default:
      return 'LOW';
  }
}
