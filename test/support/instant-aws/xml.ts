/**
 * The wire formats the instant AWS speaks: AWS Query requests (form-encoded, IAM/STS/EC2) with
 * their XML answers and error documents, and S3's REST-XML error documents.
 */
import { randomUUID } from 'node:crypto';

/** An AWS error as the wire carries it: HTTP status, code, message. */
export class AwsFault extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function escapeXml(value: string): string {
  return value.replace(/[<>&'"]/g, (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[char] ?? char);
}

/** `<name>value</name>` with the value escaped; nested XML is passed as `raw`. */
export function el(name: string, value: string | number | boolean): string {
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function raw(name: string, inner: string): string {
  return `<${name}>${inner}</${name}>`;
}

export interface XmlAnswer {
  readonly status: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const iamNamespace = 'https://iam.amazonaws.com/doc/2010-05-08/';
const stsNamespace = 'https://sts.amazonaws.com/doc/2011-06-15/';
const ec2Namespace = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** An IAM or STS answer: `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata/>`. */
export function queryAnswer(service: 'iam' | 'sts', action: string, result: string | null): XmlAnswer {
  const namespace = service === 'iam' ? iamNamespace : stsNamespace;
  const body =
    `<?xml version="1.0" encoding="UTF-8"?><${action}Response xmlns="${namespace}">` +
    (result === null ? '' : raw(`${action}Result`, result)) +
    raw('ResponseMetadata', el('RequestId', randomUUID())) +
    `</${action}Response>`;
  return { status: 200, body };
}

/** An EC2 answer: `<ActionResponse><requestId/>…`. */
export function ec2Answer(action: string, inner: string): XmlAnswer {
  return { status: 200, body: `<?xml version="1.0" encoding="UTF-8"?><${action}Response xmlns="${ec2Namespace}">${el('requestId', randomUUID())}${inner}</${action}Response>` };
}

export function queryError(service: 'iam' | 'sts' | 'ec2', fault: AwsFault): XmlAnswer {
  if (service === 'ec2') {
    return {
      status: fault.status,
      body: `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>${el('Code', fault.code)}${el('Message', fault.message)}</Error></Errors>${el('RequestID', randomUUID())}</Response>`,
    };
  }
  const type = fault.status >= 500 ? 'Receiver' : 'Sender';
  return {
    status: fault.status,
    body: `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse xmlns="${service === 'iam' ? iamNamespace : stsNamespace}"><Error>${el('Type', type)}${el('Code', fault.code)}${el('Message', fault.message)}</Error>${el('RequestId', randomUUID())}</ErrorResponse>`,
  };
}

export function s3Error(fault: AwsFault, resource: string): XmlAnswer {
  return {
    status: fault.status,
    body: `<?xml version="1.0" encoding="UTF-8"?><Error>${el('Code', fault.code)}${el('Message', fault.message)}${el('Resource', resource)}${el('RequestId', randomUUID())}</Error>`,
  };
}

/** The members of a Query list parameter: `Name.1`, `Name.2`, … (or `Name.member.1`, …). */
export function listParameter(parameters: URLSearchParams, name: string): string[] {
  const values: string[] = [];
  for (let index = 1; ; index += 1) {
    const value = parameters.get(`${name}.${index}`) ?? parameters.get(`${name}.member.${index}`);
    if (value === null) return values;
    values.push(value);
  }
}

/** A required parameter, or the ValidationError AWS answers without it. */
export function required(parameters: URLSearchParams, name: string, code = 'ValidationError'): string {
  const value = parameters.get(name);
  if (value === null || value === '') throw new AwsFault(400, code, `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`);
  return value;
}

/** A `member` list of IAM's XML answers. */
export function members(items: readonly string[]): string {
  return items.map((item) => raw('member', item)).join('');
}

/** An `item` list of EC2's XML answers. */
export function items(entries: readonly string[]): string {
  return entries.map((entry) => raw('item', entry)).join('');
}

export function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
