/** A request the domain refuses, with a stable code that the HTTP layer maps to a status. */
export type DomainErrorCode = 'not_found' | 'invalid_request' | 'conflict' | 'no_address';

export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
  }
}
