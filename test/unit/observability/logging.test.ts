import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, logger, type Logger } from '#shared/log.ts';
// Importing it installs Powertools' Logger behind the shared `logger`, as a Lambda entry point does.
import { observe, powertoolsLogger } from '#shared/observability/lambda.ts';

/** Lambda's context object, as much of it as Powertools reads. */
function lambdaContext(awsRequestId: string): Context {
  const context: Partial<Context> = {
    functionName: 'response-actions-MarkStatus',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:response-actions-MarkStatus',
    memoryLimitInMB: '256',
    awsRequestId,
    getRemainingTimeInMillis: () => 30_000,
  };
  return context as Context;
}

const jwt = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhbmFseXN0LTEifQ.c2lnbmF0dXJlLWJ5dGVz';
const secrets = ['opaque-bearer-value', jwt, 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'FwoGZXIvYXdzEXAMPLESESSION', 'sig0123456789abcdef', 'AKIAEXAMPLECREDENTIAL'];

/** What a handler logs in the field: secrets in the message, in named fields, in strings and in an Error. */
function logSecrets(target: Logger = logger): void {
  target.info(`caller sent Bearer opaque-bearer-value and ${jwt}`, {
    authorization: 'Bearer opaque-bearer-value',
    credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: secrets[2], sessionToken: secrets[3] },
    downloadUrl: 'https://evidence.s3.amazonaws.com/a?X-Amz-Signature=sig0123456789abcdef',
    detail: 'fetch https://evidence.s3.amazonaws.com/a?X-Amz-Credential=AKIAEXAMPLECREDENTIAL&X-Amz-Signature=sig0123456789abcdef failed',
    error: new Error(`token ${jwt} was refused`),
    reason: null,
    note: '',
  });
}

let written: string[];
beforeEach(() => {
  written = [];
  const capture = (chunk: string | Uint8Array): boolean => {
    written.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});
afterEach(() => {
  vi.restoreAllMocks();
});

function lines(): Record<string, unknown>[] {
  return written.join('').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the shared redaction (shared/log.ts)', () => {
  it('masks fields named like secrets with a prefix, and the local evidence store\'s URL signatures', () => {
    // Prepare
    const hostLines: string[] = [];
    const localUrl = 'http://127.0.0.1:3000/local-evidence/actions/a-1/memory.bin?expires=1800000000&signature=bG9jYWwtc2lnbmF0dXJl';

    // Act
    createLogger((line) => hostLines.push(line)).error('upload failed', {
      responderToken: 'opaque-responder-token',
      clientSecret: 'opaque-client-secret',
      privateKeyPem: '-----BEGIN PRIVATE KEY-----',
      headers: { 'x-amz-security-token': 'FwoGZXIvYXdzEXAMPLESESSION' },
      detail: `PUT ${localUrl} answered 403`,
      actionId: 'a-1',
    });

    // Assess
    expect(hostLines.join('')).not.toMatch(/opaque-|PRIVATE KEY|FwoGZXIv|bG9jYWwtc2lnbmF0dXJl/);
    expect(JSON.parse(hostLines[0] ?? '{}')).toMatchObject({
      responderToken: '[redacted]',
      clientSecret: '[redacted]',
      privateKeyPem: '[redacted]',
      headers: { 'x-amz-security-token': '[redacted]' },
      detail: 'PUT http://127.0.0.1:3000/local-evidence/actions/a-1/memory.bin?expires=1800000000&signature=[redacted] answered 403',
      actionId: 'a-1',
    });
  });
});

