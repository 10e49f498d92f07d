/**
 * The host responder's actions: every host action type of the catalogue, carried out on this
 * host. Hand the list to the responder runner; each action's `type` is its catalogue type.
 */
import type { ResponderAction } from '#shared/responders/protocol.ts';
import { acquireFile } from './acquire-file.ts';
import { captureProcessState } from './capture-process-state.ts';
import { hostEnvironment } from './environment.ts';
import type { HostActionsOptions } from './environment.ts';
import { fileQuarantine } from './file-quarantine.ts';
import { fileUnquarantine } from './file-unquarantine.ts';
import { getLogs } from './get-logs.ts';
import { killContainer } from './kill-container.ts';
import { killProcess } from './kill-process.ts';
import { pauseContainer } from './pause-container.ts';
import { startContainer } from './start-container.ts';
import { stopContainer } from './stop-container.ts';
import { unpauseContainer } from './unpause-container.ts';

export type { HostActionsOptions } from './environment.ts';

/** The host actions, sharing one environment (process guards, container runtimes, quarantine). */
export function hostActions(options: HostActionsOptions): ResponderAction[] {
  const env = hostEnvironment(options);
  return [
    killProcess(env),
    killContainer(env),
    stopContainer(env),
    startContainer(env),
    pauseContainer(env),
    unpauseContainer(env),
    fileQuarantine(env),
    fileUnquarantine(env),
    acquireFile(env),
    getLogs(env),
    captureProcessState(env),
  ];
}
