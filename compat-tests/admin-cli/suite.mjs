// The admin-cli conformance column: the real pulsar-admin CLI (org.apache.pulsar:pulsar-client-tools) and
// pulsar-perf (org.apache.pulsar:pulsar-testclient), 4.0.x from Maven Central, run against the broker under test.
// Each scenario runs a list of CLI commands (commands.mjs) in one JVM kept for the whole suite
// (VelaCliBatch), normalises their exit codes and output, and compares them with what Apache Pulsar 4.0.7 printed
// (expected/<scenario>.json). COMPAT_ADMIN_CLI_RECORD=1 writes those files instead (run it with --reference).
// pulsar-perf runs in JVMs of its own (perf.mjs). Protocol with the runner: one JSON result line per scenario.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SCENARIOS } from './commands.mjs';
import { maskText, pickJson } from './normalise.mjs';
import { PERF_SCENARIOS } from './perf.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVICE_URL = process.env.SERVICE_URL ?? 'pulsar://127.0.0.1:6650';
const ADMIN_URL = (process.env.ADMIN_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const RUN_ID = process.env.COMPAT_RUN_ID || Math.random().toString(36).slice(2, 10);
const LOG_DIR = process.env.COMPAT_LOG_DIR || '.';
const RECORD = process.env.COMPAT_ADMIN_CLI_RECORD === '1';
const JAVA = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
/** One CLI command may wait on the broker; the admin client's own request timeout is 60 s. */
const COMMAND_TIMEOUT_MS = 90_000 * Number(process.env.COMPAT_TIMEOUT_SCALE || '1');

export const CLASSPATH = `${path.join(HERE, 'target', 'classes')}:${fs.readFileSync(path.join(HERE, 'target', 'classpath.txt'), 'utf8').trim()}`;
/** Short-lived JVMs: C1 only, serial GC, small heap; the CLI's log lines go to stderr at WARN. */
export const JVM_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xss512k', '-Xmx384m', '-Djava.net.preferIPv4Stack=true',
  `-Dlog4j2.configurationFile=${path.join(HERE, 'log4j2.xml')}`, '-Dotel.java.global-autoconfigure.enabled=false'];

const log = fs.createWriteStream(path.join(LOG_DIR, 'admin-cli-commands.log'), { flags: 'a' });

