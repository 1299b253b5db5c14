#!/usr/bin/env node
// Vela black-box conformance runner. Plain Node 20, no build step, no import of src/.
//
//   node compat-tests/run.mjs                      start the built broker (dist/cli.js) on free ports
//   node compat-tests/run.mjs --service-url pulsar://h:p --admin-url http://h:p   test a running broker
//   node compat-tests/run.mjs --reference          start real Apache Pulsar (compat-tests/reference/start-pulsar.sh)
//
// It runs every client suite (python, flex, raw) against the broker, prints a scenario × client matrix,
// writes it to RESULTS.md (REFERENCE.md in reference mode) and ends with the line `N passed, M failed`.
// See compat-tests/README.md.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');
let CLIENTS = []; // client suite ids, from scenarios.json 'clients' (matrix columns, in that order)
const DEFAULT_TIMEOUT_S = 60;
const SUITE_STARTUP_GRACE_S = 20; // interpreter start + imports before the first scenario
const VELA_READY_TIMEOUT_MS = 60_000;
const REFERENCE_READY_TIMEOUT_MS = 600_000; // first run resolves the classpath from Maven Central
const STOP_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// options

const HELP = `usage: node compat-tests/run.mjs [options]
  (no broker option)       start the built Vela broker (node dist/cli.js) on free ports with a fresh data dir
  --service-url URL        test an already running broker (binary URL, pulsar://host:port)
  --admin-url URL          its HTTP URL (http://host:port); required with --service-url
  --reference              start real Apache Pulsar with compat-tests/reference/start-pulsar.sh
  --only ID[,ID...]        run only these scenarios
  --clients C[,C...]       run only these client suites (ids in scenarios.json 'clients')
  --timeout-scale X        multiply every scenario budget by X (default 1; 2 in reference mode)
  --results FILE           write the matrix to FILE (default: RESULTS.md, or REFERENCE.md with --reference;
                           none for an external broker or a filtered run)
  --ignore-gaps            treat expected-gaps.json as empty (always on with --reference)
  --keep-data              keep the temporary broker data directory
  --no-install             do not run compat-tests/install.sh first
  -h, --help               this text`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      'service-url': { type: 'string' },
      'admin-url': { type: 'string' },
      reference: { type: 'boolean', default: false },
      only: { type: 'string' },
      clients: { type: 'string' },
      'timeout-scale': { type: 'string' },
      results: { type: 'string' },
      'ignore-gaps': { type: 'boolean', default: false },
      'keep-data': { type: 'boolean', default: false },
      'no-install': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const external = values['service-url'] !== undefined || values['admin-url'] !== undefined;
  if (external && (!values['service-url'] || !values['admin-url'])) {
    throw new Error('--service-url and --admin-url go together');
  }
  if (external && values.reference) throw new Error('--reference starts its own broker; drop --service-url');
  const mode = values.reference ? 'reference' : external ? 'external' : 'vela';
  const scale = Number(values['timeout-scale'] ?? (mode === 'reference' ? 2 : 1));
  if (!(scale > 0)) throw new Error('--timeout-scale must be a positive number');
  const list = (s) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : null);
  return {
    mode,
    serviceUrl: values['service-url'],
    adminUrl: values['admin-url']?.replace(/\/+$/, ''),
    only: list(values.only),
    clients: list(values.clients),
    scale,
    results: values.results,
    ignoreGaps: values['ignore-gaps'] || mode === 'reference',
    keepData: values['keep-data'],
    install: !values['no-install'],
  };
}

// ---------------------------------------------------------------------------------------------
// catalogue and expected gaps

