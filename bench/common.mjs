// Pieces shared by the benchmark harnesses (bench/run.mjs, bench/compare.mjs): the dist/ snapshot, the
// Python venv and the Go load generator, /proc readers, child-process tracking and line readers, a Vela
// broker on free ports and a fresh data dir, the CPU-profile summary and the machine description.
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PULSAR_CLIENT_VERSION = '3.13.0';
export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..');
export const builtCli = join(root, 'dist', 'cli.js');
export let cli = builtCli; // switched to the snapshot copy once it is made
export let snapshotDir = null;
export const venv = join(here, '.venv');
export const python = join(venv, 'bin', 'python');
export const goLoadDir = join(here, 'go-load');
export const goLoad = join(goLoadDir, 'bin', 'load');

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export const log = (...args) => console.log(...args);
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const now = () => performance.now();
/** CLOCK_MONOTONIC in µs: the clock V8 stamps CPU profile samples with, shared by every process. */
export const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

// ---------------------------------------------------------------------------------------------
// Preconditions

export function checkBuild() {
  if (!existsSync(builtCli)) {
    console.error(`bench: ${relative(process.cwd(), builtCli) || builtCli} not found. Build the broker first:  npm run build`);
    process.exit(1);
  }
  // Warn (do not fail) when a source file is newer than the build.
  const newest = (dir, test) => {
    let best = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) best = Math.max(best, newest(path, test));
      else if (test(entry.name)) best = Math.max(best, statSync(path).mtimeMs);
    }
    return best;
  };
  const srcDir = join(root, 'src');
  if (!existsSync(srcDir)) return null;
  const src = newest(srcDir, (name) => name.endsWith('.ts') && !name.endsWith('.test.ts'));
  const dist = newest(join(root, 'dist'), (name) => name.endsWith('.js'));
  if (src > dist) {
    const warning = 'dist/ is older than src/ (run npm run build); measuring the old build';
    console.warn(`bench: warning: ${warning}`);
    return warning;
  }
  return null;
}

/**
 * Copies dist/, proto/ and package.json to a temp dir (node_modules linked) and runs every broker
 * from there, so a rebuild during the run cannot change or break what is measured.
 */
export function snapshotBuild() {
  snapshotDir = mkdtempSync(join(tmpdir(), 'vela-bench-build-'));
  cpSync(join(root, 'dist'), join(snapshotDir, 'dist'), { recursive: true });
  if (existsSync(join(root, 'proto'))) cpSync(join(root, 'proto'), join(snapshotDir, 'proto'), { recursive: true });
  copyFileSync(join(root, 'package.json'), join(snapshotDir, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(snapshotDir, 'node_modules'), 'dir');
  cli = join(snapshotDir, 'dist', 'cli.js');
  try {
    run(process.execPath, [cli, '--version']);
  } catch (error) {
    console.error(`bench: the build in dist/ does not load (${(error.stderr ?? error.message).trim().split('\n')[0]}). Rebuild:  npm run build`);
    process.exit(1);
  }
  return statSync(builtCli).mtime.toISOString().replace(/\.\d+Z$/, 'Z');
}

export function run(command, args, options = {}) {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options }).trim();
}

export function ensureVenv() {
  if (!existsSync(python)) {
    log(`bench: creating ${relative(root, venv)}`);
    try {
      execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
    } catch {
      console.error('bench: python3 -m venv failed (is python3 with the venv module installed?)');
      process.exit(1);
    }
  }
  const probe = () => {
    try {
      const out = run(python, [
        '-c',
        'import importlib.metadata as m, platform; v = m.version("pulsar-client"); import pulsar; print(v, platform.python_version())',
      ]);
      const [client, pythonVersion] = out.split(' ');
      return { client, python: pythonVersion };
    } catch {
      return null;
    }
  };
  let found = probe();
  if (found?.client !== PULSAR_CLIENT_VERSION) {
    log(`bench: installing pulsar-client==${PULSAR_CLIENT_VERSION} into ${relative(root, venv)}`);
    try {
      execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `pulsar-client==${PULSAR_CLIENT_VERSION}`], {
        stdio: 'inherit',
      });
    } catch {
      console.error(`bench: pip install pulsar-client==${PULSAR_CLIENT_VERSION} failed`);
      process.exit(1);
    }
    found = probe();
    if (found?.client !== PULSAR_CLIENT_VERSION) {
      console.error(`bench: python in ${relative(root, venv)} still cannot import pulsar-client ${PULSAR_CLIENT_VERSION}`);
      process.exit(1);
    }
  }
  return found;
}

