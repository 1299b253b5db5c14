#!/usr/bin/env node
// Side-by-side benchmark: node bench/compare.mjs [--quick] [--smoke] [--brokers …] [--cpu-prof]
//
// Runs every workload against each broker in turn, in one run on one machine, each broker on fresh
// data dirs: Vela (dist/, fsync before every receipt), Apache Pulsar 4.0.7 standalone
// (compat-tests/reference/start-pulsar.sh) with its default journalSyncData=false and again with
// journalSyncData=true, and pulsar-lite (PyPI, pinned). The load generator is pulsar-perf
// (org.apache.pulsar:pulsar-testclient, pinned in bench/perf/pom.xml) for every broker; what it
// cannot do (start to first produce, 5 000 idle connections, a backlog of an exact size) is done by
// bench/go-load (official Go client). Writes bench/COMPARE.md and bench/charts/*.svg.
// --smoke: Vela only, Go load generator only (no Java), every workload scaled down to seconds; writes
// its report to a temp dir and exits non-zero if any workload failed (scripts/test-all.mjs runs it).
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import {
  here, root, log, sleep, now, monotonicUs, checkBuild, snapshotBuild, run, ensureVenv, ensureGoLoad, procStatus, python,
  track, exited, Broker, spawnGo, spawnClient, expectLine, topSelfTime, environment,
} from './common.mjs';

const LITE_VERSION = '0.2.0';
const refDir = join(root, 'compat-tests', 'reference');
const perfDir = join(here, 'perf');

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    brokers: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log(`Usage: node bench/compare.mjs [--quick] [--smoke] [--brokers vela,pulsar,pulsar-sync,lite] [--cpu-prof] [--out FILE]

  (default)  every broker, full scale (2,000,000-message backlog; about 25 minutes on 2 cores)
  --quick    shorter runs (12 s instead of 22 s) and a 200,000-message backlog
  --smoke    Vela only, Go load generator only (no Java needed), about 30 s; report to a temp dir
  --brokers  a subset, comma-separated
  --cpu-prof also profiles Vela (node --cpu-prof) under the unbatched produce workload
  --out FILE write the report there (charts beside it in charts/) instead of bench/COMPARE.md

See bench/README.md.`);
  process.exit(0);
}

const smoke = opts.smoke;
const quick = opts.quick;
const scale = smoke
  ? { timeS: 2, batchedCount: 30_000, unbatchedCount: 10_000, rate: 2_000, topics: 100, topicsRate: 2_000, ksKeys: 1_000, backlog: 20_000, conns: 500, holdS: 1, idleSettleMs: 500 }
  : { timeS: quick ? 12 : 22, batchedCount: 500_000, unbatchedCount: 200_000, rate: 2_000, topics: 100, topicsRate: 5_000, ksKeys: 10_000, backlog: quick ? 200_000 : 2_000_000, conns: 5_000, holdS: 3, idleSettleMs: 2_000 };
const SIZE = 1024;
const MB = 1e6;

// ---------------------------------------------------------------------------------------------
// Small helpers

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, timeoutMs) {
  const deadline = now() + timeoutMs;
  while (now() < deadline) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

/** VmRSS of a process and all its descendants, in bytes. */
function treeRss(pid) {
  const parent = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  let total = 0;
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop();
    total += procStatus(p).VmRSS ?? 0;
    for (const [child, pp] of parent) if (pp === p) todo.push(child);
  }
  return total;
}

/** Samples the broker's tree RSS every 250 ms while a workload runs. */
function rssSampler(pid) {
  let peak = 0;
  let last = 0;
  const sample = () => {
    last = treeRss(pid);
    peak = Math.max(peak, last);
  };
  sample();
  const timer = setInterval(sample, 250);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peak, last };
    },
  };
}

function findJava() {
  for (const home of [process.env.JAVA_HOME, '/usr/lib/jvm/java-17-openjdk-amd64', '/usr/lib/jvm/java-17-openjdk']) {
    if (home && existsSync(join(home, 'bin', 'java'))) return join(home, 'bin', 'java');
  }
  try {
    return run('bash', ['-c', 'command -v java']);
  } catch {
    return null;
  }
}

const fmt = {
  int: (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–'),
  ms: (v) => (!Number.isFinite(v) ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)),
  mb: (v) => (Number.isFinite(v) ? (v / MB).toFixed(1) : '–'),
  ratio: (v) => (Number.isFinite(v) ? `${v >= 10 ? v.toFixed(0) : v.toFixed(2)}×` : '–'),
};

// ---------------------------------------------------------------------------------------------
// Tools: pulsar-perf (Maven), Apache Pulsar (start-pulsar.sh --assemble-only), pulsar-lite (pip)

function ensurePerf(java) {
  if (!java) throw new Error('no java found (set JAVA_HOME to a Java 17 or 21 JDK)');
  const pom = readFileSync(join(perfDir, 'pom.xml'), 'utf8');
  const settings = join(refDir, 'settings.xml');
  const version = /<pulsar\.version>([^<]+)</.exec(pom)?.[1] ?? 'unknown';
  const key = createHash('sha256').update(pom).update(readFileSync(settings)).digest('hex').slice(0, 16);
  const cacheDir = join(perfDir, '.cache');
  const cpFile = join(cacheDir, `classpath-${key}.txt`);
  const complete = () => existsSync(cpFile) && readFileSync(cpFile, 'utf8').trim().split(':').every((jar) => existsSync(jar));
  if (!complete()) {
    mkdirSync(cacheDir, { recursive: true });
    log(`compare: resolving pulsar-perf ${version} (org.apache.pulsar:pulsar-testclient) with Maven`);
    try {
      execFileSync(process.env.MVN ?? 'mvn', ['-B', '-q', '-s', settings, '-f', join(perfDir, 'pom.xml'), 'dependency:build-classpath', '-Dmdep.includeScope=runtime', `-Dmdep.outputFile=${cpFile}`], {
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 1_200_000,
      });
    } catch (error) {
      throw new Error(`maven could not resolve pulsar-testclient ${version}: ${String(error.stdout ?? error.message).split('\n').filter((l) => l.includes('ERROR')).slice(0, 2).join(' ')}`);
    }
  }
  return { version, classpath: readFileSync(cpFile, 'utf8').trim() };
}

function ensurePulsar() {
  const pom = readFileSync(join(refDir, 'pom.xml'), 'utf8');
  const version = /<pulsar\.version>([^<]+)</.exec(pom)?.[1] ?? 'unknown';
  try {
    execFileSync('bash', [join(refDir, 'start-pulsar.sh'), '--assemble-only'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 1_500_000 });
  } catch (error) {
    throw new Error(`start-pulsar.sh --assemble-only failed: ${String(error.stderr ?? error.message).trim().split('\n').slice(-3).join(' ')}`);
  }
  return { version };
}

/** pulsar-lite from PyPI into bench/.venv; returns the path of the broker binary its wheel ships. */
function ensureLite() {
  ensureVenv();
  const probe = () => {
    try {
      return run(python, ['-c', 'import importlib.metadata as m; from pulsar_lite.binary_finder import find_pulsar_lite_binary as f; print(m.version("pulsar-lite"), f())']).split(' ');
    } catch {
      return null;
    }
  };
  let found = probe();
  if (found?.[0] !== LITE_VERSION) {
    log(`compare: installing pulsar-lite==${LITE_VERSION} into bench/.venv`);
    try {
      execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `pulsar-lite==${LITE_VERSION}`], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
    } catch (error) {
      throw new Error(`pip install pulsar-lite==${LITE_VERSION} failed: ${String(error.stderr ?? error.message).trim().split('\n').slice(-2).join(' ')}`);
    }
    found = probe();
    if (found?.[0] !== LITE_VERSION) throw new Error(`pulsar-lite ${LITE_VERSION} installed but its broker binary was not found`);
  }
  return { version: found[0], binary: found[1] };
}