function loadCatalogue() {
  const cat = JSON.parse(fs.readFileSync(path.join(HERE, 'scenarios.json'), 'utf8'));
  // scenarios.d/*.json: one fragment per feature area, each { "scenarios": [...] }, appended in name order
  const fragDir = path.join(HERE, 'scenarios.d');
  const fragments = fs.existsSync(fragDir) ? fs.readdirSync(fragDir).filter((f) => f.endsWith('.json')).sort() : [];
  for (const f of fragments) cat.scenarios.push(...JSON.parse(fs.readFileSync(path.join(fragDir, f), 'utf8')).scenarios);
  CLIENTS = Object.keys(cat.clients ?? {});
  for (const [id, c] of Object.entries(cat.clients ?? {})) {
    if (!Array.isArray(c.command) || c.command.length === 0) throw new Error(`scenarios.json: client ${id} needs a command`);
  }
  const ids = new Set();
  for (const s of cat.scenarios) {
    if (ids.has(s.id)) throw new Error(`scenarios.json: duplicate id ${s.id}`);
    ids.add(s.id);
    for (const c of s.clients) if (!CLIENTS.includes(c)) throw new Error(`scenarios.json: ${s.id}: unknown client ${c}`);
    if (!s.behaviour || !s.source) throw new Error(`scenarios.json: ${s.id}: behaviour and source are required`);
    s.timeoutS = s.timeoutS ?? DEFAULT_TIMEOUT_S;
    s.restart = Boolean(s.restart);
  }
  return cat;
}

function loadGaps(cat) {
  const file = path.join(HERE, 'expected-gaps.json');
  if (!fs.existsSync(file)) return [];
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  const gaps = Array.isArray(doc) ? doc : doc.gaps ?? [];
  for (const g of gaps) {
    const s = cat.scenarios.find((x) => x.id === g.scenario);
    if (!s) throw new Error(`expected-gaps.json: unknown scenario '${g.scenario}'`);
    if (!s.clients.includes(g.client)) throw new Error(`expected-gaps.json: ${g.scenario} is not run by client '${g.client}'`);
    if (!g.reason) throw new Error(`expected-gaps.json: ${g.scenario}/${g.client} needs a reason`);
  }
  return gaps;
}

// ---------------------------------------------------------------------------------------------
// small process helpers

const children = new Set(); // every process group we started, killed on our way out
const strayPids = new Set(); // processes we started that left our process groups (setsid), killed too

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killGroup(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // detached children lead their own process group
  } catch {
    try { child.kill(signal); } catch { /* already gone */ }
  }
}

