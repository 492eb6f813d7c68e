import type { Request } from 'express';
import type { Language } from '../core/contact';

/** The language of a page for a person: `?lang=en`, else the browser's preference, else Dutch. */
export function pageLanguage(req: Request): Language {
  if (req.query.lang === 'en' || req.query.lang === 'nl') return req.query.lang;
  return req.acceptsLanguages('nl', 'en') === 'en' ? 'en' : 'nl';
}