// ---------------------------------------------------------------------------------------------
// Brokers. start({ port, keepData }) → { url, pid }; stop({ keepData }).

class VelaTarget {
  constructor() {
    this.id = 'vela';
    this.name = 'Vela';
    this.note = 'fsync before every receipt';
  }

  async start({ port = 0, keepData = false, profileDir } = {}) {
    this.broker = new Broker({ port, profileDir, dataDir: keepData ? this.dataDir : undefined });
    this.dataDir = this.broker.dataDir;
    await this.broker.ready(30_000);
    return { url: this.broker.url.replace('//localhost:', '//127.0.0.1:'), pid: this.broker.pid };
  }

  async stop({ keepData = false } = {}) {
    const result = await this.broker?.stop({ keepData });
    this.broker = null;
    if (!keepData) this.dataDir = null;
    return result;
  }
}

class PulsarTarget {
  constructor(id, name, overrides, note) {
    this.id = id;
    this.name = name;
    this.overrides = overrides;
    this.note = note;
  }

  async start({ port, keepData = false } = {}) {
    this.runDir ??= mkdtempSync(join(tmpdir(), `vela-compare-${this.id}-`));
    const brokerPort = port || (await freePort());
    let webPort = await freePort();
    while (webPort === brokerPort) webPort = await freePort();
    const args = ['--broker-port', String(brokerPort), '--web-port', String(webPort), '--run-dir', this.runDir, '--timeout', '300'];
    for (const kv of this.overrides) args.push('--set', kv);
    if (keepData) args.push('--keep-data');
    const proc = spawnClient('bash', [join(refDir, 'start-pulsar.sh'), ...args], 'start-pulsar.sh');
    const ready = await expectLine(proc, 'PULSAR READY', 330_000);
    this.pid = Number(/pid=(\d+)/.exec(ready.line)[1]);
    await exited(proc.child);
    return { url: `pulsar://127.0.0.1:${brokerPort}`, pid: this.pid };
  }

  async stop({ keepData = false } = {}) {
    if (!this.runDir) return null;
    const args = [join(refDir, 'stop-pulsar.sh'), '--run-dir', this.runDir, '--timeout', '30'];
    if (!keepData) args.push('--wipe');
    try {
      execFileSync('bash', args, { stdio: 'ignore', timeout: 60_000 });
    } catch {
      /* reported by the next start */
    }
    if (!keepData) {
      rmSync(this.runDir, { recursive: true, force: true });
      this.runDir = null;
    }
    return null;
  }
}

class LiteTarget {
  constructor(binary) {
    this.id = 'lite';
    this.name = 'pulsar-lite';
    this.binary = binary;
    this.note = 'default config (RocksDB)';
  }

  async start({ port, keepData = false } = {}) {
    if (!keepData || !this.dir) {
      if (this.dir) rmSync(this.dir, { recursive: true, force: true });
      this.dir = mkdtempSync(join(tmpdir(), 'vela-compare-lite-'));
      // Its Prometheus endpoint would bind 0.0.0.0:8080; nothing here reads it.
      writeFileSync(join(this.dir, 'lite.toml'), '[metrics]\nenabled = false\n');
    }
    this.port = port || (await freePort());
    this.stderr = '';
    this.child = track(
      spawn(this.binary, ['--config', join(this.dir, 'lite.toml'), '--addr', `127.0.0.1:${this.port}`, '--db-path', join(this.dir, 'db'), '--log-level', 'warn'], {
        cwd: this.dir,
        stdio: ['ignore', 'ignore', 'pipe'],
      }),
    );
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk) => (this.stderr = (this.stderr + chunk).slice(-20_000)));
    if (!port) await waitForPort(this.port, 30_000);
    return { url: `pulsar://127.0.0.1:${this.port}`, pid: this.child.pid };
  }

  async stop({ keepData = false } = {}) {
    if (this.child) {
      const done = exited(this.child);
      this.child.kill('SIGTERM');
      const outcome = await Promise.race([done, sleep(10_000).then(() => null)]);
      if (!outcome) {
        this.child.kill('SIGKILL');
        await done;
      }
      this.child = null;
    }
    if (!keepData && this.dir) {
      rmSync(this.dir, { recursive: true, force: true });
      this.dir = null;
    }
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Load generators. pulsar-perf: java PulsarPerfTestTool <conf> produce|consume …; it prints a line
// every 10 s ("Throughput produced: <total> msg --- <rate> msg/s …") and, at the end, aggregated
// latency percentiles. Go: bench/go-load/bin/load (see its probes.go for first, idle and live).

let perf = null; // { java, classpath, version }

function spawnPerf(mode, args) {
  const jvm = ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC', `-Dlog4j.configurationFile=${join(perfDir, 'log4j2.xml')}`, '-cp', perf.classpath];
  return spawnClient(perf.java, [...jvm, 'org.apache.pulsar.testclient.PulsarPerfTestTool', '/dev/null', mode, ...args], `pulsar-perf ${mode}`);
}

const num = (s) => Number(String(s).replace(/,/g, ''));

/** Collects pulsar-perf's report lines until the process exits. */
function perfCollector(proc, kind) {
  const intervals = [];
  const out = { intervals, latency: null, started: null, lines: [] };
  out.done = (async () => {
    for (;;) {
      const got = await proc.lines.next(600_000, 'pulsar-perf output');
      if (!got) break;
      const { line, at } = got;
      if (/ (ERROR|WARN) /.test(line)) out.lines.push(line.slice(0, 300));
      let m = /Throughput (?:produced|received):\s+([\d,.]+) msg ---\s+([\d,.]+)\s+msg\/s/.exec(line);
      if (m) intervals.push({ at, total: num(m[1]), rate: num(m[2]) });
      m = /Aggregated latency stats --- Latency: mean:\s*([\d.,]+) ms - med:\s*([\d.,]+) - 95pct:\s*([\d.,]+) - 99pct:\s*([\d.,]+) - 99\.9pct:\s*([\d.,]+) - 99\.99pct:\s*([\d.,]+) - 99\.999pct:\s*([\d.,]+) - Max:\s*([\d.,]+)/.exec(line);
      if (m) out.latency = { mean: num(m[1]), p50: num(m[2]), p95: num(m[3]), p99: num(m[4]), p99_9: num(m[5]), p99_99: num(m[6]), max: num(m[8]) };
      m = /Aggregated throughput stats --- (\d+) records/.exec(line);
      if (m) out.total = Number(m[1]);
      if (kind === 'consume' && line.includes('Start receiving from')) out.started = at;
      if (kind === 'consume' && line.includes('------------------- DONE')) out.doneAt = at;
      if (kind === 'produce' && /Created \d+ producers/.test(line)) out.started = at;
    }
    out.exit = await exited(proc.child);
    return out;
  })();
  return out;
}

/**
 * Steady rate from the 10-second report lines: the messages between the first and the last line over
 * the time between them (what arrives in the first interval includes connecting and JIT warm-up);
 * with one line, that line's rate.
 */
function steadyRate(intervals) {
  if (intervals.length >= 2) {
    const a = intervals[0];
    const b = intervals[intervals.length - 1];
    return ((b.total - a.total) / (b.at - a.at)) * 1000;
  }
  return intervals[0]?.rate ?? NaN;
}

async function perfProduce(url, topic, { batching, rate = 10_000_000, timeS, topics = 1, maxPending = 50_000, keys = false }) {
  const args = ['-u', url, '-r', String(rate), '-time', String(timeS), '-s', String(SIZE), '-o', String(maxPending)];
  if (batching === 'off') args.push('-db');
  if (topics > 1) args.push('-t', String(topics));
  if (keys) args.push('-mk', 'random');
  const proc = spawnPerf('produce', [...args, topic]);
  const c = perfCollector(proc, 'produce');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), (timeS + 90) * 1000);
  await c.done;
  clearTimeout(timer);
  if (!c.intervals.length && !c.latency) throw new Error(`pulsar-perf produce printed no figures (exit ${c.exit.code}): ${proc.stderr().slice(-500)} ${c.lines.slice(-3).join(' | ')}`);
  return { msgPerS: steadyRate(c.intervals), intervals: c.intervals, lat: c.latency, total: c.total, warnings: c.lines };
}

