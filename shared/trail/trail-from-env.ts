/**
 * The trail of a function in AWS: the evidence bucket's `trail/` prefix, named by TRAIL_BUCKET
 * (infra/constructs/grant-trail.ts sets it with the grant). The S3 code is loaded on the first
 * append only, so functions that never write pay nothing for it.
 */
import type { TrailAppender } from './trail-appender.ts';

export const TRAIL_BUCKET_ENV = 'TRAIL_BUCKET';

let made: TrailAppender | null | undefined;

/** The process's trail from its environment, made once; null outside AWS when none is configured. */
export function environmentTrail(env: NodeJS.ProcessEnv = process.env): TrailAppender | null {
  if (made !== undefined) return made;
  const bucket = env[TRAIL_BUCKET_ENV];
  if (bucket === undefined || bucket === '') {
    // In Lambda every function that writes records is granted the trail: a missing name is a
    // deployment fault, reported on every write (appendToTrail logs it) rather than ignored.
    made =
      env['AWS_LAMBDA_FUNCTION_NAME'] === undefined
        ? null
        : { append: () => Promise.reject(new Error(`${TRAIL_BUCKET_ENV} is not set: this function's writes reach no trail`)) };
    return made;
  }
  let trail: Promise<TrailAppender> | undefined;
  made = {
    append: async (events) => {
      trail ??= import('./s3-trail.ts').then(({ S3Trail }) => S3Trail.fromEnvironment(bucket));
      await (await trail).append(events);
    },
  };
  return made;
}
