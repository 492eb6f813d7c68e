import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { readEnv } from '../../src/config/env';
import { ConfigError, loadHubConfig, parseHubConfig } from '../../src/config/hub-config';

const ROOT = resolve(__dirname, '..', '..');
const SHIPPED = join(ROOT, 'config', 'klachtenhub.json');

/** A minimal valid configuration; tests break one thing at a time. */
function validConfig(): any {
  return {
    timezone: 'Europe/Amsterdam',
    holidays: 'NL',
    slotMinutes: 15,
    sla: { acknowledgeSeconds: 60, firstResponseHours: 8, resolutionHours: 24 },
    teams: [{ id: 'service', name: 'Klantenservice', slackChannel: 'C0SERVICE', hours: { mon: ['09:00-17:00'], tue: ['09:00-12:30', '13:30-17:00'] } }],
    agents: [{ id: 'anna', name: 'Anna de Vries', team: 'service', phone: '+31201234567', slackUserId: 'U0ANNA' }],
  };
}

function configError(raw: unknown, source = 'hub.json'): string {
  try {
    parseHubConfig(raw, source);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as Error).message;
  }
  expect.fail('expected a ConfigError');
}

describe('configuration file (parseHubConfig, loadHubConfig)', () => {
  it('accepts the example of the SPEC and fills in defaults', () => {
    const config = parseHubConfig(validConfig(), 'hub.json');
    expect(config.teams[0]?.id).to.equal('service');
    expect(config.agents[0]).to.include({ role: 'agent', language: 'nl' });
  });

  it('names the key path and the file of an unknown key', () => {
    const raw = validConfig();
    raw.teams[0].colour = 'blue';
    const message = configError(raw, '/etc/klachtenhub/hub.json');
    expect(message).to.include('/etc/klachtenhub/hub.json');
    expect(message).to.include('teams[0].colour');
    expect(message).to.include('unknown key');
  });

  it('names unknown keys at the top level and in nested objects', () => {
    const raw = validConfig();
    raw.slaa = {};
    raw.sla.firstResponseHourz = 4;
    raw.agents[0].hours = { mon: ['09:00-17:00'], mo: ['09:00-12:00'] };
    const message = configError(raw);
    expect(message).to.include('slaa: unknown key');
    expect(message).to.include('sla.firstResponseHourz: unknown key');
    expect(message).to.include('agents[0].hours.mo: unknown key');
  });

  it('refuses a time range that ends before it starts, or is not HH:MM-HH:MM', () => {
    const backwards = validConfig();
    backwards.teams[0].hours.mon = ['17:00-09:00'];
    expect(configError(backwards)).to.include('teams[0].hours.mon[0]').and.include('end after it starts');

    const malformed = validConfig();
    malformed.teams[0].hours.tue = ['09:00-12:30', '9-17'];
    expect(configError(malformed)).to.include('teams[0].hours.tue[1]').and.include('HH:MM-HH:MM');

    const impossible = validConfig();
    impossible.teams[0].hours.mon = ['09:00-25:00'];
    expect(configError(impossible)).to.include('teams[0].hours.mon[0]');
  });

  it('refuses an agent of an unknown team', () => {
    const raw = validConfig();
    raw.agents.push({ id: 'bram', name: 'Bram', team: 'sales' });
    expect(configError(raw)).to.include('agents[1].team').and.include('unknown team "sales"');
  });

  it('refuses an unknown default team', () => {
    const raw = validConfig();
    raw.defaultTeam = 'sales';
    expect(configError(raw)).to.include('defaultTeam').and.include('unknown team "sales"');
  });

  it('refuses duplicate team and agent ids', () => {
    const raw = validConfig();
    raw.teams.push({ id: 'service', name: 'Dubbel', hours: {} });
    raw.agents.push({ id: 'anna', name: 'Anna 2', team: 'service' });
    const message = configError(raw);
    expect(message).to.include('teams[1].id: duplicate id "service"');
    expect(message).to.include('agents[1].id: duplicate id "anna"');
  });

  it('refuses an unknown time zone', () => {
    const raw = validConfig();
    raw.timezone = 'Mars/Olympus_Mons';
    expect(configError(raw)).to.include('timezone').and.include('Mars/Olympus_Mons');
  });

  it('refuses a phone number that is not E.164 and a config without teams', () => {
    const raw = validConfig();
    raw.agents[0].phone = '020 1234567';
    expect(configError(raw)).to.include('agents[0].phone');
    const noTeams = validConfig();
    noTeams.teams = [];
    noTeams.agents = [];
    expect(configError(noTeams)).to.include('teams');
  });

  it('refuses an unknown holiday country, naming holidays and the file (start-up would otherwise crash in the calendar)', () => {
    const raw = validConfig();
    raw.holidays = 'XX';
    const message = configError(raw, 'hub.json');
    expect(message).to.include('hub.json');
    expect(message).to.include('holidays');
  });

  it('refuses a team without any opening hours (every SLA due time on it would throw at ingest)', () => {
    const raw = validConfig();
    raw.teams[0].hours = {};
    const message = configError(raw, 'hub.json');
    expect(message).to.include('teams[0].hours');
  });

  it('reads the shipped config/klachtenhub.json as valid: two agents, a team with a Slack channel', () => {
    const config = loadHubConfig(SHIPPED);
    expect(config.agents).to.have.length(2);
    expect(config.teams.some((team) => typeof team.slackChannel === 'string' && team.slackChannel.length > 0)).to.equal(true);
    for (const agent of config.agents) expect(config.teams.map((team) => team.id)).to.include(agent.team);
  });

  describe('loadHubConfig', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'klachtenhub-config-'));
    });
    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('names a missing file', () => {
      const path = join(dir, 'missing.json');
      expect(() => loadHubConfig(path)).to.throw(ConfigError, path);
    });

    it('names a file that is not JSON', () => {
      const path = join(dir, 'broken.json');
      writeFileSync(path, '{ "teams": [ ');
      expect(() => loadHubConfig(path)).to.throw(ConfigError, /broken\.json is not valid JSON/);
    });

    it('names the file in a validation error', () => {
      const path = join(dir, 'bad.json');
      const raw = validConfig();
      raw.teams[0].colour = 'blue';
      writeFileSync(path, JSON.stringify(raw));
      expect(() => loadHubConfig(path)).to.throw(ConfigError, new RegExp(`${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}[\\s\\S]*teams\\[0\\]\\.colour`));
    });
  });
});