/** Starts a pulsar-perf consumer; resolves once it is receiving. stop() ends it (SIGTERM) and returns its figures. */
async function perfConsumer(url, topic, { type = 'Exclusive', consumers = 1, topics = 1, subscription = 'perf', count = 0 }) {
  const args = ['-u', url, '-st', type, '-n', String(consumers), '-ss', subscription, '-q', '1000'];
  if (count) args.push('-m', String(count), '-sp', 'Earliest');
  if (topics > 1) args.push('-t', String(topics));
  const proc = spawnPerf('consume', [...args, topic]);
  const c = perfCollector(proc, 'consume');
  const deadline = now() + 120_000;
  while (!c.started && now() < deadline && proc.child.exitCode === null) await sleep(100);
  if (!c.started) {
    proc.child.kill('SIGKILL');
    throw new Error(`pulsar-perf consume did not start receiving: ${proc.stderr().slice(-500)} ${c.lines.slice(-3).join(' | ')}`);
  }
  return {
    /** With `count`: waits until pulsar-perf has received that many and exited (or until timeoutMs). */
    async finished(timeoutMs) {
      const timer = setTimeout(() => proc.child.kill('SIGTERM'), timeoutMs);
      await c.done;
      clearTimeout(timer);
      return { started: c.started, doneAt: c.doneAt, intervals: c.intervals, total: c.total, warnings: c.lines };
    },
    async stop() {
      proc.child.kill('SIGTERM'); // its shutdown hook prints the aggregated figures
      const timer = setTimeout(() => proc.child.kill('SIGKILL'), 30_000);
      await c.done;
      clearTimeout(timer);
      return { msgPerS: steadyRate(c.intervals), intervals: c.intervals, lat: c.latency, total: c.total, warnings: c.lines };
    },
  };
}

async function goJson(mode, args, timeoutMs) {
  const proc = spawnGo(mode, args);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
  let json = null;
  for (;;) {
    const got = await proc.lines.next(timeoutMs + 5_000, `go-load ${mode} output`);
    if (!got) break;
    const line = got.line.startsWith('RESULT ') ? got.line.slice(7) : got.line;
    if (line.startsWith('{')) json = JSON.parse(line);
    if (line.startsWith('FAILED')) {
      clearTimeout(timer);
      throw new Error(`go-load ${mode}: ${line}`);
    }
  }
  clearTimeout(timer);
  const { code } = await exited(proc.child);
  if (!json) throw new Error(`go-load ${mode} exited ${code} without a result: ${proc.stderr().slice(-500)}`);
  return { ...json, exitCode: code, stderr: proc.stderr() };
}

const goPct = (h) => h && { p50: h.p50, p95: h.p95, p99: h.p99, p99_9: h.p99_9, p99_99: h.p99_99, max: h.max };

// ---------------------------------------------------------------------------------------------
// Workloads. Each gets { url, pid, target, tag } and returns its figures; the harness samples the
// broker's RSS around it.

let driver = 'perf'; // 'go' in --smoke (or when pulsar-perf cannot be installed)

const workloads = {
  async batched({ url, tag }) {
    if (driver === 'perf') {
      const r = await perfProduce(url, `persistent://public/default/batched-${tag}`, { batching: 'on', timeS: scale.timeS });
      return { msgPerS: r.msgPerS, lat: r.lat, total: r.total };
    }
    const r = await goJson('produce', ['-url', url, '-topic', `persistent://public/default/batched-${tag}`, '-count', String(scale.batchedCount), '-batching', 'on', '-time-cap', '30', '-grace', '20'], 120_000);
    return { msgPerS: r.msg_per_s, lat: { p50: r.p50_ms, p99: r.p99_ms, p99_9: r.p99_9_ms, max: r.max_ms }, total: r.acked };
  },

  async unbatched({ url, tag }) {
    if (driver === 'perf') {
      const r = await perfProduce(url, `persistent://public/default/unbatched-${tag}`, { batching: 'off', timeS: scale.timeS });
      return { msgPerS: r.msgPerS, lat: r.lat, total: r.total };
    }
    const r = await goJson('produce', ['-url', url, '-topic', `persistent://public/default/unbatched-${tag}`, '-count', String(scale.unbatchedCount), '-batching', 'off', '-time-cap', '30', '-grace', '20'], 120_000);
    return { msgPerS: r.msg_per_s, lat: { p50: r.p50_ms, p99: r.p99_ms, p99_9: r.p99_9_ms, max: r.max_ms }, total: r.acked };
  },

  async latency({ url, tag }) {
    const topic = `persistent://public/default/latency-${tag}`;
    if (driver === 'perf') {
      const consumer = await perfConsumer(url, topic, {});
      const p = await perfProduce(url, topic, { batching: 'on', rate: scale.rate, timeS: scale.timeS, maxPending: 1000 });
      await sleep(1000);
      const c = await consumer.stop();
      return { msgPerS: p.msgPerS, pub: p.lat, e2e: c.lat, received: c.total, total: p.total };
    }
    const r = await goJson('live', ['-url', url, '-topic', topic, '-rate', String(scale.rate), '-duration', String(scale.timeS)], 120_000);
    return { msgPerS: r.produce_msg_per_s, pub: goPct(r.pub), e2e: goPct(r.e2e), received: r.received, total: r.acked };
  },

  async topics({ url, tag }) {
    const topic = `persistent://public/default/many-${tag}`;
    if (driver === 'perf') {
      const consumer = await perfConsumer(url, topic, { topics: scale.topics });
      const p = await perfProduce(url, topic, { batching: 'on', rate: scale.topicsRate, timeS: scale.timeS, topics: scale.topics, maxPending: 1000 });
      await sleep(1000);
      const c = await consumer.stop();
      return { msgPerS: c.msgPerS, producedPerS: p.msgPerS, pub: p.lat, e2e: c.lat, received: c.total, total: p.total };
    }
    const r = await goJson('live', ['-url', url, '-topic', topic, '-topics', String(scale.topics), '-rate', String(scale.topicsRate), '-duration', String(scale.timeS)], 180_000);
    return { msgPerS: r.receive_msg_per_s, producedPerS: r.produce_msg_per_s, pub: goPct(r.pub), e2e: goPct(r.e2e), received: r.received, total: r.acked };
  },

  async keyShared({ url, tag }) {
    const topic = `persistent://public/default/keyshared-${tag}`;
    if (driver === 'perf') {
      const consumer = await perfConsumer(url, topic, { type: 'Key_Shared', consumers: 4 });
      const p = await perfProduce(url, topic, { batching: 'off', timeS: scale.timeS, maxPending: 1000, keys: true });
      await sleep(1000);
      const c = await consumer.stop();
      return { msgPerS: c.msgPerS, producedPerS: p.msgPerS, e2e: c.lat, received: c.total, total: p.total };
    }
    const r = await goJson(
      'live',
      ['-url', url, '-topic', topic, '-consumers', '4', '-type', 'key_shared', '-keys', String(scale.ksKeys), '-rate', '0', '-batching', 'off', '-duration', String(scale.timeS)],
      180_000,
    );
    return { msgPerS: r.receive_msg_per_s, producedPerS: r.produce_msg_per_s, e2e: goPct(r.e2e), received: r.received, total: r.acked };
  },

  async idle({ url, pid }) {
    const before = treeRss(pid);
    const proc = spawnGo('idle', ['-addr', url.replace('pulsar://', ''), '-conns', String(scale.conns), '-hold', '120']);
    const ready = await expectLine(proc, 'READY', 180_000);
    const [, connected, failed, seconds] = ready.line.split(' ').map(Number);
    await sleep(scale.holdS * 1000);
    const withConns = treeRss(pid);
    proc.child.stdin.end();
    await expectLine(proc, 'CLOSED', 60_000);
    await exited(proc.child);
    if (connected === 0) throw new Error(`no connection completed the handshake: ${proc.stderr().slice(-300)}`);
    return { connected, failed, seconds, before, withConns, perConnKB: (withConns - before) / connected / 1000 };
  },
};

