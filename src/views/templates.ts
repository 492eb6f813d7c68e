import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import type { Language } from '../core/contact';
import { projectPath } from '../project-files';

const viewsDir = projectPath('views');
const compiled = new Map<string, Handlebars.TemplateDelegate>();

/** `views/partials/<name>.html.hbs` is `{{> name}}` in any HTML template (the console's header and navigation). */
const partialsDir = join(viewsDir, 'partials');
if (existsSync(partialsDir)) {
  for (const file of readdirSync(partialsDir)) {
    if (file.endsWith('.html.hbs')) Handlebars.registerPartial(file.replace(/\.html\.hbs$/, ''), readFileSync(join(partialsDir, file), 'utf8'));
  }
}

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