describe('configuration file: promises, SLA, escalation, absence, stuck work', () => {
  /** The SPEC's optional keys, all of them. */
  function fullConfig(): any {
    const raw = validConfig();
    raw.closedDays = ['2026-12-31'];
    raw.categories = [{ id: 'levering', name: 'Levering', keywords: ['pakket', 'bezorg'] }];
    raw.sla = { ...raw.sla, byCategory: { levering: { firstResponseHours: 4 } }, byPriority: { high: { firstResponseHours: 2, resolutionHours: 8 } } };
    raw.escalation = [{ at: '75%', notify: 'owner' }, { at: '100%', notify: 'lead' }, { at: '+4h', notify: 'managers' }];
    raw.stuck = { acceptMinutes: 15, idleHours: 4 };
    raw.teams[0].sla = { firstResponseHours: 6, byPriority: { high: { firstResponseHours: 1 } } };
    raw.agents[0].absent = [{ from: '2026-12-21', to: '2027-01-04' }];
    return raw;
  }

  it("accepts the SPEC's optional keys, and without them the managers hear of a broken promise at its due time", () => {
    const config = parseHubConfig(fullConfig(), 'hub.json');
    expect(config.escalation).to.have.length(3);
    expect(config.agents[0]?.absent).to.deep.equal([{ from: '2026-12-21', to: '2027-01-04' }]);
    const plain = parseHubConfig(validConfig(), 'hub.json');
    expect(plain.escalation).to.deep.equal([{ at: '100%', notify: 'managers' }]);
    expect(plain.sla.newTimeHours).to.equal(4);
    expect(plain.stuck).to.deep.equal({});
  });

  it('names the key path of each mistake in the new keys', () => {
    const raw = fullConfig();
    raw.closedDays = ['2026-02-30'];
    raw.categories[0].keywords = ['p'];
    raw.sla.byPriority.urgent = { firstResponseHours: 1 };
    raw.escalation = [{ at: '80', notify: 'owner' }, { at: '+4d', notify: 'managers' }, { at: '100%', notify: 'boss' }];
    raw.stuck.acceptMinutes = 0;
    raw.stuck.idleHourz = 4;
    raw.teams[0].sla.firstResponseHourz = 6;
    raw.agents[0].absent = [{ from: '2027-01-04', to: '2026-12-21' }, { from: '21-12-2026', to: '2027-01-04' }];
    const message = configError(raw);
    for (const path of [
      'closedDays[0]',
      'categories[0].keywords[0]',
      'sla.byPriority.urgent',
      'escalation[0].at',
      'escalation[1].at',
      'escalation[2].notify',
      'stuck.acceptMinutes',
      'stuck.idleHourz: unknown key',
      'teams[0].sla.firstResponseHourz: unknown key',
      'agents[0].absent[0].to',
      'agents[0].absent[1].from',
    ]) {
      expect(message, path).to.include(path);
    }
    // Checks across keys run once every key is well-formed on its own.
    const unknown = fullConfig();
    unknown.teams[0].sla.byCategory = { bezorging: { firstResponseHours: 4 } };
    expect(configError(unknown)).to.include('teams[0].sla.byCategory.bezorging: unknown category "bezorging"');
  });

  it('the shipped demo configuration still loads', () => {
    expect(loadHubConfig(SHIPPED).teams[0]?.id).to.equal('service');
  });
});

