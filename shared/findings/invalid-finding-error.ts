/**
 * The one error the normalisers throw for a body they refuse. It is an InvalidInputError, so the
 * HTTP layer's table (shared/http/problem.ts) answers 400 with `errors[].path` naming each field
 * (`detail.resource.accessKeyDetails.userName`) without knowing findings exist.
 */
import { InvalidInputError } from '#shared/errors.ts';

export class InvalidFindingError extends InvalidInputError {
  override readonly name: string = 'InvalidFindingError';
}
