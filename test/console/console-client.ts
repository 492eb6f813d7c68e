import type { TestHub } from '../helpers/hub';

/** A browser-like client for the console over plain HTTP: keeps cookies, reads the CSRF token from forms. */
export class ConsoleClient {
  private readonly cookies = new Map<string, string>();
  csrf = '';

  /** `forwardedFor`: the client address a reverse proxy reports (the hub must run with TRUST_PROXY for it to count). */
  constructor(
    private readonly t: TestHub,
    private readonly options: { forwardedFor?: string } = {},
  ) {}

  async get(path: string): Promise<{ status: number; location: string | null; html: string }> {
    return this.send('GET', path);
  }

  async post(path: string, form: Record<string, string>, options: { withCsrf?: boolean } = {}): Promise<{ status: number; location: string | null; html: string }> {
    return this.send('POST', path, new URLSearchParams({ ...(options.withCsrf === false ? {} : { csrf: this.csrf }), ...form }).toString());
  }

  /** Logs in through the login form; the answer is the login POST's. */
  async login(agent: string, password: string): Promise<{ status: number; location: string | null; html: string }> {
    const form = await this.get('/console/login');
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.html)?.[1] ?? '';
    const answer = await this.send('POST', '/console/login', new URLSearchParams({ csrf, agent, password, next: '/console' }).toString());
    if (answer.status === 303) this.csrf = /name="csrf" value="([^"]+)"/.exec((await this.get('/console')).html)?.[1] ?? '';
    return answer;
  }

  private async send(method: string, path: string, body?: string): Promise<{ status: number; location: string | null; html: string }> {
    const headers: Record<string, string> = { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
    if (this.options.forwardedFor) headers['x-forwarded-for'] = this.options.forwardedFor;
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(`${this.t.base}${path}`, { method, headers, body, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair, ...attributes] = cookie.split(';');
      const [name, ...value] = (pair ?? '').split('=');
      if (!name) continue;
      if (attributes.some((attribute) => /expires=Thu, 01 Jan 1970/i.test(attribute))) this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value.join('='));
    }
    return { status: response.status, location: response.headers.get('location'), html: await response.text() };
  }
}