/** The JVM that runs CLI commands, started on first use. */
class CliDriver {
  constructor() {
    this.waiters = [];
    this.child = spawn(JAVA, [...JVM_FLAGS, '-cp', CLASSPATH, 'org.apache.pulsar.admin.cli.VelaCliBatch', ADMIN_URL, SERVICE_URL],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d) => log.write(d));
    this.ready = new Promise((resolve, reject) => {
      this.child.once('exit', (code) => {
        const error = new Error(`CLI driver exited (code ${code})`);
        reject(error);
        for (const w of this.waiters.splice(0)) w.reject(error);
      });
      readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
        if (line === '@@READY') return resolve();
        if (!line.startsWith('@@RESULT ')) return log.write(`${line}\n`);
        const [, code, out, err] = line.split(' ');
        this.waiters.shift()?.resolve({
          exit: Number(code), stdout: Buffer.from(out ?? '', 'base64').toString('utf8'), stderr: Buffer.from(err ?? '', 'base64').toString('utf8'),
        });
      });
    });
  }

  async run(tool, args) {
    await this.ready;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${COMMAND_TIMEOUT_MS} ms`)), COMMAND_TIMEOUT_MS);
      this.waiters.push({ resolve: (r) => { clearTimeout(timer); resolve(r); }, reject: (e) => { clearTimeout(timer); reject(e); } });
      this.child.stdin.write(`${[tool, ...args].join('\t')}\n`);
    });
  }

  close() {
    this.child.stdin.end();
    setTimeout(() => this.child.kill('SIGKILL'), 2000).unref();
  }
}

let driver;

async function lastLedgerId(topic) {
  const res = await fetch(`${ADMIN_URL}/admin/v2/${topic.replace('://', '/')}/lastMessageId`);
  if (!res.ok) throw new Error(`lastMessageId of ${topic}: HTTP ${res.status}`);
  return String((await res.json()).ledgerId);
}

async function expand(arg, vars) {
  let out = arg.replaceAll('{T}', vars.T).replaceAll('{NS}', vars.NS).replaceAll('{R}', RUN_ID);
  out = out.replace(/\{FILE:([\w.-]+)\}/g, (_, name) => path.join(HERE, name));
  if (out.includes('{LEDGER}')) out = out.replaceAll('{LEDGER}', await lastLedgerId(vars.T));
  return out;
}

function normalised(command, result, vars) {
  const shown = { cmd: [command.tool ?? 'admin', ...command.args].join(' '), exit: result.exit };
  const check = command.check ?? 'text';
  if (check === 'exit') return shown;
  if (check === 'json' && result.exit === 0) return { ...shown, out: pickJson(result.stdout, command.pick, RUN_ID) };
  let text = `${result.stdout}${result.stderr ? `\n--stderr--\n${result.stderr}` : ''}`;
  if (command.only) {
    const only = new RegExp(command.only.replaceAll('{T}', vars.T).replaceAll('{R}', RUN_ID));
    text = text.split('\n').filter((line) => only.test(line)).join('\n');
  }
  return { ...shown, out: maskText(text, RUN_ID) };
}

function firstDifference(expected, actual) {
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    const e = JSON.stringify(expected[i]);
    const a = JSON.stringify(actual[i]);
    if (e !== a) return `command ${i + 1} (${(expected[i] ?? actual[i]).cmd}): expected ${e}, got ${a}`;
  }
  return undefined;
}

async function runCommands(id, commands) {
  const short = id.replace(/^admin-cli-/, '');
  const vars = { T: `persistent://public/default/cli-${RUN_ID}-${short}`, NS: 'public/default' };
  driver ??= new CliDriver();
  const results = [];
  for (const command of commands) {
    if (command.sleepMs) {
      // Pulsar applies some operations (message expiry) asynchronously after answering.
      await new Promise((resolve) => setTimeout(resolve, command.sleepMs));
      continue;
    }
    const args = [];
    for (const arg of command.args) args.push(await expand(arg, vars));
    const result = await driver.run(command.tool ?? 'admin', args);
    log.write(`# ${id}: ${command.tool ?? 'admin'} ${args.join(' ')} -> ${result.exit}\n${result.stdout}${result.stderr}\n`);
    results.push(normalised(command, result, vars));
  }
  const file = path.join(HERE, 'expected', `${id}.json`);
  if (RECORD) {
    fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    return { status: 'pass', reason: `recorded ${file}` };
  }
  if (!fs.existsSync(file)) return { status: 'fail', reason: `no expected output recorded (${path.relative(HERE, file)})` };
  const diff = firstDifference(JSON.parse(fs.readFileSync(file, 'utf8')), results);
  return diff ? { status: 'fail', reason: diff } : { status: 'pass', reason: '' };
}

async function main() {
  const ids = (process.env.COMPAT_SCENARIOS ?? '').split(',').filter(Boolean);
  for (const id of ids) {
    const started = Date.now();
    let result;
    try {
      if (SCENARIOS[id]) result = await runCommands(id, SCENARIOS[id]);
      else if (PERF_SCENARIOS[id]) result = await PERF_SCENARIOS[id]({ serviceUrl: SERVICE_URL, adminUrl: ADMIN_URL, runId: RUN_ID, logDir: LOG_DIR });
      else result = { status: 'skip', reason: 'not implemented by the admin-cli suite' };
    } catch (error) {
      result = { status: 'fail', reason: String(error?.stack ?? error).split('\n').slice(0, 3).join(' | ') };
    }
    process.stdout.write(`${JSON.stringify({ scenario: id, client: 'admin-cli', ...result, ms: Date.now() - started })}\n`);
  }
  driver?.close();
}

await main();