function onExitKillAll() {
  for (const c of children) killGroup(c, 'SIGKILL');
  for (const pid of strayPids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
}
process.on('exit', onExitKillAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\ncompat: got ${sig}, stopping`);
    onExitKillAll();
    process.exit(130);
  });
}

function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => { clearTimeout(t); resolve(true); });
  });
}

// A zombie (exited, not yet reaped by an init that never reaps) counts as dead.
function pidAlive(pid) {
  try { process.kill(pid, 0); } catch { return false; }
  try { return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return true; }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Wait for a line matching `re` on the child's stdout. Fails when stdout closes first (the process ended)
// or after `ms`. (Not on 'exit': a launcher script may exit right after printing the line.)
function waitForLine(child, re, ms, what) {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    let settled = false;
    const done = (fn, v) => { if (settled) return; settled = true; clearTimeout(timer); fn(v); };
    rl.on('line', (line) => { const m = re.exec(line); if (m) done(resolve, m); });
    rl.on('close', () => done(reject, new Error(`${what} ended (code ${child.exitCode}, signal ${child.signalCode}) before it was ready`)));
    const timer = setTimeout(() => done(reject, new Error(`${what} not ready after ${ms / 1000}s`)), ms);
  });
}

function tail(file, lines = 15) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// brokers: the built Vela, real Pulsar (reference), or an external one

class VelaBroker {
  constructor(logDir, keepData) {
    this.cli = path.join(REPO, 'dist', 'cli.js');
    if (!fs.existsSync(this.cli)) throw new Error(`${this.cli} not found: build the broker first (npm run build)`);
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-compat-'));
    this.log = path.join(logDir, 'broker.log');
    this.keepData = keepData;
    this.port = 0;
    this.httpPort = 0;
    this.canRestart = true;
  }

  describe() {
    const sha = spawnSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
    const dirty = spawnSync('git', ['-C', REPO, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).stdout.trim();
    const version = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version;
    return `Vela ${version} (${sha || 'unknown commit'}${dirty ? ', uncommitted src changes' : ''}), dist/cli.js`;
  }

  async start() {
    // A port freed by a killed broker can take a moment to be bindable again: retry a few times.
    let lastErr;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        return await this.startOnce();
      } catch (e) {
        lastErr = e;
        if (this.port === 0) break; // first start on free ports: nothing to retry
        await sleep(1000);
      }
    }
    throw new Error(`${lastErr.message}\n--- broker log tail ---\n${tail(this.log)}`);
  }

  async startOnce() {
    const args = [this.cli, '--port', String(this.port), '--http-port', String(this.httpPort),
      '--data-dir', this.dataDir, '--advertised-address', '127.0.0.1'];
    const out = fs.openSync(this.log, 'a');
    fs.writeSync(out, `\n=== ${new Date().toISOString()} node ${args.join(' ')}\n`);
    const child = track(spawn(process.execPath, args, { cwd: REPO, detached: true, stdio: ['ignore', 'pipe', out] }));
    fs.closeSync(out);
    child.stdout.on('data', (d) => fs.appendFileSync(this.log, d));
    const m = await waitForLine(child, /^vela ready (pulsar:\/\/\S+) (http:\/\/\S+)/, VELA_READY_TIMEOUT_MS, 'vela broker')
      .catch((e) => { killGroup(child, 'SIGKILL'); throw e; });
    this.child = child;
    this.serviceUrl = m[1];
    this.adminUrl = m[2].replace(/\/+$/, '');
    this.port = Number(new URL(this.serviceUrl).port);
    this.httpPort = Number(new URL(this.adminUrl).port);
  }

  async stop(mode) {
    const child = this.child;
    if (!child) return '';
    this.child = null;
    if (mode === 'kill') {
      killGroup(child, 'SIGKILL');
      await waitExit(child, STOP_TIMEOUT_MS);
      return '';
    }
    killGroup(child, 'SIGTERM');
    if (await waitExit(child, STOP_TIMEOUT_MS)) {
      return child.exitCode === 0 ? '' : `broker exited with code ${child.exitCode} signal ${child.signalCode} on SIGTERM`;
    }
    killGroup(child, 'SIGKILL');
    await waitExit(child, STOP_TIMEOUT_MS);
    return `broker did not exit within ${STOP_TIMEOUT_MS / 1000}s of SIGTERM (killed)`;
  }

  async cleanup() {
    await this.stop('term');
    if (!this.keepData) fs.rmSync(this.dataDir, { recursive: true, force: true });
    else console.log(`compat: broker data kept in ${this.dataDir}`);
  }
}

// Real Apache Pulsar standalone, started by compat-tests/reference/start-pulsar.sh (maintained separately).
// The script starts the JVM detached (setsid), waits until it is healthy, prints
// `PULSAR READY service=pulsar://127.0.0.1:<port> admin=http://127.0.0.1:<web> pid=<pid>` and exits.
// Restart = signal the JVM (SIGKILL for mode=kill, SIGTERM otherwise, as stop-pulsar.sh does), then run the
// script again with the same run dir, the same ports and --keep-data.
class ReferenceBroker {
  constructor(logDir, keepData) {
    this.dir = path.join(HERE, 'reference');
    this.script = path.join(this.dir, 'start-pulsar.sh');
    if (!fs.existsSync(this.script)) throw new Error(`${this.script} not found`);
    this.runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulsar-compat-'));
    this.log = path.join(logDir, 'pulsar.log');
    this.keepData = keepData;
    this.canRestart = true;
    this.port = 0;
    this.httpPort = 0;
  }

  describe() {
    return `Apache Pulsar ${this.version ?? '(version unknown)'} standalone (compat-tests/reference/start-pulsar.sh)`;
  }

  async start() {
    const args = [this.script, '--run-dir', this.runDir];
    if (this.port) args.push('--broker-port', String(this.port), '--web-port', String(this.httpPort), '--keep-data');
    else args.push('--free-ports');
    const out = fs.openSync(this.log, 'a');
    fs.writeSync(out, `\n=== ${new Date().toISOString()} bash ${args.join(' ')}\n`);
    const child = track(spawn('bash', args, { cwd: this.dir, detached: true, stdio: ['ignore', 'pipe', out] }));
    fs.closeSync(out);
    child.stdout.on('data', (d) => fs.appendFileSync(this.log, d));
    const re = /PULSAR READY service=(pulsar:\/\/\S+) admin=(http:\/\/\S+) pid=(\d+)/;
    const m = await waitForLine(child, re, REFERENCE_READY_TIMEOUT_MS, 'start-pulsar.sh').catch((e) => {
      killGroup(child, 'SIGKILL');
      this.adoptPidFile();
      throw new Error(`${e.message}\n--- log tail ---\n${tail(this.log)}`);
    });
    this.serviceUrl = m[1];
    this.adminUrl = m[2].replace(/\/+$/, '');
    this.pid = Number(m[3]);
    strayPids.add(this.pid);
    this.port = Number(new URL(this.serviceUrl).port);
    this.httpPort = Number(new URL(this.adminUrl).port);
    this.version = await fetchText(`${this.adminUrl}/admin/v2/brokers/version`).catch(() => this.version);
  }

  // if the script failed after launching the JVM, make sure we still stop it
  adoptPidFile() {
    try {
      const pid = Number(fs.readFileSync(path.join(this.runDir, 'pulsar.pid'), 'utf8').trim());
      if (pid > 0) { this.pid = pid; strayPids.add(pid); }
    } catch { /* no JVM started */ }
  }

  async stop(mode) {
    if (!this.pid) return '';
    const pid = this.pid;
    this.pid = 0;
    const alive = () => pidAlive(pid);
    try { process.kill(pid, mode === 'kill' ? 'SIGKILL' : 'SIGTERM'); } catch { /* gone */ }
    const deadline = Date.now() + (mode === 'kill' ? 10_000 : 60_000);
    while (alive() && Date.now() < deadline) await sleep(200);
    let note = '';
    if (alive()) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      note = 'Pulsar did not stop within 60 s of SIGTERM (killed)';
      const end = Date.now() + 10_000;
      while (alive() && Date.now() < end) await sleep(200);
    }
    strayPids.delete(pid);
    return note;
  }

  async cleanup() {
    await this.stop('term');
    if (!this.keepData) fs.rmSync(this.runDir, { recursive: true, force: true });
    else console.log(`compat: Pulsar run dir kept in ${this.runDir}`);
  }
}

class ExternalBroker {
  constructor(serviceUrl, adminUrl) {
    this.serviceUrl = serviceUrl;
    this.adminUrl = adminUrl;
    this.canRestart = false;
  }
  describe() { return `external broker ${this.serviceUrl} ${this.adminUrl}`; }
  async start() {
    const u = new URL(this.serviceUrl);
    await new Promise((resolve, reject) => {
      const s = net.connect({ host: u.hostname, port: Number(u.port) || 6650 });
      s.setTimeout(5000, () => { s.destroy(); reject(new Error(`no answer from ${this.serviceUrl}`)); });
      s.once('connect', () => { s.destroy(); resolve(); });
      s.once('error', (e) => reject(new Error(`cannot reach ${this.serviceUrl}: ${e.message}`)));
    });
    this.version = await fetchText(`${this.adminUrl}/admin/v2/brokers/version`).catch(() => undefined);
  }
  async stop() { return ''; }
  async cleanup() {}
}

function fetchText(url, ms = 5000) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: ms }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body.trim().replace(/^"|"$/g, '')) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------
// control endpoint: POST /restart?mode=kill|term (serialised), GET /status