/** Builds bench/go-load/bin/load (idempotent, about a second when nothing changed). */
export function ensureGoLoad() {
  try {
    execFileSync('bash', [join(goLoadDir, 'install.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    console.error('bench: bash bench/go-load/install.sh failed (is Go >= 1.24 installed?)');
    process.exit(1);
  }
  const gomod = readFileSync(join(goLoadDir, 'go.mod'), 'utf8');
  const client = /github\.com\/apache\/pulsar-client-go (v\S+)/.exec(gomod)?.[1] ?? 'unknown';
  let go = 'unknown';
  try {
    go = run('go', ['env', 'GOVERSION']);
  } catch {
    /* keep unknown */
  }
  return { client, go };
}

// ---------------------------------------------------------------------------------------------
// /proc readers

export function procStatus(pid) {
  const out = {};
  try {
    for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
      const m = /^(VmRSS|VmHWM):\s+(\d+) kB/.exec(line);
      if (m) out[m[1]] = Number(m[2]) * 1024;
    }
  } catch {
    /* process gone */
  }
  return out;
}

/** utime + stime of a process (all its threads), in seconds. */
export function procCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** Busy and total CPU time of the whole machine, in seconds summed over cores. */
export function machineCpu() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = v[3] + (v[4] ?? 0);
  return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
}

// ---------------------------------------------------------------------------------------------
// Processes

export const children = new Set();
export function track(child) {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}
export function killAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
}
process.on('SIGINT', () => {
  killAll();
  process.exit(130);
});
process.on('exit', () => {
  killAll();
  if (snapshotDir) rmSync(snapshotDir, { recursive: true, force: true });
});

