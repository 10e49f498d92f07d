/**
 * The `service` of every log line, trace and metric the functions write. POWERTOOLS_SERVICE_NAME
 * overrides it where set (the stack sets it on mark-status, whose metrics carry it as a dimension).
 */
export const serviceName = 'response-actions';
