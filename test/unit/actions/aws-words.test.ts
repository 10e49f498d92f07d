/**
 * AWS's words for a failed call reach the action record (readable with a read scope) and the logs.
 * A SignatureDoesNotMatch spells out the canonical request AWS expected, and its headers include
 * x-amz-security-token, the session token the call was signed with: those details are cut and a
 * token named anywhere else is masked. No server here answers with AWS's diagnostics (moto_server
 * does not check signatures), so the error is built as the SDK builds it, from AWS's documented text.
 */
import { IAMServiceException } from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { awsWords, fromAwsError } from '#shared/actions/errors.ts';

const sessionToken = 'IQoJb3JpZ2luX2VjEXAMPLEsessionTOKENvalue0123456789abcdef';
const signatureMismatch = (status: number): IAMServiceException =>
  new IAMServiceException({
    name: 'SignatureDoesNotMatch',
    $fault: 'client',
    $metadata: { httpStatusCode: status, attempts: 1 },
    message: [
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      '',
      'The Canonical String for this request should have been',
      `'POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:iam.amazonaws.com\nx-amz-date:20261206T050000Z\nx-amz-security-token:${sessionToken}\n\ncontent-type;host;x-amz-date;x-amz-security-token\n3f1c'`,
      '',
      "The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20261206T050000Z\n20261206/us-east-1/iam/aws4_request\n9c2e'",
    ].join('\n'),
  });

describe("AWS's words for a failed call", () => {
  it('keep what AWS said and leave out the canonical request, with the session token in it', () => {
    // Act
    const mapped = fromAwsError(signatureMismatch(403), { accountId: '111122223333', operation: 'iam:GetUser' });

    // Assess
    const message = (mapped as Error).message;
    expect(message).toContain('AWS refused iam:GetUser in account 111122223333 (SignatureDoesNotMatch: The request signature we calculated does not match');
    expect(message).toContain('(signing details left out)');
    expect(message).not.toContain(sessionToken);
    expect(message).not.toContain('Canonical String');
    expect(message).not.toContain('String-to-Sign');
  });

  it('mask a security token named outside the diagnostics, and leave any other message as it was', () => {
    // Act
    const masked = awsWords(new Error(`rejected X-Amz-Security-Token=${sessionToken}&Action=GetUser`));
    const plain = awsWords(new Error('User: arn:aws:iam::111122223333:user/a is not authorized to perform: iam:GetUser'));

    // Assess
    expect(masked).toBe('rejected X-Amz-Security-Token=[redacted]&Action=GetUser');
    expect(plain).toBe('User: arn:aws:iam::111122223333:user/a is not authorized to perform: iam:GetUser');
  });

  it('leave the session token out of a 5xx as well, which names its attempts', () => {
    // Act
    const mapped = fromAwsError(signatureMismatch(500), { accountId: '111122223333', operation: 'iam:GetUser' });

    // Assess
    expect((mapped as Error).message).toMatch(/^AWS failed iam:GetUser in account 111122223333 with HTTP 500 \(SignatureDoesNotMatch: /);
    expect((mapped as Error).message).not.toContain(sessionToken);
  });
});