describe('environment (readEnv)', () => {
  it('has the SPEC defaults', () => {
    const env = readEnv({});
    expect(env.PORT).to.equal(3000);
    expect(env.DATABASE_URL).to.equal('sqlite:./data/klachtenhub.db');
    expect(env.HUB_CONFIG).to.equal('config/klachtenhub.json');
    expect(env.PUBLIC_URL).to.equal('http://localhost:3000');
    expect(env.API_TOKEN).to.equal(undefined);
  });

  it('strips a trailing slash from PUBLIC_URL', () => {
    expect(readEnv({ PUBLIC_URL: 'https://hub.example.nl/' }).PUBLIC_URL).to.equal('https://hub.example.nl');
  });

  it('names PORT when it is not a port number', () => {
    for (const PORT of ['abc', '70000', '-1', '3.5']) {
      expect(() => readEnv({ PORT }), PORT).to.throw(ConfigError, /PORT/);
    }
  });

  it('never turns an empty PORT into port 0 (a random port): it is the default or an error naming PORT', () => {
    let port: number | undefined;
    try {
      port = readEnv({ PORT: '' }).PORT;
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.include('PORT');
      return;
    }
    expect(port).to.equal(3000);
  });

  it('names PUBLIC_URL when it is not a URL', () => {
    expect(() => readEnv({ PUBLIC_URL: 'not a url' })).to.throw(ConfigError, /PUBLIC_URL/);
  });

  it('does not put secret values in its error', () => {
    try {
      readEnv({ API_TOKEN: 'super-secret-value', PORT: 'abc' });
      expect.fail('expected a ConfigError');
    } catch (error) {
      expect((error as Error).message).not.to.include('super-secret-value');
    }
  });
});

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

function refused(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      done(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED'));
  });
}

/** Runs `node --import tsx src/main.ts` with only the given environment (plus PATH and HOME). */
function runMain(env: Record<string, string>, options: { until?: RegExp; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (options.until?.test(stdout)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.once('error', fail);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
  });
}

