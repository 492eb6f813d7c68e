import express, { type RequestHandler, type Response } from 'express';
import twilio from 'twilio';
import { HttpError } from '../../http/errors';

/** Twilio's webhook forms are a few hundred bytes; 64 kB is generous. */
const FORM_LIMIT = '64kb';

/**
 * Parses Twilio's form body and checks `X-Twilio-Signature` against the public URL
 * (`PUBLIC_URL` + path and query: behind a proxy the URL express sees is not the signed one).
 * Without an auth token nothing can be verified, so everything is refused.
 */
export function twilioWebhook(options: { authToken: string | undefined; publicUrl: string }): RequestHandler[] {
  const verify: RequestHandler = (req, _res, next) => {
    const signature = req.header('x-twilio-signature');
    const params = (req.body ?? {}) as Record<string, unknown>;
    const url = options.publicUrl + req.originalUrl;
    if (!options.authToken || !signature || !twilio.validateRequest(options.authToken, signature, url, params)) {
      next(new HttpError(403, 'invalid_signature', 'the Twilio signature is missing or wrong'));
      return;
    }
    next();
  };
  return [express.urlencoded({ extended: false, limit: FORM_LIMIT }), verify];
}

/** Sends a TwiML document (VoiceResponse, MessagingResponse). */
export function sendTwiml(res: Response, twiml: { toString(): string }): void {
  res.type('text/xml').send(twiml.toString());
}
