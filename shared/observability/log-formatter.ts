import { LogFormatter, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { logEntry, type Level } from '#shared/log.ts';

/** Powertools' levels in ours: TRACE is logged as debug, CRITICAL as error. */
const levels: Readonly<Record<string, Level>> = { TRACE: 'debug', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error', CRITICAL: 'error' };

/** Keeps null and empty fields (Powertools drops them) so a line reads as the hosts' logger writes it; JSON drops undefined ones. */
class ServiceLogItem extends LogItem {
  override removeEmptyKeys(attributes: LogAttributes): LogAttributes {
    return attributes;
  }
}

/**
 * Powertools Logger's lines in the service's shape, redacted: {@link logEntry} (level, time,
 * message and fields, secrets masked) plus the invocation's Lambda context and trace id. Every
 * field passes through `redact`, Errors included, before Powertools serialises anything.
 */
export class RedactingLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    const context = attributes.lambdaContext;
    return new ServiceLogItem({
      attributes: {
        ...logEntry(levels[attributes.logLevel] ?? 'info', attributes.message, additionalLogAttributes, attributes.timestamp),
        service: attributes.serviceName,
        cold_start: context?.coldStart,
        function_name: context?.functionName,
        function_request_id: context?.awsRequestId,
        xray_trace_id: attributes.xRayTraceId,
      },
    });
  }
}
