/**
 * One AWS call with its failure turned into the named error the state machine matches: the
 * service's "not found" answer becomes TargetNotFound naming what was missing, every other
 * failure goes through fromAwsError (throttling retried, access denied naming the permission).
 */
import { TargetNotFoundError, fromAwsError } from '../errors.ts';

/** What a call is, for messages and for telling "not found" apart. */
export interface AwsCallSite {
  readonly accountId: string;
  /** `iam:GetUser on IAM user alice`, `ec2:DescribeInstances in us-east-1`. */
  readonly operation: string;
  /**
   * The TargetNotFound message when an AWS error code means what the call is about does not
   * exist (each service spells that its own way), else null: left to fromAwsError.
   */
  readonly notFound?: (code: string) => string | null;
}

/** The outcome of a call whose expected failures (AWS error codes the caller lists) are not errors. */
export type AwsAttempt<Output> = { readonly ok: true; readonly value: Output } | { readonly ok: false; readonly code: string };

/** The AWS error code of a failed SDK call (the SDK names its errors after the code), else null. */
export function awsErrorCode(error: unknown): string | null {
  return error instanceof Error && '$metadata' in error ? error.name : null;
}

/** Runs `send`; a failure becomes TargetNotFound (see AwsCallSite.notFound) or fromAwsError's named error. */
export async function awsCall<Output>(site: AwsCallSite, send: () => Promise<Output>): Promise<Output> {
  try {
    return await send();
  } catch (error) {
    throw callError(site, error);
  }
}

/** The named error for a failed call at `site`. */
function callError(site: AwsCallSite, error: unknown): unknown {
  const code = awsErrorCode(error);
  const missing = code === null ? null : (site.notFound?.(code) ?? null);
  if (missing !== null) return new TargetNotFoundError(missing, { cause: error });
  return fromAwsError(error, { accountId: site.accountId, operation: site.operation });
}

/** Like awsCall, but an AWS error whose code is in `expected` comes back as `{ ok: false, code }`; any other fails as in awsCall. */
export async function awsAttempt<Output>(site: AwsCallSite, send: () => Promise<Output>, expected: readonly string[]): Promise<AwsAttempt<Output>> {
  try {
    return { ok: true, value: await send() };
  } catch (error) {
    const code = awsErrorCode(error);
    if (code !== null && expected.includes(code)) return { ok: false, code };
    throw callError(site, error);
  }
}

/** Every page of a paginated call (the SDK's paginate* functions), its failure named as awsCall does. */
export async function awsPages<Page>(site: AwsCallSite, pages: () => AsyncIterable<Page>): Promise<Page[]> {
  return awsCall(site, async () => {
    const all: Page[] = [];
    for await (const page of pages()) all.push(page);
    return all;
  });
}