async function startControl(broker) {
  let busy = Promise.resolve();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://control');
    const reply = (code, obj) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
    if (req.method === 'GET' && url.pathname === '/status') {
      return reply(200, { serviceUrl: broker.serviceUrl, adminUrl: broker.adminUrl });
    }
    if (req.method !== 'POST' || url.pathname !== '/restart') return reply(404, { error: 'POST /restart?mode=kill|term' });
    const mode = url.searchParams.get('mode') ?? 'term';
    if (mode !== 'kill' && mode !== 'term') return reply(400, { error: `mode must be kill or term, not ${mode}` });
    busy = busy.then(async () => {
      const t0 = Date.now();
      try {
        const note = await broker.stop(mode);
        if (note) console.log(`compat: restart (${mode}): ${note}`);
        await broker.start();
        reply(200, { ok: true, mode, ms: Date.now() - t0, note, serviceUrl: broker.serviceUrl, adminUrl: broker.adminUrl });
      } catch (e) {
        reply(500, { ok: false, error: String(e.message ?? e) });
      }
    });
  });
  server.requestTimeout = 0; // a restart of real Pulsar can take minutes; the suites bound their own wait
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

// ---------------------------------------------------------------------------------------------
// suites

function suiteCommand(ctx, client) {
  const [cmd, ...args] = ctx.cat.clients[client].command.map((x) => (x === '{node}' ? process.execPath : x));
  return [cmd.includes('/') ? path.resolve(HERE, cmd) : cmd, args];
}