/** Lines of a child's stdout as an async queue with a timeout per wait. */
export function lineReader(stream) {
  const lines = [];
  const waiters = [];
  let closed = false;
  const rl = createInterface({ input: stream });
  rl.on('line', (line) => {
    const at = now();
    const waiter = waiters.shift();
    if (waiter) waiter.resolve({ line, at });
    else lines.push({ line, at });
  });
  rl.on('close', () => {
    closed = true;
    for (const waiter of waiters.splice(0)) waiter.resolve(null);
  });
  return {
    next(timeoutMs, what) {
      if (lines.length > 0) return Promise.resolve(lines.shift());
      if (closed) return Promise.resolve(null);
      return new Promise((resolve, reject) => {
        const waiter = { resolve: (v) => (clearTimeout(timer), resolve(v)) };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
  };
}

export function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

export class Broker {
  /** `dataDir`: run on this data dir (e.g. a copy of a pre-produced backlog) instead of a fresh empty one. */
  constructor({ profileDir, dataDir, port = 0 } = {}) {
    this.dataDir = dataDir ?? mkdtempSync(join(tmpdir(), 'vela-bench-data-'));
    this.stderr = '';
    const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    this.spawnedAt = now();
    this.child = track(
      spawn(process.execPath, [...nodeArgs, cli, '--port', String(port), '--http-port', '0', '--data-dir', this.dataDir], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    this.pid = this.child.pid;
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk) => {
      this.stderr += chunk;
      if (this.stderr.length > 1_000_000) this.stderr = this.stderr.slice(-500_000);
    });
    this.lines = lineReader(this.child.stdout);
  }

  async ready(timeoutMs = 15_000) {
    // stdout closes (null) if the broker dies before it is ready.
    const got = await this.lines.next(timeoutMs, 'the broker ready line');
    if (!got) {
      const { code, signal } = await exited(this.child);
      throw new Error(`broker exited before ready (code ${code}, signal ${signal}): ${this.stderr.slice(-2000)}`);
    }
    const m = /^vela ready (pulsar:\/\/\S+) (http:\/\/\S+) \((\d+) ms\)$/.exec(got.line);
    if (!m) throw new Error(`unexpected first stdout line from the broker: ${JSON.stringify(got.line)}`);
    this.url = m[1];
    this.httpUrl = m[2];
    this.readyAt = got.at;
    this.readyMs = got.at - this.spawnedAt;
    this.selfReportedMs = Number(m[3]);
    return this;
  }

  cpu() {
    return procCpuSeconds(this.pid);
  }

  memory() {
    return procStatus(this.pid);
  }

  /** SIGTERM, then SIGKILL after 10 s. Returns how it went. The data dir is removed unless `keepData`. */
  async stop({ keepData = false } = {}) {
    const t0 = now();
    const done = exited(this.child);
    this.child.kill('SIGTERM');
    let timer;
    const outcome = await Promise.race([done, new Promise((resolve) => (timer = setTimeout(() => resolve(null), 10_000)))]);
    clearTimeout(timer);
    let result;
    if (outcome === null) {
      this.child.kill('SIGKILL');
      await done;
      result = { clean: false, note: 'did not exit within 10 s of SIGTERM (killed)', ms: now() - t0 };
    } else {
      result = { clean: outcome.code === 0, code: outcome.code, signal: outcome.signal, ms: now() - t0 };
    }
    if (!keepData) rmSync(this.dataDir, { recursive: true, force: true });
    return result;
  }

  /** stderr lines that are not INFO/DEBUG log lines: warnings, errors, stack traces, Node warnings. */
  problems() {
    return this.stderr.split('\n').filter((line) => line.trim() !== '' && !/^\S+ (INFO|DEBUG) /.test(line));
  }
}

/** What the client library logged (it logs at WARN and above only): reconnects, unexpected receipts. */
export function clientLogLines(stderr) {
  return stderr.split('\n').filter((line) => line.trim() !== '');
}

export function spawnPython(script, args) {
  return spawnClient(python, [join(here, script), ...args], script);
}

/** bench/go-load/bin/load <mode> args (pulsar-client-go). */
export function spawnGo(mode, args) {
  return spawnClient(goLoad, [mode, ...args], `go-load ${mode}`);
}

export function spawnClient(command, args, name) {
  const child = track(spawn(command, args, { cwd: here, stdio: ['pipe', 'pipe', 'pipe'] }));
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  return { child, name, lines: lineReader(child.stdout), stderr: () => stderr };
}

export async function expectLine(proc, prefix, timeoutMs) {
  const name = proc.name;
  for (;;) {
    const got = await proc.lines.next(timeoutMs, `${prefix} from ${name}`); // null: stdout closed
    if (!got) throw new Error(`${name} ended before printing ${prefix}: ${proc.stderr().slice(-2000)}`);
    if (got.line.startsWith(prefix)) return got;
    if (got.line.startsWith('FAILED')) throw new Error(`${name}: ${got.line}`);
  }
}


/**
 * Self time per function from a .cpuprofile, counting only samples inside `window` (CLOCK_MONOTONIC
 * µs, the produce window) when that window overlaps the profile, else over the whole profile.
 */
export function topSelfTime(profilePath, window, top = 10, windowName = 'produce window') {
  const profile = JSON.parse(readFileSync(profilePath, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const inWindow = window && profile.startTime < window[1] && profile.endTime > window[0];
  const selfUs = new Map();
  // timeDeltas[i] is the gap before sample i; attribute the gap after a sample to it, as DevTools does.
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (inWindow && (t < window[0] || t > window[1])) continue;
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + Math.max(0, delta));
  }
  const byFunction = new Map();
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id).callFrame;
    if (frame.functionName === '(idle)') continue;
    total += us;
    const file = frame.url ? frame.url.replace(/^file:\/\//, '').replace(`${root}/`, '').replace(`${snapshotDir}/`, '') : '';
    const key = `${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const rows = [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { scope: inWindow ? windowName : 'whole broker life', windowName, totalMs: total / 1000, rows: rows.map(([name, us]) => ({ name, ms: us / 1000, share: us / total })) };
}

// ---------------------------------------------------------------------------------------------
// Environment

export function environment(versions) {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) * 1024;
  let commit = 'unknown';
  try {
    commit = run('git', ['rev-parse', '--short', 'HEAD'], { cwd: root });
    if (run('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root }) !== '') commit += '-dirty';
  } catch {
    /* not a git checkout */
  }
  let nproc = cpus().length;
  try {
    nproc = Number(run('nproc', []));
  } catch {
    /* keep os.cpus() */
  }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    nproc,
    cpuModel: model,
    memTotal,
    kernel: run('uname', ['-r']),
    node: process.version,
    python: versions.python,
    client: versions.client,
    commit,
    loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
}
