/**
 * The shipped ASL files as the local runtime loads them: the placeholders CDK fills in AWS filled
 * the same way, and each Task state's `lambda:invoke` matched to the in-process handler it calls.
 */
import { readFileSync } from 'node:fs';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';

/** The function ARNs the local runtime substitutes into the definition (never called: every Task is bound in-process). */
export const localFunctionArns = {
  markStatus: 'arn:aws:lambda:us-east-1:000000000000:function:response-actions-local-mark-status',
  dispatchWork: 'arn:aws:lambda:us-east-1:000000000000:function:response-actions-local-dispatch-work',
  playbookStep: 'arn:aws:lambda:us-east-1:000000000000:function:response-actions-local-playbook-step',
  action: (family: string) => `arn:aws:lambda:us-east-1:000000000000:function:response-actions-local-${family}-action`,
};

/** The definition substitutions CDK makes in AWS, made here the same way. */
export function substituteDefinition(text: string, substitutions: Readonly<Record<string, string>>): string {
  const substituted = text.replace(/\$\{(\w+)\}/g, (placeholder, name: string) => substitutions[name] ?? placeholder);
  const left = /\$\{\w+\}/.exec(substituted);
  if (left !== null) throw new Error(`the state machine definition has a placeholder with no substitution: ${left[0]}`);
  return substituted;
}

/** Reads an ASL file and fills its placeholders (`Partition` is always `aws`). */
export function readStateMachineDefinition(file: string, substitutions: Readonly<Record<string, string>>): StateMachineDefinition {
  return JSON.parse(substituteDefinition(readFileSync(file, 'utf8'), { Partition: 'aws', ...substitutions })) as StateMachineDefinition;
}

type Handler = (event: unknown) => Promise<unknown>;

/** A Task state bound to its handler; `waits` for `lambda:invoke.waitForTaskToken`. */
export interface LambdaTask {
  readonly name: string;
  readonly handler: Handler;
  readonly waits: boolean;
}

/**
 * Every Task state of the definition with the handler its `FunctionName` names. A Task calling
 * anything else, or a function with no handler here, is refused before anything runs.
 */
export function lambdaTasksOf(definition: StateMachineDefinition, functions: ReadonlyMap<string, Handler>, options: { readonly allowWait: boolean }): LambdaTask[] {
  const tasks: LambdaTask[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const parameters = 'Parameters' in state ? state.Parameters : undefined;
    const functionName = typeof parameters === 'object' && parameters !== null && !Array.isArray(parameters) ? parameters['FunctionName'] : undefined;
    const handler = typeof functionName === 'string' ? functions.get(functionName) : undefined;
    const waits = options.allowWait && state.Resource.endsWith(':states:::lambda:invoke.waitForTaskToken');
    if ((!waits && !state.Resource.endsWith(':states:::lambda:invoke')) || handler === undefined) {
      throw new Error(`the local runtime cannot bind Task state ${name} (${state.Resource}, ${typeof functionName === 'string' ? functionName : 'no FunctionName'})`);
    }
    tasks.push({ name, handler, waits });
  }
  return tasks;
}