// Runs one suite process on `scenarios` (in order). Resolves with the results it printed and why it ended.
function runSuiteOnce(ctx, client, scenarios) {
  const [cmd, args] = suiteCommand(ctx, client);
  const env = {
    ...process.env,
    SERVICE_URL: ctx.broker.serviceUrl,
    ADMIN_URL: ctx.broker.adminUrl,
    COMPAT_CONTROL_URL: ctx.controlUrl ?? '',
    COMPAT_SCENARIOS: scenarios.map((s) => s.id).join(','),
    COMPAT_RUN_ID: ctx.runId,
    COMPAT_LOG_DIR: ctx.logDir,
    COMPAT_PROTO: path.join(REPO, 'proto', 'PulsarApi.proto'),
    COMPAT_TIMEOUT_SCALE: String(ctx.scale),
    PYTHONDONTWRITEBYTECODE: '1',
  };
  const outLog = path.join(ctx.logDir, `${client}.out.log`);
  const errLog = path.join(ctx.logDir, `${client}.err.log`);
  fs.appendFileSync(outLog, `\n=== ${new Date().toISOString()} ${scenarios.map((s) => s.id).join(',')}\n`);
  fs.appendFileSync(errLog, `\n=== ${new Date().toISOString()} ${scenarios.map((s) => s.id).join(',')}\n`);
  const child = track(spawn(cmd, args, { cwd: HERE, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }));
  child.stderr.on('data', (d) => fs.appendFileSync(errLog, d));

  const results = [];
  const pending = scenarios.map((s) => s.id);
  let timedOut = null;
  let timer;
  const arm = (first) => {
    clearTimeout(timer);
    const next = scenarios.find((s) => s.id === pending[0]);
    if (!next) return;
    const budgetS = next.timeoutS * ctx.scale + (first ? SUITE_STARTUP_GRACE_S : 0);
    timer = setTimeout(() => {
      timedOut = { id: next.id, budgetS };
      killGroup(child, 'SIGKILL');
    }, budgetS * 1000);
  };
  arm(true);

  const rl = readline.createInterface({ input: child.stdout });
  rl.on('line', (line) => {
    fs.appendFileSync(outLog, line + '\n');
    let r;
    try { r = JSON.parse(line); } catch { return; }
    if (!r || typeof r.scenario !== 'string' || !['pass', 'fail', 'skip'].includes(r.status)) return;
    const i = pending.indexOf(r.scenario);
    if (i < 0) return; // not asked for (or reported twice): ignore
    pending.splice(i, 1);
    results.push({ scenario: r.scenario, client, status: r.status, reason: String(r.reason ?? ''), ms: Number(r.ms) || 0 });
    if (ctx.progress) ctx.progress(client, results[results.length - 1]);
    arm(false);
  });
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // let readline drain what is buffered
      setImmediate(() => resolve({ results, pending, code, signal, timedOut, errTail: tail(errLog, 8) }));
    });
  });
}