function expectNoStack(text: string): void {
  expect(text).not.to.match(/\n\s+at /);
  expect(text).not.to.match(/\.(ts|js):\d+:\d+/);
}

describe('start-up with a bad configuration', function () {
  this.timeout(60_000);
  let dir: string;
  let port: number;
  let databaseUrl: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'klachtenhub-start-'));
    port = await freePort();
    databaseUrl = `sqlite:${join(dir, 'hub.db')}`;
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function expectRefusedStart(result: RunResult): Promise<void> {
    expect(result.signal, result.stderr).to.equal(null);
    expect(result.code, result.stderr).to.be.a('number').and.not.equal(0);
    expect(result.stderr).to.include('Klachtenhub did not start');
    expectNoStack(result.stderr);
    expect(result.stdout).not.to.include('Klachtenhub is listening');
    expect(await refused(port)).to.equal(true);
  }

  it('starts and listens with the shipped configuration (control for the tests below)', async () => {
    const result = await runMain({ PORT: String(port), DATABASE_URL: databaseUrl, HUB_CONFIG: SHIPPED }, { until: /Klachtenhub is listening/ });
    expect(result.stdout, result.stderr).to.include('Klachtenhub is listening');
  });

  it('exits non-zero naming the file and the unknown key, without listening or a stack trace', async () => {
    const path = join(dir, 'bad-hub.json');
    const raw = JSON.parse(readFileSync(SHIPPED, 'utf8'));
    raw.teams[0].colour = 'blue';
    writeFileSync(path, JSON.stringify(raw));
    const result = await runMain({ PORT: String(port), DATABASE_URL: databaseUrl, HUB_CONFIG: path });
    await expectRefusedStart(result);
    expect(result.stderr).to.include(path);
    expect(result.stderr).to.include('teams[0].colour');
  });

  it('exits non-zero naming a missing configuration file', async () => {
    const path = join(dir, 'does-not-exist.json');
    const result = await runMain({ PORT: String(port), DATABASE_URL: databaseUrl, HUB_CONFIG: path });
    await expectRefusedStart(result);
    expect(result.stderr).to.include(path);
  });

  it('exits non-zero naming a configuration file that is not JSON', async () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{ "teams": [ ');
    const result = await runMain({ PORT: String(port), DATABASE_URL: databaseUrl, HUB_CONFIG: path });
    await expectRefusedStart(result);
    expect(result.stderr).to.include(path);
    expect(result.stderr).to.include('not valid JSON');
  });

  it('exits non-zero naming HUB_TIMEZONE when it is not a known time zone, without a stack trace', async () => {
    const result = await runMain({ PORT: String(port), DATABASE_URL: databaseUrl, HUB_CONFIG: SHIPPED, HUB_TIMEZONE: 'Mars/Olympus_Mons' });
    await expectRefusedStart(result);
    expect(result.stderr).to.include('HUB_TIMEZONE');
  });

  it('exits non-zero naming the file and holidays for an unknown holiday country, without a stack trace', async () => {
    const path = join(dir, 'holidays.json');
    const raw = JSON.parse(readFileSync(SHIPPED, 'utf8'));
    raw.holidays = 'XX';
    writeFileSync(path, JSON.stringify(raw));
    const result = await runMain({ PORT: String(port), DATABASE_URL: databaseUrl, HUB_CONFIG: path });
    await expectRefusedStart(result);
    expect(result.stderr).to.include(path);
    expect(result.stderr).to.include('holidays');
  });

  it('exits non-zero naming PORT when it is not a number', async () => {
    const result = await runMain({ PORT: 'abc', DATABASE_URL: databaseUrl, HUB_CONFIG: SHIPPED });
    expect(result.code, result.stderr).to.be.a('number').and.not.equal(0);
    expect(result.stderr).to.include('PORT');
    expect(result.stderr).to.include('Klachtenhub did not start');
    expectNoStack(result.stderr);
    expect(result.stdout).not.to.include('Klachtenhub is listening');
  });
});