describe('the Lambda functions\' logs (Powertools Logger, shared/observability/log-formatter.ts)', () => {
  it('masks every secret the shared redaction masks, in the message, fields and errors', async () => {
    // Prepare
    const handler = observe(() => {
      logSecrets();
      return Promise.resolve('done');
    });

    // Act
    await handler({}, lambdaContext('request-1'));

    // Assess
    const output = written.join('');
    expect(output).not.toBe('');
    for (const secret of secrets) expect(output).not.toContain(secret);
    const [line] = lines();
    expect(line).toMatchObject({
      level: 'info',
      message: 'caller sent Bearer [redacted] and [redacted-jwt]',
      authorization: '[redacted]',
      credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: '[redacted]', sessionToken: '[redacted]' },
      downloadUrl: '[redacted]',
      detail: 'fetch https://evidence.s3.amazonaws.com/a?X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted] failed',
      error: { name: 'Error', message: 'token [redacted-jwt] was refused' },
    });
  });

  it('writes the same line as the hosts\' logger, plus the invocation\'s Lambda context', async () => {
    // Prepare
    const hostLines: string[] = [];
    const handler = observe(() => {
      logSecrets();
      return Promise.resolve('done');
    });

    // Act
    await handler({}, lambdaContext('request-2'));
    logSecrets(createLogger((line) => hostLines.push(line)));

    // Assess: one shape and one redaction; only the time and the Lambda keys differ (an Error's stack differs by its line)
    const { time, service, cold_start: coldStart, function_name: functionName, function_request_id: requestId, error, ...rest } = lines()[0] ?? {};
    const { time: hostTime, error: hostError, ...hostRest } = JSON.parse(hostLines[0] ?? '{}') as Record<string, unknown>;
    expect(rest).toEqual(hostRest);
    expect({ ...(error as object), stack: null }).toEqual({ ...(hostError as object), stack: null });
    expect([typeof time, typeof hostTime]).toEqual(['string', 'string']);
    expect({ service, coldStart: typeof coldStart, functionName, requestId }).toEqual({
      service: 'response-actions',
      coldStart: 'boolean',
      functionName: 'response-actions-MarkStatus',
      requestId: 'request-2',
    });
  });

  it('puts each invocation\'s own request id in its lines, and cold start on the first only', async () => {
    // Prepare
    const handler = observe(() => {
      logger.warn('step refused', { actionId: 'a-1' });
      return Promise.resolve('done');
    });

    // Act
    await handler({}, lambdaContext('request-3'));
    await handler({}, lambdaContext('request-4'));

    // Assess
    expect(lines().map((line) => [line['level'], line['function_request_id'], line['cold_start']])).toEqual([
      ['warn', 'request-3', expect.any(Boolean)],
      ['warn', 'request-4', false],
    ]);
  });

  it('writes nothing below LOG_LEVEL (info by default)', async () => {
    // Prepare
    const handler = observe(() => {
      logger.debug('noisy detail');
      return Promise.resolve('done');
    });

    // Act
    await handler({}, lambdaContext('request-5'));

    // Assess
    expect(written).toEqual([]);
  });

  it('masks tokens in an invocation event when event logging is switched on (POWERTOOLS_LOGGER_LOG_EVENT)', () => {
    // Prepare: an API request with its bearer token, and the responder dispatch's task token
    const apiEvent = { headers: { authorization: `Bearer ${jwt}`, 'x-correlation-id': 'c-1' }, body: '{"type":"kill-process"}' };
    const dispatchEvent = { actionId: 'a-7', taskToken: 'AQCEAAAAKgAAAAMAAAAAAAAAAexampleTaskToken' };

    // Act: what the middleware does with logEvent on
    powertoolsLogger.logEventIfEnabled(apiEvent, true);
    powertoolsLogger.logEventIfEnabled(dispatchEvent, true);

    // Assess
    const output = written.join('');
    expect(output).not.toContain(jwt);
    expect(output).not.toContain('AQCEAAAAKgAAAAMAAAAAAAAAAexampleTaskToken');
    expect(lines().map((line) => line['event'])).toEqual([
      { headers: { authorization: '[redacted]', 'x-correlation-id': 'c-1' }, body: '{"type":"kill-process"}' },
      { actionId: 'a-7', taskToken: '[redacted]' },
    ]);
  });
});
