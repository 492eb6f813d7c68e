import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Handlebars from 'handlebars';
import type { Language } from '../core/contact';

/** views/ sits at the project root, both when running from src/ (tsx) and from dist/src/ (compiled). */
function findViewsDir(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'views'))) return join(dir, 'views');
  }
  throw new Error('views/ directory not found above ' + __dirname);
}

const viewsDir = findViewsDir();
const compiled = new Map<string, Handlebars.TemplateDelegate>();

/**
 * Renders `views/<name>.<language>.<format>.hbs`, or `views/<name>.<format>.hbs` for a page
 * whose words come in with the data (one markup for both languages). Text templates (SMS, plain
 * mail) are not HTML-escaped, HTML templates are: untrusted values stay text in both.
 */
export function render(name: string, options: { language: Language; format: 'txt' | 'html' }, data: object): string {
  const key = `${name}.${options.language}.${options.format}`;
  let template = compiled.get(key);
  if (!template) {
    const perLanguage = join(viewsDir, `${key}.hbs`);
    const file = existsSync(perLanguage) ? perLanguage : join(viewsDir, `${name}.${options.format}.hbs`);
    template = Handlebars.compile(readFileSync(file, 'utf8'), { noEscape: options.format === 'txt', strict: true });
    compiled.set(key, template);
  }
  return template(data).trim();
}