// ---------------------------------------------------------------------------------------------
// Sessions: each starts the broker on a fresh data dir.

async function runWorkload(results, target, id, broker, tag) {
  log(`  ${target.name}: ${id}`);
  const rss = rssSampler(broker.pid);
  const t0 = now();
  try {
    const r = await workloads[id]({ ...broker, target, tag });
    const mem = rss.stop();
    results[id] = { ...r, peakRss: mem.peak, seconds: (now() - t0) / 1000 };
    log(`    ${summary(id, results[id])}`);
  } catch (error) {
    rss.stop();
    results[id] = { error: String(error.message ?? error).slice(0, 400) };
    log(`    failed: ${results[id].error}`);
  }
}

function summary(id, r) {
  const bits = [];
  if (r.msgPerS !== undefined) bits.push(`${fmt.int(r.msgPerS)} msg/s`);
  if (r.pub) bits.push(`publish p50/p99/p99.9 ${fmt.ms(r.pub.p50)}/${fmt.ms(r.pub.p99)}/${fmt.ms(r.pub.p99_9)} ms`);
  if (r.e2e) bits.push(`e2e p50/p99/p99.9 ${fmt.ms(r.e2e.p50)}/${fmt.ms(r.e2e.p99)}/${fmt.ms(r.e2e.p99_9)} ms`);
  if (r.drainPerS !== undefined) bits.push(`produced ${fmt.int(r.producedPerS)} msg/s, drained ${fmt.int(r.drainPerS)} msg/s (${fmt.int(r.received)}/${fmt.int(r.expected)})`);
  if (r.connected !== undefined) bits.push(`${r.connected} connected (${r.failed} failed), RSS ${fmt.mb(r.before)} → ${fmt.mb(r.withConns)} MB`);
  if (r.peakRss) bits.push(`peak RSS ${fmt.mb(r.peakRss)} MB`);
  return bits.join(', ');
}

async function sessionStart(target, results) {
  const port = await freePort();
  log(`  ${target.name}: start to first produce`);
  const t0 = now();
  const probe = spawnGo('first', ['-url', `pulsar://127.0.0.1:${port}`, '-timeout', '300']);
  const starting = target.start({ port });
  const first = await expectLine(probe, 'FIRST', 330_000);
  const firstMs = first.at - t0;
  const broker = await starting;
  await exited(probe.child);
  await sleep(scale.idleSettleMs);
  const idleRss = treeRss(broker.pid);
  results.start = { firstMs, idleRss, attempts: Number(first.line.split(' ')[2]) };
  log(`    ${fmt.int(firstMs)} ms to the first acknowledged produce, idle RSS ${fmt.mb(idleRss)} MB`);
  return broker;
}

async function backlogSession(target, results) {
  const topic = 'persistent://public/default/backlog';
  log(`  ${target.name}: backlog of ${fmt.int(scale.backlog)} messages`);
  let broker = await target.start();
  const t0 = now();
  // The subscription exists before the backlog is written, so no broker may trim what it keeps.
  await goJson('consume', ['-url', broker.url, '-topic', topic, '-count', '0', '-time-cap', '30'], 90_000);
  const capS = smoke ? 30 : 600;
  const p = await goJson('produce', ['-url', broker.url, '-topic', topic, '-count', String(scale.backlog), '-batching', 'on', '-time-cap', String(capS), '-grace', '60'], (capS + 180) * 1000);
  await target.stop({ keepData: true });
  broker = await target.start({ keepData: true });
  const rss = rssSampler(broker.pid);
  try {
    const d = driver === 'perf' ? await perfDrain(broker.url, topic, p.acked, capS) : await goJson('consume', ['-url', broker.url, '-topic', topic, '-count', String(p.acked), '-preload', '-time-cap', String(capS), '-idle', '30'], (capS + 180) * 1000);
    const mem = rss.stop();
    results.backlog = {
      producedPerS: p.msg_per_s,
      drainPerS: d.msg_per_s,
      expected: scale.backlog,
      acked: p.acked,
      received: d.received,
      missing: d.missing,
      duplicates: d.duplicates,
      peakRss: mem.peak,
      seconds: (now() - t0) / 1000,
    };
    if (d.received < p.acked) {
      const corrupt = (d.stderr.match(/ChecksumMismatch/g) ?? []).length;
      results.backlog.error = `drained ${d.received} of ${p.acked} (${d.stop_reason})${corrupt ? `; the Go client discarded ${corrupt} entries as corrupted (checksum mismatch)` : ''}`;
    }
    log(`    ${summary('backlog', results.backlog)}`);
  } finally {
    rss.stop();
    await target.stop();
  }
}

/**
 * pulsar-perf consume -m <count> on the existing subscription: msg/s from its "Start receiving" line to
 * its DONE line (it exits once it has received the count).
 */
async function perfDrain(url, topic, count, capS) {
  const t0 = now();
  const consumer = await perfConsumer(url, topic, { subscription: 'bench-drain', count });
  const r = await consumer.finished(capS * 1000);
  const received = r.doneAt ? count : (r.total ?? r.intervals.at(-1)?.total ?? 0);
  const end = r.doneAt ?? now();
  return { msg_per_s: r.doneAt ? (count / (end - r.started)) * 1000 : NaN, received, stop_reason: r.doneAt ? 'count' : 'time cap', missing: count - received, duplicates: NaN, stderr: '', subscribeS: (r.started - t0) / 1000 };
}

