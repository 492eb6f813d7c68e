import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import type { Logger } from 'pino';
import { DomainError, type DomainErrorCode } from '../core/errors';

const STATUS: Record<DomainErrorCode, number> = { not_found: 404, invalid_request: 400, conflict: 409, no_address: 422 };

/** An HTTP-level refusal (auth, size) with the same JSON shape as domain errors. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const notFound: RequestHandler = (req, _res, next) => next(new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`));

/** Every error becomes `{error: {code, message}}`; unexpected ones are logged and never show a stack. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const { status, code, message } = describe(error);
    if (status >= 500) logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    res.status(status).json({ error: { code, message } });
  };
}

function describe(error: unknown): { status: number; code: string; message: string } {
  if (error instanceof HttpError) return { status: error.status, code: error.code, message: error.message };
  if (error instanceof DomainError) return { status: STATUS[error.code], code: error.code, message: error.message };
  if (error instanceof ZodError) {
    const message = error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
    return { status: 400, code: 'invalid_request', message };
  }
  // body-parser's own errors carry a status and a type.
  const parserError = error as { status?: number; type?: string };
  if (parserError.type === 'entity.too.large') return { status: 413, code: 'payload_too_large', message: 'request body is too large' };
  if (parserError.type === 'entity.parse.failed') return { status: 400, code: 'invalid_json', message: 'request body is not valid JSON' };
  if (parserError.status && parserError.status >= 400 && parserError.status < 500) {
    return { status: parserError.status, code: 'bad_request', message: 'the request could not be read' };
  }
  return { status: 500, code: 'internal', message: 'internal error' };
}