// Runs a suite until every scenario has a result: a crash or hang fails only the scenario it happened in,
// and the suite is started again for the ones after it.
async function runSuite(ctx, client, scenarios) {
  const all = [];
  let rest = scenarios;
  while (rest.length > 0) {
    const r = await runSuiteOnce(ctx, client, rest);
    all.push(...r.results);
    if (r.pending.length === 0) break;
    const culprit = r.pending[0];
    let reason;
    if (r.timedOut) reason = `no result within ${r.timedOut.budgetS}s: client hung, suite killed`;
    else reason = `suite exited (code ${r.code}, signal ${r.signal}) before reporting this scenario${r.errTail ? `; stderr: ${r.errTail.split('\n').slice(-3).join(' | ')}` : ''}`;
    const res = { scenario: culprit, client, status: 'fail', reason, ms: 0 };
    all.push(res);
    if (ctx.progress) ctx.progress(client, res);
    rest = rest.filter((s) => r.pending.includes(s.id) && s.id !== culprit);
  }
  return all;
}

// ---------------------------------------------------------------------------------------------
// matrix

function buildMatrix(cat, selected, results, gaps) {
  const cells = new Map(); // `${id}\t${client}` -> cell
  const key = (id, c) => `${id}\t${c}`;
  for (const r of results) cells.set(key(r.scenario, r.client), { ...r });
  const rows = [];
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const lists = { failures: [], skips: [], gaps: [], unexpectedPasses: [] };
  for (const s of cat.scenarios) {
    const row = { id: s.id, cells: {} };
    for (const c of CLIENTS) {
      if (!s.clients.includes(c)) {
        row.cells[c] = { label: 'n/a', reason: s.na?.[c] ?? cat.defaultNa?.[c] ?? '' };
        continue;
      }
      if (!selected.has(key(s.id, c))) { row.cells[c] = { label: '-', reason: 'not selected' }; continue; }
      const r = cells.get(key(s.id, c)) ?? { status: 'fail', reason: 'no result reported', ms: 0 };
      const gap = gaps.find((g) => g.scenario === s.id && g.client === c);
      if (gap && r.status === 'fail') {
        row.cells[c] = { label: 'gap', reason: r.reason };
        counts.skipped++;
        lists.gaps.push({ id: s.id, client: c, reason: gap.reason, observed: r.reason });
      } else if (gap && r.status === 'pass') {
        row.cells[c] = { label: 'XPASS', reason: 'passes but is listed in expected-gaps.json: remove the entry' };
        counts.failed++;
        lists.unexpectedPasses.push({ id: s.id, client: c, reason: gap.reason });
      } else if (r.status === 'pass') {
        row.cells[c] = { label: 'pass', ms: r.ms };
        counts.passed++;
      } else if (r.status === 'skip') {
        row.cells[c] = { label: 'skip', reason: r.reason };
        counts.skipped++;
        lists.skips.push({ id: s.id, client: c, reason: r.reason });
      } else {
        row.cells[c] = { label: 'FAIL', reason: r.reason };
        counts.failed++;
        lists.failures.push({ id: s.id, client: c, reason: r.reason });
      }
    }
    rows.push(row);
  }
  return { rows, counts, lists };
}

function summaryLine(counts) {
  return `${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`;
}