async function runTarget(target) {
  const results = {};
  const t0 = now();
  const guard = async (what, fn) => {
    try {
      await fn();
    } catch (error) {
      const message = String(error.message ?? error).slice(0, 400);
      log(`  ${target.name}: ${what} failed: ${message}`);
      results[`${what}Error`] = message;
      try {
        await target.stop();
      } catch {
        /* already gone */
      }
    }
  };
  await guard('session A', async () => {
    const broker = await sessionStart(target, results);
    for (const id of ['batched', 'unbatched', 'latency']) await runWorkload(results, target, id, broker, id);
    await target.stop();
  });
  await guard('session B', async () => {
    const broker = await target.start();
    for (const id of ['topics', 'keyShared', 'idle']) await runWorkload(results, target, id, broker, id);
    await target.stop();
  });
  await guard('backlog', () => backlogSession(target, results));
  results.seconds = (now() - t0) / 1000;
  log(`  ${target.name}: done in ${results.seconds.toFixed(0)} s`);
  return results;
}

async function profileVela() {
  const profileDir = mkdtempSync(join(tmpdir(), 'vela-compare-prof-'));
  const target = new VelaTarget();
  try {
    const broker = await target.start({ profileDir });
    const w0 = monotonicUs();
    const r = await workloads.unbatched({ ...broker, target, tag: 'profile' });
    const w1 = monotonicUs();
    await target.stop();
    const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) return { error: 'no .cpuprofile was written' };
    return { msgPerS: r.msgPerS, ...topSelfTime(join(profileDir, file), [w0, w1], 15) };
  } catch (error) {
    await target.stop().catch(() => {});
    return { error: String(error.message ?? error) };
  } finally {
    rmSync(profileDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const workloadTables = [
  {
    id: 'start',
    title: 'Start to ready and idle RSS',
    what: 'spawn of the broker → the first message acknowledged to a client that polled its port from the moment of the spawn (Go client: connect, lookup, create producer on a new topic, one synchronous send); idle RSS of the broker process tree after that client left. For Pulsar the spawn is `start-pulsar.sh` (its classpath check, then the JVM).',
    cols: [
      { label: 'spawn → first produce (ms)', get: (r) => r.firstMs, f: fmt.int, better: 'lower' },
      { label: 'idle RSS (MB)', get: (r) => r.idleRss, f: fmt.mb, better: 'lower' },
    ],
  },
  {
    id: 'batched',
    title: 'Maximum-rate produce, batching on',
    what: () =>
      driver === 'perf'
        ? `pulsar-perf produce, 1 producer, 1 topic, rate unlimited, ${scale.timeS} s, 1 KiB, max 50,000 outstanding, pulsar-perf's batching defaults (1 ms window, ≤ 1000 messages, ≤ 4 MiB). msg/s: messages acknowledged between its first and last 10-second report.`
        : `go-load produce, ${fmt.int(scale.batchedCount)} messages, 1 producer, client batching defaults.`,
    cols: [
      { label: 'msg/s', get: (r) => r.msgPerS, f: fmt.int, better: 'higher' },
      { label: 'publish p50 (ms)', get: (r) => r.lat?.p50, f: fmt.ms, better: 'lower' },
      { label: 'peak RSS (MB)', get: (r) => r.peakRss, f: fmt.mb, better: 'lower' },
    ],
  },
  {
    id: 'unbatched',
    title: 'Maximum-rate produce, batching off',
    what: () => (driver === 'perf' ? `As above with \`-db\` (one SEND per message).` : `go-load produce, ${fmt.int(scale.unbatchedCount)} messages, batching off.`),
    cols: [
      { label: 'msg/s', get: (r) => r.msgPerS, f: fmt.int, better: 'higher' },
      { label: 'publish p50 (ms)', get: (r) => r.lat?.p50, f: fmt.ms, better: 'lower' },
      { label: 'peak RSS (MB)', get: (r) => r.peakRss, f: fmt.mb, better: 'lower' },
    ],
  },
  {
    id: 'latency',
    title: `Publish and end-to-end latency at a fixed ${fmt.int(scale.rate)} msg/s`,
    what: () =>
      driver === 'perf'
        ? `pulsar-perf consume (Exclusive) subscribed first, then pulsar-perf produce at ${fmt.int(scale.rate)} msg/s for ${scale.timeS} s, batching defaults. Publish latency: send → receipt (µs resolution). End-to-end: the consumer's clock at receipt − the message's publish time (pulsar-perf records whole ms).`
        : `go-load live, 1 topic, ${fmt.int(scale.rate)} msg/s, ${scale.timeS} s.`,
    cols: [
      { label: 'publish p50', get: (r) => r.pub?.p50, f: fmt.ms, better: 'lower' },
      { label: 'publish p99', get: (r) => r.pub?.p99, f: fmt.ms, better: 'lower' },
      { label: 'publish p99.9', get: (r) => r.pub?.p99_9, f: fmt.ms, better: 'lower' },
      { label: 'e2e p50', get: (r) => r.e2e?.p50, f: fmt.ms, better: 'lower' },
      { label: 'e2e p99', get: (r) => r.e2e?.p99, f: fmt.ms, better: 'lower' },
      { label: 'e2e p99.9', get: (r) => r.e2e?.p99_9, f: fmt.ms, better: 'lower' },
      { label: 'peak RSS (MB)', get: (r) => r.peakRss, f: fmt.mb, better: 'lower' },
    ],
    unit: 'latencies in ms',
  },
  {
    id: 'backlog',
    title: `Backlog of ${fmt.int(scale.backlog)} messages drained from disk`,
    what: () =>
      `A durable subscription is created and ${fmt.int(scale.backlog)} batched 1 KiB messages are produced by go-load (official Go client; pulsar-perf's producer stops at a count of sent, not acknowledged, messages, so it cannot leave an exact backlog); the broker is stopped and restarted on the same data; then ${
        driver === 'perf'
          ? "`pulsar-perf consume -m <count>` drains and acknowledges the backlog on that subscription (one Exclusive consumer). Drain msg/s: from its \"Start receiving\" line to its DONE line."
          : 'go-load consume drains and acknowledges it with one Exclusive consumer, checking every sequence number. Drain msg/s from subscribe to the last message.'
      } RSS sampled during the drain.`,
    cols: [
      { label: 'produce msg/s', get: (r) => r.producedPerS, f: fmt.int, better: 'higher' },
      { label: 'drain msg/s', get: (r) => r.drainPerS, f: fmt.int, better: 'higher' },
      { label: 'peak RSS while draining (MB)', get: (r) => r.peakRss, f: fmt.mb, better: 'lower' },
    ],
  },
  {
    id: 'topics',
    title: `${scale.topics} topics, a producer and a consumer each`,
    what: () =>
      driver === 'perf'
        ? `pulsar-perf consume -t ${scale.topics} (one Exclusive consumer per topic, one connection) subscribed first, then pulsar-perf produce -t ${scale.topics} at ${fmt.int(scale.topicsRate)} msg/s in all, batching defaults, ${scale.timeS} s.`
        : `go-load live -topics ${scale.topics}, ${fmt.int(scale.topicsRate)} msg/s in all, ${scale.timeS} s.`,
    cols: [
      { label: 'received msg/s', get: (r) => r.msgPerS, f: fmt.int, better: 'higher' },
      { label: 'e2e p50 (ms)', get: (r) => r.e2e?.p50, f: fmt.ms, better: 'lower' },
      { label: 'e2e p99 (ms)', get: (r) => r.e2e?.p99, f: fmt.ms, better: 'lower' },
      { label: 'peak RSS (MB)', get: (r) => r.peakRss, f: fmt.mb, better: 'lower' },
    ],
  },
  {
    id: 'keyShared',
    title: 'Key_Shared, 4 consumers',
    what: () =>
      driver === 'perf'
        ? `pulsar-perf consume -st Key_Shared -n 4 subscribed first, then pulsar-perf produce with random keys (\`-mk random\`), batching off, rate unlimited, max 1000 outstanding, ${scale.timeS} s. received msg/s: steady rate of the four consumers together.`
        : `go-load live, 4 Key_Shared consumers, ${fmt.int(scale.ksKeys)} random keys, batching off, rate unlimited, ${scale.timeS} s.`,
    cols: [
      { label: 'received msg/s', get: (r) => r.msgPerS, f: fmt.int, better: 'higher' },
      { label: 'e2e p99 (ms)', get: (r) => r.e2e?.p99, f: fmt.ms, better: 'lower' },
      { label: 'peak RSS (MB)', get: (r) => r.peakRss, f: fmt.mb, better: 'lower' },
    ],
  },
  {
    id: 'idle',
    title: `${fmt.int(scale.conns)} idle connections`,
    what: `go-load idle: ${fmt.int(scale.conns)} TCP connections, each completing the CONNECT handshake and then answering PINGs only (100 handshakes in flight). RSS of the broker process tree before, and ${scale.holdS} s after the last handshake.`,
    cols: [
      { label: 'connected', get: (r) => r.connected, f: fmt.int, better: 'higher' },
      { label: 'RSS with connections (MB)', get: (r) => r.withConns, f: fmt.mb, better: 'lower' },
      { label: 'KB per connection', get: (r) => r.perConnKB, f: (v) => (Number.isFinite(v) ? v.toFixed(1) : '–'), better: 'lower' },
    ],
  },
];

function reportMarkdown(env, targets, results, notes, profile, totalS, chartDir) {
  const lines = [];
  const w = (s = '') => lines.push(s);
  const vela = results.vela;
  w('# Vela side by side with Apache Pulsar and pulsar-lite');
  w();
  w(`Generated by \`node bench/compare.mjs${smoke ? ' --smoke' : quick ? ' --quick' : ''}\` — do not edit by hand; bench/README.md says what each figure means.`);
  w();
  w('| | |');
  w('|---|---|');
  w(`| Date | ${env.date} |`);
  w(`| Commit | \`${env.commit}\` (dist/cli.js built ${env.builtAt}) |`);
  w(`| Machine | ${env.nproc} × ${env.cpuModel}, ${(env.memTotal / 2 ** 30).toFixed(1)} GiB RAM, Linux ${env.kernel} |`);
  w(`| Load average at start | ${env.loadavg} |`);
  w(`| Brokers | ${targets.map((t) => `${t.name}${t.version ? ` ${t.version}` : ''}${t.note ? ` (${t.note})` : ''}`).join('; ')} |`);
  w(`| Load generator | ${driver === 'perf' ? `pulsar-perf ${perf.version} (org.apache.pulsar:pulsar-testclient from Maven Central, ${env.java})` : 'bench/go-load only (smoke mode)'}; bench/go-load with pulsar-client-go ${env.goClient} (${env.go}) for start-up, idle connections and the backlog |`);
  w(`| Node | ${env.node} |`);
  w(`| Run time | ${totalS.toFixed(0)} s |`);
  w();
  w(`**Vela: fsync before every receipt** (it syncs each group commit before SEND_RECEIPT; there is no switch).${targets.some((t) => t.id.startsWith('pulsar')) ? ' Apache Pulsar runs twice: with its default `journalSyncData=false` (the bookie acknowledges before its journal reaches the disk) and with `journalSyncData=true`.' : ''}`);
  w();
  w('Each broker runs alone, one after the other, on three fresh data dirs: (A) start-up, then the two maximum-rate produce runs and the fixed-rate latency run; (B) 100 topics, Key_Shared, idle connections; (C) the backlog, with a restart before the drain. RSS is the sum of VmRSS over the broker process tree (for Pulsar the JVM), sampled every 250 ms during each workload. Ratios are Vela ÷ the other broker: above 1 means Vela has more of it (good for msg/s, bad for ms and MB). MB = 10⁶ bytes.');
  w();
  for (const note of notes) w(`- ${note}`);
  if (notes.length) w();

  // Targets of issue 7
  const pulsar = results.pulsar;
  const lite = results.lite;
  const check = (label, measured, ok) => w(`| ${label} | ${measured} | ${ok === null ? 'not measured' : ok ? '**met**' : '**missed**'} |`);
  if (vela) {
    w("## Vela against issue 7's targets");
    w();
    w('| target | measured in this run | |');
    w('|---|---|---|');
    for (const id of ['batched', 'unbatched']) {
      const v = vela[id]?.msgPerS;
      const p = pulsar?.[id]?.msgPerS;
      const l = lite?.[id]?.msgPerS;
      const label = id === 'batched' ? 'batched' : 'unbatched';
      check(`${label} produce ≥ 1.5 × Pulsar (default)`, `${fmt.int(v)} vs ${fmt.int(p)} msg/s (${fmt.ratio(v / p)})`, Number.isFinite(v) && Number.isFinite(p) ? v >= 1.5 * p : null);
      check(`${label} produce ≥ pulsar-lite`, `${fmt.int(v)} vs ${fmt.int(l)} msg/s (${fmt.ratio(v / l)})`, Number.isFinite(v) && Number.isFinite(l) ? v >= l : null);
    }
    const vp = vela.latency?.pub?.p99;
    const pp = pulsar?.latency?.pub?.p99;
    check(`publish p99 at ${fmt.int(scale.rate)} msg/s ≤ ½ Pulsar's (default)`, `${fmt.ms(vp)} vs ${fmt.ms(pp)} ms`, Number.isFinite(vp) && Number.isFinite(pp) ? vp <= pp / 2 : null);
    check('start to ready < 300 ms', `${fmt.int(vela.start?.firstMs)} ms (spawn → first produce acknowledged)`, Number.isFinite(vela.start?.firstMs) ? vela.start.firstMs < 300 : null);
    const rssList = ['start', 'batched', 'unbatched', 'latency', 'topics', 'keyShared', 'backlog']
      .map((id) => [id, id === 'start' ? vela.start?.idleRss : vela[id]?.peakRss])
      .filter(([, v]) => Number.isFinite(v));
    const worst = rssList.reduce((a, b) => (b[1] > a[1] ? b : a), ['', 0]);
    check('RSS < 150 MB in every workload but the idle connections', `highest ${fmt.mb(worst[1])} MB (${worst[0]})`, rssList.length ? worst[1] < 150 * MB : null);
    const b = vela.backlog;
    check('backlog drains at least as fast as it was produced', `${fmt.int(b?.drainPerS)} vs ${fmt.int(b?.producedPerS)} msg/s`, Number.isFinite(b?.drainPerS) && Number.isFinite(b?.producedPerS) ? b.drainPerS >= b.producedPerS : null);
    w();
  }

  w('## Charts');
  w();
  for (const [file, alt] of [
    ['throughput.svg', 'throughput per workload and broker'],
    ['latency-publish.svg', 'publish latency percentiles at the fixed rate'],
    ['latency-e2e.svg', 'end-to-end latency percentiles at the fixed rate'],
    ['rss.svg', 'peak RSS per workload and broker'],
  ]) {
    w(`![${alt}](${relative(dirname2(env.outFile), join(chartDir, file))})`);
    w();
  }

  for (const table of workloadTables) {
    w(`## ${table.title}`);
    w();
    w(typeof table.what === 'function' ? table.what() : table.what);
    w();
    const head = ['broker'];
    for (const col of table.cols) head.push(col.label, `Vela ÷`);
    w(`| ${head.join(' | ')} |`);
    w(`|${head.map(() => '---').join('|')}|`);
    for (const t of targets) {
      const r = results[t.id]?.[table.id];
      const name = t.id === 'vela' ? 'Vela (fsync before every receipt)' : t.name;
      if (!r || r.error) {
        const why = t.skipped ?? r?.error ?? sessionError(results[t.id], table.id) ?? 'not run';
        w(`| ${[name, why.replace(/\|/g, '/').replace(/\n/g, ' '), ...Array(2 * table.cols.length - 1).fill('')].join(' | ')} |`);
        continue;
      }
      const cells = [name];
      for (const col of table.cols) {
        const v = col.get(r);
        cells.push(col.f(v));
        if (t.id === 'vela') cells.push('—');
        else {
          const vv = vela && !vela[table.id]?.error ? col.get(vela[table.id] ?? {}) : NaN;
          cells.push(fmt.ratio(vv / v));
        }
      }
      w(`| ${cells.join(' | ')} |`);
    }
    w();
  }

  if (profile) {
    w('## Vela CPU profile: unbatched produce');
    w();
    if (profile.error) w(`Not available: ${profile.error}`);
    else {
      w(`\`node --cpu-prof\` on the broker during the unbatched maximum-rate workload (${fmt.int(profile.msgPerS)} msg/s while profiled; profiling slows it). Self time of the top functions over the workload window, ${profile.totalMs.toFixed(0)} ms of samples in all (V8 counts wall time while the thread is not idle, so a busy machine inflates every row alike: read the shares).`);
      w();
      w('| share | self ms | function |');
      w('|---|---|---|');
      for (const row of profile.rows) w(`| ${(row.share * 100).toFixed(1)} % | ${row.ms.toFixed(0)} | \`${row.name}\` |`);
    }
    w();
  }

  w('## Caveats');
  w();
  w('- Two cores, shared: the load generator (a JVM for pulsar-perf) runs on the same two cores as the broker, and other work on the machine shows up in every figure. Compare ratios within one run; re-run on a quiet machine before quoting absolute numbers.');
  w('- One run per workload and broker: no rounds, no best-of. A single disturbed run moves a row a lot.');
  w("- pulsar-perf's own batching defaults (1 ms window) differ from the client library's (10 ms); every broker gets the same.");
  w('- Pulsar standalone runs with `-Xms512m -Xmx1g -XX:MaxDirectMemorySize=1g` (start-pulsar.sh), so its RSS mostly reflects that sizing.');
  w();
  return lines.join('\n');
}

const dirname2 = (p) => p.slice(0, p.lastIndexOf('/'));

function sessionError(r, id) {
  if (!r) return null;
  if (id === 'backlog') return r.backlogError ? `failed: ${r.backlogError}` : null;
  if (['start', 'batched', 'unbatched', 'latency'].includes(id)) return r['session AError'] ? `failed: ${r['session AError']}` : null;
  return r['session BError'] ? `failed: ${r['session BError']}` : null;
}

// ---------------------------------------------------------------------------------------------
// Charts: plain SVG

const palette = { vela: '#1f77b4', pulsar: '#d62728', 'pulsar-sync': '#ff7f0e', lite: '#2ca02c' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Horizontal grouped bars: groups × targets, each group scaled to its own maximum. */
function barChart(title, groups, targets, format) {
  const rowH = 16;
  const gap = 14;
  const left = 250;
  const width = 800;
  const barMax = width - left - 110;
  let y = 48;
  const parts = [];
  for (const g of groups) {
    const values = targets.map((t) => g.get(t.id));
    const max = Math.max(...values.filter(Number.isFinite), 1e-9);
    parts.push(`<text x="10" y="${y + rowH * 0.8}" font-weight="bold">${esc(g.label)}</text>`);
    y += rowH + 2;
    targets.forEach((t, i) => {
      const v = values[i];
      const yy = y + i * rowH;
      parts.push(`<text x="${left - 6}" y="${yy + rowH * 0.75}" text-anchor="end" font-size="11">${esc(t.name)}</text>`);
      if (Number.isFinite(v)) {
        const wdt = Math.max(1, (v / max) * barMax);
        parts.push(`<rect x="${left}" y="${yy + 2}" width="${wdt.toFixed(1)}" height="${rowH - 4}" fill="${palette[t.id] ?? '#888'}"/>`);
        parts.push(`<text x="${(left + wdt + 4).toFixed(1)}" y="${yy + rowH * 0.75}" font-size="11">${esc(format(v))}</text>`);
      } else parts.push(`<text x="${left + 4}" y="${yy + rowH * 0.75}" font-size="11" fill="#888">no figure</text>`);
    });
    y += targets.length * rowH + gap;
  }
  const height = y + 10;
  return svg(width, height, `<text x="10" y="24" font-size="15" font-weight="bold">${esc(title)}</text>${parts.join('')}`);
}

/** Latency percentile curves: x = percentile (p50 … max, evenly spaced), y = ms on a log scale. */
function percentileChart(title, targets, getLat) {
  const keys = [
    ['p50', 'p50'],
    ['p95', 'p95'],
    ['p99', 'p99'],
    ['p99_9', 'p99.9'],
    ['p99_99', 'p99.99'],
    ['max', 'max'],
  ];
  const width = 860;
  const height = 380;
  const left = 70;
  const right = 160;
  const top = 44;
  const bottom = 50;
  const series = targets.map((t) => ({ t, pts: keys.map(([k]) => getLat(t.id)?.[k]) })).filter((s) => s.pts.some((v) => Number.isFinite(v) && v > 0));
  const all = series.flatMap((s) => s.pts).filter((v) => Number.isFinite(v) && v > 0);
  const lo = all.length ? 10 ** Math.floor(Math.log10(Math.min(...all))) : 0.1;
  const hi = all.length ? 10 ** Math.ceil(Math.log10(Math.max(...all))) : 100;
  const X = (i) => left + (i * (width - left - right)) / (keys.length - 1);
  const Y = (v) => top + (height - top - bottom) * (1 - (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo) || 1));
  const parts = [`<text x="10" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`];
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${Y(d).toFixed(1)}" y2="${Y(d).toFixed(1)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${(Y(d) + 4).toFixed(1)}" text-anchor="end" font-size="11">${d >= 1 ? d : d.toPrecision(1)} ms</text>`);
  }
  keys.forEach(([, label], i) => {
    parts.push(`<line x1="${X(i)}" x2="${X(i)}" y1="${top}" y2="${height - bottom}" stroke="#eee"/>`);
    parts.push(`<text x="${X(i)}" y="${height - bottom + 18}" text-anchor="middle" font-size="11">${label}</text>`);
  });
  series.forEach((s, n) => {
    const color = palette[s.t.id] ?? '#888';
    const pts = s.pts.map((v, i) => (Number.isFinite(v) && v > 0 ? `${X(i).toFixed(1)},${Y(v).toFixed(1)}` : null)).filter(Boolean);
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    for (const p of pts) parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${color}"/>`);
    parts.push(`<rect x="${width - right + 14}" y="${top + n * 20}" width="12" height="12" fill="${color}"/>`);
    parts.push(`<text x="${width - right + 32}" y="${top + n * 20 + 10}" font-size="12">${esc(s.t.name)}</text>`);
  });
  if (!series.length) parts.push(`<text x="${left + 10}" y="${top + 30}" fill="#888">no figures</text>`);
  return svg(width, height, parts.join(''));
}

function svg(width, height, body) {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="#fff"/>${body}</svg>\n`;
}

function writeCharts(chartDir, targets, results) {
  mkdirSync(chartDir, { recursive: true });
  const get = (id, f) => (tid) => {
    const r = results[tid]?.[id];
    return r && !r.error ? f(r) : NaN;
  };
  const perS = (v) => `${fmt.int(v)} msg/s`;
  writeFileSync(
    join(chartDir, 'throughput.svg'),
    barChart(
      'Throughput (msg/s, 1 KiB messages; Vela fsyncs before every receipt)',
      [
        { label: 'produce, batched', get: get('batched', (r) => r.msgPerS) },
        { label: 'produce, unbatched', get: get('unbatched', (r) => r.msgPerS) },
        { label: 'backlog drain', get: get('backlog', (r) => r.drainPerS) },
        { label: 'Key_Shared, 4 consumers', get: get('keyShared', (r) => r.msgPerS) },
      ],
      targets,
      perS,
    ),
  );
  writeFileSync(join(chartDir, 'latency-publish.svg'), percentileChart(`Publish latency at ${fmt.int(scale.rate)} msg/s (send → receipt; Vela fsyncs before every receipt)`, targets, (tid) => results[tid]?.latency?.pub));
  writeFileSync(join(chartDir, 'latency-e2e.svg'), percentileChart(`End-to-end latency at ${fmt.int(scale.rate)} msg/s (publish → receive; Vela fsyncs before every receipt)`, targets, (tid) => results[tid]?.latency?.e2e));
  writeFileSync(
    join(chartDir, 'rss.svg'),
    barChart(
      'Broker RSS (MB; peak during the workload, idle after start-up)',
      [
        { label: 'idle after start', get: get('start', (r) => r.idleRss) },
        { label: 'produce, batched', get: get('batched', (r) => r.peakRss) },
        { label: 'backlog drain', get: get('backlog', (r) => r.peakRss) },
        { label: `${scale.topics} topics`, get: get('topics', (r) => r.peakRss) },
        { label: `${fmt.int(scale.conns)} idle connections`, get: get('idle', (r) => r.withConns) },
      ],
      targets,
      (v) => `${fmt.mb(v)} MB`,
    ),
  );
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const began = now();
  const notes = [];
  const stale = checkBuild();
  if (stale) notes.push(`Warning: ${stale}.`);
  const builtAt = snapshotBuild();
  const goVersions = ensureGoLoad();
  const wanted = new Set((opts.brokers ?? (smoke ? 'vela' : 'vela,pulsar,pulsar-sync,lite')).split(',').map((s) => s.trim()));

  const targets = [];
  const vela = new VelaTarget();
  vela.version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  if (wanted.has('vela')) targets.push(vela);
  let java = null;
  if (!smoke) {
    java = findJava();
    try {
      perf = { java, ...ensurePerf(java) };
    } catch (error) {
      driver = 'go';
      notes.push(`pulsar-perf could not be installed (${error.message}); every workload used bench/go-load instead.`);
    }
    if (wanted.has('pulsar') || wanted.has('pulsar-sync')) {
      let pulsarInfo = null;
      let why = null;
      try {
        if (!java) throw new Error('no java found');
        pulsarInfo = ensurePulsar();
      } catch (error) {
        why = `not run: Apache Pulsar could not be assembled (${error.message})`;
      }
      const defs = [
        ['pulsar', 'Pulsar (journalSyncData=false, default)', [], 'bookie acknowledges before its journal fsync'],
        ['pulsar-sync', 'Pulsar (journalSyncData=true)', ['journalSyncData=true'], 'journal fsync before the acknowledgement'],
      ];
      for (const [id, name, overrides, note] of defs) {
        if (!wanted.has(id)) continue;
        const t = new PulsarTarget(id, name, overrides, note);
        t.version = pulsarInfo?.version ?? '4.0.7';
        if (why) t.skipped = why;
        targets.push(t);
      }
    }
    if (wanted.has('lite')) {
      try {
        const info = ensureLite();
        const t = new LiteTarget(info.binary);
        t.version = info.version;
        targets.push(t);
      } catch (error) {
        const t = new LiteTarget(null);
        t.version = LITE_VERSION;
        t.skipped = `not run: ${error.message}`;
        targets.push(t);
      }
    }
  } else driver = 'go';

  const env = {
    ...environment({}),
    goClient: goVersions.client,
    go: goVersions.go,
    builtAt,
    java: 'no java',
  };
  if (java) {
    try {
      const out = execFileSync(java, ['-XshowSettings:properties', '-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      env.java = `Java ${/java\.runtime\.version = (\S+)/.exec(out)?.[1] ?? '?'}`;
    } catch (error) {
      env.java = `Java ${/java\.runtime\.version = (\S+)/.exec(String(error.stderr))?.[1] ?? '?'}`;
    }
  }
  const outFile = opts.out ?? (smoke ? join(mkdtempSync(join(tmpdir(), 'vela-compare-smoke-')), 'COMPARE.md') : join(here, 'COMPARE.md'));
  env.outFile = outFile;
  const chartDir = join(dirname2(outFile), 'charts');
  log(`compare: ${env.nproc} × ${env.cpuModel}, commit ${env.commit}, load ${env.loadavg}; brokers: ${targets.map((t) => t.name + (t.skipped ? ' (skipped)' : '')).join(', ')}; load generator: ${driver === 'perf' ? `pulsar-perf ${perf.version}` : 'go-load'}`);

  const results = {};
  for (const t of targets) {
    if (t.skipped) {
      log(`compare: ${t.name}: ${t.skipped}`);
      results[t.id] = {};
      continue;
    }
    log(`compare: ${t.name}`);
    results[t.id] = await runTarget(t);
  }
  let profile = null;
  if (opts['cpu-prof'] && wanted.has('vela')) {
    log('compare: Vela under node --cpu-prof, unbatched produce');
    profile = await profileVela();
    if (!profile.error) for (const row of profile.rows.slice(0, 8)) log(`  ${(row.share * 100).toFixed(1).padStart(5)} %  ${row.name}`);
  }

  const totalS = (now() - began) / 1000;
  writeCharts(chartDir, targets, results);
  writeFileSync(outFile, reportMarkdown(env, targets, results, notes, profile, totalS, chartDir));
  log(`compare: wrote ${relative(process.cwd(), outFile) || outFile} and ${relative(process.cwd(), chartDir) || chartDir}/*.svg in ${totalS.toFixed(0)} s`);

  // Smoke: every workload of every broker that ran must have its figures.
  const failures = [];
  for (const t of targets) {
    if (t.skipped) continue;
    for (const table of workloadTables) {
      const r = results[t.id]?.[table.id];
      if (!r || r.error) failures.push(`${t.name}: ${table.id}: ${r?.error ?? sessionError(results[t.id], table.id) ?? 'no result'}`);
    }
  }
  for (const f of failures) log(`compare: FAILED ${f}`);
  if (smoke) log(`compare smoke: ${workloadTables.length * targets.length - failures.length} of ${workloadTables.length * targets.length} workloads measured`);
  process.exitCode = failures.length ? 1 : 0;
}

main().catch((error) => {
  console.error(`compare: ${error.stack ?? error}`);
  process.exit(1);
});