function renderText(m) {
  const w = Math.max(...m.rows.map((r) => r.id.length), 8);
  const lines = [`${'scenario'.padEnd(w)}  ${CLIENTS.map((c) => c.padEnd(6)).join('  ')}`];
  lines.push('-'.repeat(w + CLIENTS.length * 8));
  for (const r of m.rows) lines.push(`${r.id.padEnd(w)}  ${CLIENTS.map((c) => r.cells[c].label.padEnd(6)).join('  ')}`);
  const section = (title, list, fmt) => {
    if (list.length === 0) return;
    lines.push('', `${title}:`);
    for (const x of list) lines.push(`  ${x.id} × ${x.client}: ${fmt(x)}`);
  };
  section('Failures', m.lists.failures, (x) => x.reason);
  section('Unexpected passes (listed in expected-gaps.json)', m.lists.unexpectedPasses, (x) => x.reason);
  section('Skipped', m.lists.skips, (x) => x.reason);
  section('Skipped (expected gap)', m.lists.gaps, (x) => `${x.reason} — observed: ${x.observed}`);
  return lines.join('\n');
}

function mdEscape(s) {
  return String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function renderMarkdown(m, cat, meta) {
  const out = [];
  out.push(meta.mode === 'reference' ? '# Conformance suite against real Apache Pulsar' : '# Conformance suite results', '');
  out.push(`- Broker: ${meta.broker}`);
  out.push(`- Date: ${meta.date}`);
  out.push(`- Clients: ${CLIENTS.map((c) => `${c} = ${cat.clients[c].about}`).join('; ')}`);
  out.push(`- Machine: ${os.cpus().length} cores, Node ${process.version}, ${os.platform()} ${os.release()}`);
  out.push(`- Command: \`${meta.command}\``);
  out.push('', 'Legend: pass · FAIL · skip (the scenario could not run here) · gap (fails as listed in expected-gaps.json) · n/a (the client lacks the feature).', '');
  out.push(`| scenario | ${CLIENTS.join(' | ')} | behaviour |`);
  out.push(`|---|${CLIENTS.map(() => '---').join('|')}|---|`);
  for (const r of m.rows) {
    const s = cat.scenarios.find((x) => x.id === r.id);
    out.push(`| ${r.id} | ${CLIENTS.map((c) => (r.cells[c].label === 'FAIL' ? '**FAIL**' : r.cells[c].label)).join(' | ')} | ${mdEscape(s.behaviour)} |`);
  }
  const section = (title, list, fmt) => {
    if (list.length === 0) return;
    out.push('', `## ${title}`, '');
    for (const x of list) out.push(`- \`${x.id}\` × ${x.client}: ${mdEscape(fmt(x))}`);
  };
  section('Failures', m.lists.failures, (x) => x.reason);
  section('Unexpected passes (remove from expected-gaps.json)', m.lists.unexpectedPasses, (x) => x.reason);
  section('Skipped', m.lists.skips, (x) => x.reason);
  section('Skipped (expected gap)', m.lists.gaps, (x) => `${x.reason} — observed: ${x.observed}`);
  out.push('', summaryLine(m.counts), '');
  return out.join('\n');
}

// keep only the newest `keep` run directories under .logs/
function pruneLogs(dir, keep) {
  const runs = fs.readdirSync(dir).filter((d) => /^\d{4}-/.test(d)).sort();
  for (const d of runs.slice(0, Math.max(0, runs.length - keep))) fs.rmSync(path.join(dir, d), { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// main

async function main() {
  const opts = parseOptions();
  const cat = loadCatalogue();
  const gaps = opts.ignoreGaps ? [] : loadGaps(cat);
  for (const id of opts.only ?? []) if (!cat.scenarios.some((s) => s.id === id)) throw new Error(`--only: unknown scenario ${id}`);
  for (const c of opts.clients ?? []) if (!CLIENTS.includes(c)) throw new Error(`--clients: unknown client ${c}`);

  if (opts.install) {
    const scripts = new Set(CLIENTS.filter((c) => !opts.clients || opts.clients.includes(c)).map((c) => cat.clients[c].install).filter(Boolean));
    for (const script of scripts) {
      const r = spawnSync('bash', [path.resolve(HERE, script)], { cwd: HERE, stdio: ['ignore', 'ignore', 'inherit'] });
      if (r.status !== 0) throw new Error(`compat-tests/${script} failed`);
    }
  }

  const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const logDir = path.join(HERE, '.logs', `${new Date().toISOString().replace(/[:.]/g, '-')}-${opts.mode}`);
  fs.mkdirSync(logDir, { recursive: true });
  pruneLogs(path.dirname(logDir), 20);

  const broker = opts.mode === 'vela' ? new VelaBroker(logDir, opts.keepData)
    : opts.mode === 'reference' ? new ReferenceBroker(logDir, opts.keepData)
      : new ExternalBroker(opts.serviceUrl, opts.adminUrl);
  const t0 = Date.now();
  console.log(`compat: starting ${opts.mode === 'external' ? 'check of external broker' : opts.mode === 'reference' ? 'Apache Pulsar (reference)' : 'Vela'}; logs in ${path.relative(process.cwd(), logDir)}`);
  let control;
  let exitCode = 1;
  try {
    await broker.start();
    console.log(`compat: broker ready in ${Date.now() - t0} ms: ${broker.serviceUrl} ${broker.adminUrl}`);
    if (broker.canRestart) control = await startControl(broker);
    const ctx = {
      cat,
      broker,
      runId,
      logDir,
      scale: opts.scale,
      controlUrl: control ? `http://127.0.0.1:${control.address().port}` : '',
      progress: (client, r) => {
        const gap = gaps.some((g) => g.scenario === r.scenario && g.client === client);
        const label = r.status === 'fail' ? (gap ? 'gap ' : 'FAIL') : r.status === 'pass' && gap ? 'XPASS' : r.status.padEnd(4);
        console.log(`  ${label} ${client.padEnd(6)} ${r.scenario}${r.status !== 'pass' && r.reason ? ` — ${r.reason}` : ''} (${r.ms} ms)`);
      },
    };

    // what to run, per client: scenarios without restarts in parallel, then restart scenarios one by one
    const selected = new Set();
    const plan = {};
    for (const c of CLIENTS) {
      if (opts.clients && !opts.clients.includes(c)) continue;
      const list = cat.scenarios.filter((s) => s.clients.includes(c) && (!opts.only || opts.only.includes(s.id)));
      for (const s of list) selected.add(`${s.id}\t${c}`);
      plan[c] = { normal: list.filter((s) => !s.restart), restart: list.filter((s) => s.restart) };
    }
    const results = [];
    const normal = await Promise.all(Object.entries(plan).map(([c, p]) => runSuite(ctx, c, p.normal)));
    for (const r of normal) results.push(...r);
    for (const [c, p] of Object.entries(plan)) if (p.restart.length) results.push(...(await runSuite(ctx, c, p.restart)));

    const m = buildMatrix(cat, selected, results, gaps);
    console.log('\n' + renderText(m) + '\n');
    const filtered = Boolean(opts.only || opts.clients);
    const resultsFile = opts.results ?? (filtered || opts.mode === 'external' ? null
      : path.join(HERE, opts.mode === 'reference' ? 'REFERENCE.md' : 'RESULTS.md'));
    if (resultsFile) {
      const meta = {
        mode: opts.mode,
        broker: broker.describe(),
        date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
        command: `node compat-tests/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
      };
      fs.writeFileSync(resultsFile, renderMarkdown(m, cat, meta));
      console.log(`compat: matrix written to ${path.relative(process.cwd(), resultsFile)}`);
    }
    console.log(`compat: total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    console.log(summaryLine(m.counts));
    exitCode = m.counts.failed === 0 ? 0 : 1;
  } finally {
    if (control) control.close();
    await broker.cleanup().catch((e) => console.error(`compat: broker cleanup: ${e.message}`));
  }
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`compat: ${e.stack ?? e}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
