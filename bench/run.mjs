#!/usr/bin/env node
// Vela benchmark harness: node bench/run.mjs [--quick] [--profile] [--rounds N]
//
// Starts a fresh broker (free ports, fresh temp data dir) per measurement, drives it with the
// official Go client (bench/go-load, pulsar-client-go pinned in its go.mod; built by its install.sh)
// for the throughput and latency rows, and with the official Python client (bench/.venv,
// pulsar-client pinned in common.mjs) for one comparison row and the start-up probe; then compares
// Key_Shared with Shared (4 consumers, 10,000 keys; section (f)); writes bench/RESULTS.md. Plain
// Node; it does not build the broker (npm run build does).
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import {
  here, log, sleep, now, monotonicUs, checkBuild, snapshotBuild, run, ensureVenv, ensureGoLoad, machineCpu,
  track, killAll, exited, Broker, clientLogLines, spawnPython, spawnGo, expectLine, topSelfTime, environment,
} from './common.mjs';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    'ks-rounds': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log(`Usage: node bench/run.mjs [--quick] [--profile] [--rounds N]

  --quick    smaller message counts, one round (about a minute in all)
  --rounds N how often to repeat the maximum-rate runs and the fixed 50,000 msg/s run,
             interleaved (default 4, quick 1); the report shows the best round of each and
             lists the others; later rounds are skipped run by run past a 270 s budget
  --ks-rounds N  rounds of the Key_Shared vs Shared comparison (f), each with the two
             subscription types in alternating order (default 2, quick 1)
  --profile  also repeats the Go batched 1-producer and Go unbatched 4-producer runs and a
             Key_Shared drain under node --cpu-prof and lists the top self-time functions of
             the broker

Writes bench/RESULTS.md. See bench/README.md.`);
  process.exit(0);
}

const quick = opts.quick;
const config = {
  // Rounds after the first are skipped run by run once they would end past this budget (seconds
  // since start, judged by how long the same run took in round 1). The Key_Shared comparison (f)
  // runs after these rounds and takes about 2 minutes (20 s with --quick) on top.
  budgetS: quick ? 55 : 210,
  rounds: opts.rounds !== undefined ? Math.max(1, Number.parseInt(opts.rounds, 10) || 1) : quick ? 1 : 4,
  starts: 5,
  idleRssDelayMs: 1000,
  size: 1024,
  // Messages per maximum-rate run: enough for a window of several seconds with each client.
  goBatchedCount: quick ? 50_000 : 500_000,
  goUnbatchedCount: quick ? 30_000 : 200_000,
  pythonCount: quick ? 20_000 : 200_000,
  warmup: quick ? 2_000 : 10_000,
  timeCapS: quick ? 12 : 30,
  graceS: quick ? 10 : 20,
  maxPending: 50_000,
  drainTimeCapS: quick ? 12 : 30,
};
// One row per produce run; each gets its own broker. `client` says which official client drives it:
// 'go' is bench/go-load (pulsar-client-go), 'python' is bench/produce.py (pulsar-client). The first
// row is workload (b) and its backlog is drained afterwards (e) by the Go consumer, which checks the
// sequence numbers in the payloads. The Go client costs ~6 µs of CPU per batched message against the
// Python client's ~30, so the Go rows measure the broker; the Python row is kept for comparison. The
// Go producers of one process share one connection; the 2-process unbatched row uses two (the broker
// stops reading a connection at 1000 pending publishes). The fixed-rate rows show publish latency
// when nothing queues up in the client: at the 50,000 msg/s throughput target, and at 2,000 msg/s.
const highRate = 50_000;
const highRateCount = quick ? 50_000 : 250_000;
const fixedRate = 2_000;
const fixedRateCount = quick ? 5_000 : 10_000;
const rateLabel = (n) => `fixed ${n.toLocaleString('en-US')} msg/s`;
const produceRuns = [
  { id: 'go-batched-1', client: 'go', label: 'Go, batched, 1 producer', batching: 'on', procs: 1, producers: 1, count: config.goBatchedCount, drain: true },
  { id: 'go-batched-2', client: 'go', label: 'Go, batched, 2 producers', batching: 'on', procs: 1, producers: 2, count: config.goBatchedCount },
  { id: 'go-unbatched-4', client: 'go', label: 'Go, unbatched, 4 producers', batching: 'off', procs: 1, producers: 4, count: config.goUnbatchedCount },
  { id: 'go-unbatched-2x4', client: 'go', label: 'Go, unbatched, 2 processes × 4 producers', batching: 'off', procs: 2, producers: 4, count: config.goUnbatchedCount },
  { id: 'py-batched-1', client: 'python', label: 'Python, batched, 1 producer (official Python client)', batching: 'on', procs: 1, producers: 1, count: config.pythonCount },
  { id: 'go-batched-rate-high', client: 'go', label: `Go, batched, ${rateLabel(highRate)}`, batching: 'on', procs: 1, producers: 1, rate: highRate, count: highRateCount, repeat: true },
  { id: 'go-batched-rate', client: 'go', label: `Go, batched, ${rateLabel(fixedRate)}`, batching: 'on', procs: 1, producers: 1, rate: fixedRate, count: fixedRateCount },
  { id: 'go-unbatched-rate', client: 'go', label: `Go, unbatched, ${rateLabel(fixedRate)}`, batching: 'off', procs: 1, producers: 1, rate: fixedRate, count: fixedRateCount },
];
const clientName = { go: 'Go', python: 'Python' };

// (f) Key_Shared vs Shared: the same keyed backlog (one produce run per batching mode, kept on disk)
// drained by 4 consumers of one subscription, Shared and Key_Shared, each drain on a fresh broker
// started on a fresh copy of the backlog's data dir; the two types alternate in order from round to
// round. Then a live variant: producer and consumers at once on a fresh broker. Issue 4 asks for
// Key_Shared ≥ 70 % of Shared.
const ks = {
  count: quick ? 20_000 : 200_000,
  liveCount: quick ? 20_000 : 100_000,
  keys: 10_000,
  keyOrder: 'rr',
  consumers: 4,
  producers: 4,
  rounds: opts['ks-rounds'] !== undefined ? Math.max(1, Number.parseInt(opts['ks-rounds'], 10) || 1) : quick ? 1 : 2,
  drainTimeCapS: quick ? 30 : 60,
  target: 0.7,
  modes: [
    { id: 'off', label: 'batching off', batching: 'off', batcher: 'default' },
    { id: 'key', label: 'key-based batching', batching: 'on', batcher: 'key' },
  ],
  // Live runs: batching off (the cheaper producer for the client, so the broker gets more of the
  // machine) and at most 1000 messages pending per producer, so that end-to-end latency shows what
  // waits in the broker rather than in the producer's queue.
  liveModes: ['off'],
  liveMaxPending: 1000,
};
const ksTypeLabel = { shared: 'Shared', key_shared: 'Key_Shared' };


// ---------------------------------------------------------------------------------------------
// Statistics

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile of a sorted array. */
function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

const MB = 1e6;
const fmt = {
  int: (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—'),
  ms: (n) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)) : '—'),
  s: (n) => (Number.isFinite(n) ? n.toFixed(2) : '—'),
  mb: (bytes) => (Number.isFinite(bytes) ? (bytes / MB).toFixed(1) : '—'),
  pct: (n) => (Number.isFinite(n) ? `${Math.round(n * 100)} %` : '—'),
  us: (n) => (Number.isFinite(n) ? n.toFixed(1) : '—'),
};

// ---------------------------------------------------------------------------------------------
// (a) start to ready, first produce, idle RSS

/** Spawn → exit of a bare `node -e 0`: what the machine charges for starting Node at all right now. */
async function bareNodeMs() {
  const t0 = now();
  const child = track(spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' }));
  await exited(child);
  return now() - t0;
}

async function measureStart(i) {
  const bareNode = await bareNodeMs();
  const probe = spawnPython('first_produce.py', [`persistent://public/default/bench-first-produce-${i}`]);
  await expectLine(probe, 'LOADED', 20_000);
  const broker = new Broker();
  try {
    await broker.ready();
    probe.child.stdin.write(`${broker.url}\n`);
    const rssAtReady = broker.memory().VmRSS;
    const produced = expectLine(probe, 'PRODUCED', 15_000);
    const idleAt = broker.readyAt + config.idleRssDelayMs;
    const got = await produced;
    await sleep(Math.max(0, idleAt - now()));
    const mem = broker.memory();
    await exited(probe.child);
    const stop = await broker.stop();
    return {
      bareNodeMs: bareNode,
      readyMs: broker.readyMs,
      selfReportedMs: broker.selfReportedMs,
      firstProduceMs: got.at - broker.spawnedAt,
      firstProduceAfterReadyMs: got.at - broker.readyAt,
      rssAtReady,
      idleRss: mem.VmRSS,
      stop,
      problems: broker.problems(),
    };
  } catch (error) {
    probe.child.kill('SIGKILL');
    await broker.stop();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// (b)(c)(d)(e) produce runs and the drain

async function produceRun(spec, { profileDir } = {}) {
  const broker = new Broker({ profileDir });
  const topic = `persistent://public/default/bench-${spec.id}`;
  const latDir = mkdtempSync(join(tmpdir(), 'vela-bench-lat-'));
  const perProc = Math.ceil(spec.count / spec.procs);
  const procs = [];
  const result = { spec, topic, brokerStop: null, errors: [], clientLog: [] };
  try {
    await broker.ready();
    for (let p = 0; p < spec.procs; p++) {
      let proc;
      if (spec.client === 'go') {
        // Sequence numbers (in the payload) are unique across processes: process p sends
        // [p × perProc, (p + 1) × perProc); the drain checks them.
        proc = spawnGo('produce', [
          '-sync',
          '-url', broker.url,
          '-topic', topic,
          '-count', String(perProc),
          '-size', String(config.size),
          '-batching', spec.batching,
          '-producers', String(spec.producers),
          '-max-pending', String(config.maxPending),
          '-warmup', String(Math.ceil(config.warmup / spec.procs)),
          '-time-cap', String(config.timeCapS),
          '-grace', String(config.graceS),
          '-rate', String((spec.rate ?? 0) / spec.procs),
          '-seq-base', String(p * perProc),
          '-producer-base', String(p * spec.producers),
        ]);
      } else {
        const latOut = join(latDir, `lat-${p}.f64`);
        proc = spawnPython('produce.py', [
          '--url', broker.url,
          '--topic', topic,
          '--count', String(perProc),
          '--size', String(config.size),
          '--batching', spec.batching,
          '--producers', String(spec.producers),
          '--max-pending', String(config.maxPending),
          '--warmup', String(Math.ceil(config.warmup / spec.procs)),
          '--time-cap', String(config.timeCapS),
          '--grace', String(config.graceS),
          '--lat-out', latOut,
          '--rate', String((spec.rate ?? 0) / spec.procs),
        ]);
        proc.latOut = latOut;
      }
      procs.push(proc);
    }
    await Promise.all(procs.map((proc) => expectLine(proc, 'READY', 60_000)));
    const cpu0 = broker.cpu();
    const machine0 = machineCpu();
    const t0 = now();
    const mono0 = monotonicUs();
    for (const proc of procs) proc.child.stdin.write('GO\n');
    const limit = (config.timeCapS + config.graceS + 30) * 1000;
    await Promise.all(procs.map((proc) => expectLine(proc, 'DONE', limit)));
    const t1 = now();
    const mono1 = monotonicUs();
    const cpu1 = broker.cpu();
    const machine1 = machineCpu();
    const memAfterProduce = broker.memory();
    const results = await Promise.all(procs.map((proc) => expectLine(proc, 'RESULT', 30_000).then((got) => JSON.parse(got.line.slice(7)))));
    await Promise.all(procs.map((proc) => exited(proc.child)));
    for (const [i, proc] of procs.entries()) {
      if (proc.child.exitCode !== 0) result.errors.push(`producer process ${i} exited with ${proc.child.exitCode}: ${proc.stderr().slice(-1500)}`);
      else result.clientLog.push(...clientLogLines(proc.stderr()).map((line) => `producer process ${i}: ${line}`));
    }

    // Aggregate over processes: the window runs from the first START to the last receipt.
    const start = Math.min(...results.map((r) => r.start_unix_s));
    const end = Math.max(...results.map((r) => r.end_unix_s));
    const elapsed = end - start;
    const sum = (key) => results.reduce((a, r) => a + r[key], 0);
    const acked = sum('acked');
    const lat = spec.client === 'go' ? latencyFromHistograms(results) : latencyFromFiles(procs.map((proc) => proc.latOut));
    for (const r of results) delete r.hist_us; // merged above; too long for the raw JSON
    const brokerCpu = cpu1 - cpu0;
    const clientCpu = sum('client_cpu_s');
    const windowS = (t1 - t0) / 1000;
    const machineBusy = machine1.busy - machine0.busy;
    Object.assign(result, {
      procResults: results,
      sent: sum('sent'),
      acked,
      failed: sum('failed'),
      missing: sum('missing_receipts'),
      firstError: results.map((r) => r.first_error).find(Boolean) ?? null,
      timeCapped: results.some((r) => r.time_capped),
      complete: results.every((r) => r.complete),
      elapsedS: elapsed,
      msgPerS: acked / elapsed,
      mbPerS: (acked * config.size) / elapsed / MB,
      lat,
      brokerCpuS: brokerCpu,
      brokerCoreShare: brokerCpu / windowS,
      brokerUsPerMsg: (brokerCpu / acked) * 1e6,
      clientCpuS: clientCpu,
      clientCoreShare: clientCpu / windowS,
      clientUsPerMsg: (clientCpu / acked) * 1e6,
      machineBusyShare: machineBusy / windowS,
      otherCoreShare: (machineBusy - brokerCpu - clientCpu) / windowS,
      windowS,
      monotonicWindowUs: [mono0, mono1],
      hwmAfterProduce: memAfterProduce.VmHWM,
      rssAfterProduce: memAfterProduce.VmRSS,
    });
    if (result.missing > 0) result.errors.push(`${result.missing} messages sent without a receipt or an error callback`);
    if (result.failed > 0) result.errors.push(`${result.failed} sends failed (first: ${result.firstError})`);

    if (spec.drain) {
      const d = (result.drain = await drain(broker, topic, result.sent));
      const bad = [];
      if (d.received !== d.expected) bad.push(`received ${d.received} of ${d.expected} (${d.stop_reason})`);
      for (const key of ['duplicates', 'missing', 'out_of_order', 'bad_payload', 'out_of_range']) if (d[key] > 0) bad.push(`${d[key]} ${key.replace(/_/g, ' ')}`);
      if (d.missing > 0) bad.push(`first missing sequence numbers ${JSON.stringify(d.first_missing)}`);
      if (bad.length || d.exitCode !== 0) result.errors.push(`drain: ${bad.join(', ') || `exit code ${d.exitCode}`}${d.stderr ? `: ${d.stderr}` : ''}`);
    }
    result.hwmEnd = broker.memory().VmHWM;
  } catch (error) {
    result.errors.push(String(error.stack ?? error));
    for (const proc of procs) proc.child.kill('SIGKILL');
  } finally {
    result.brokerStop = await broker.stop();
    result.brokerProblems = broker.problems();
    result.brokerStderrTail = broker.stderr.slice(-3000);
    rmSync(latDir, { recursive: true, force: true });
  }
  return result;
}

/** Publish latency over all messages of a Python run: every latency, float64 ms, one file per process. */
function latencyFromFiles(files) {
  const latencies = [];
  for (const file of files) {
    const buf = readFileSync(file);
    latencies.push(new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)));
  }
  const all = new Float64Array(latencies.reduce((a, l) => a + l.length, 0));
  let off = 0;
  for (const l of latencies) {
    all.set(l, off);
    off += l.length;
  }
  all.sort();
  return { p50: percentile(all, 50), p99: percentile(all, 99), p999: percentile(all, 99.9), max: all[all.length - 1], source: 'every latency' };
}

/**
 * Publish latency over all messages of a Go run: the processes' histograms ([bucket midpoint µs,
 * count]; buckets are exact below 512 µs and at most 0.4 % wide above) merged, nearest rank.
 */
function latencyFromHistograms(results) {
  const counts = new Map();
  for (const r of results) for (const [us, n] of r.hist_us ?? []) counts.set(us, (counts.get(us) ?? 0) + n);
  const buckets = [...counts.entries()].sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((a, [, n]) => a + n, 0);
  const rank = (p) => {
    const target = Math.max(1, Math.ceil((p / 100) * total));
    let seen = 0;
    for (const [us, n] of buckets) {
      seen += n;
      if (seen >= target) return us / 1000;
    }
    return NaN;
  };
  // A bucket's midpoint can lie above the largest value recorded in it: never report more than the maximum.
  const max = Math.max(...results.map((r) => r.max_ms ?? NaN));
  const at = (p) => Math.min(rank(p), max);
  return { p50: at(50), p99: at(99), p999: at(99.9), max, source: 'histogram' };
}

/**
 * Drains the backlog with one Exclusive consumer of the Go client, which checks the sequence numbers
 * [0, sent) that the Go producer wrote into the payloads: every one exactly once, in order per producer.
 */
async function drain(broker, topic, expected) {
  const proc = spawnGo('consume', [
    '-sync',
    '-url', broker.url,
    '-topic', topic,
    '-count', String(expected),
    '-time-cap', String(config.drainTimeCapS),
  ]);
  await expectLine(proc, 'START', 30_000);
  const cpu0 = broker.cpu();
  const machine0 = machineCpu();
  const t0 = now();
  await expectLine(proc, 'DONE', (config.drainTimeCapS + 30) * 1000);
  const t1 = now();
  const cpu1 = broker.cpu();
  const machine1 = machineCpu();
  const r = JSON.parse((await expectLine(proc, 'RESULT', 30_000)).line.slice(7));
  await exited(proc.child);
  const windowS = (t1 - t0) / 1000;
  const brokerCpu = cpu1 - cpu0;
  return {
    ...r,
    msgPerS: r.received / r.elapsed_s,
    mbPerS: r.payload_bytes / r.elapsed_s / MB,
    brokerCpuS: brokerCpu,
    brokerCoreShare: brokerCpu / windowS,
    clientCoreShare: r.client_cpu_s / windowS,
    machineBusyShare: (machine1.busy - machine0.busy) / windowS,
    exitCode: proc.child.exitCode,
    stderr: proc.child.exitCode === 0 ? '' : proc.stderr().slice(-1500),
    clientLog: clientLogLines(proc.stderr()),
  };
}

// ---------------------------------------------------------------------------------------------
// (f) Key_Shared vs Shared

/** go-load produce arguments for a keyed run (ks.keys keys, round-robin) of `mode`'s batching. */
function ksProduceArgs(url, topic, count, mode, maxPending = config.maxPending) {
  return [
    '-sync',
    '-url', url,
    '-topic', topic,
    '-count', String(count),
    '-size', String(config.size),
    '-batching', mode.batching,
    '-batcher', mode.batcher,
    '-keys', String(ks.keys),
    '-key-order', ks.keyOrder,
    '-producers', String(ks.producers),
    '-max-pending', String(maxPending),
    '-time-cap', String(config.timeCapS * 2),
    '-grace', String(config.graceS),
  ];
}

/** go-load consume arguments: ks.consumers consumers of one subscription of `type`. */
function ksConsumeArgs(url, topic, type, count, extra = []) {
  return [
    '-sync',
    ...extra,
    '-url', url,
    '-topic', topic,
    '-subscription', 'bench-ks',
    '-type', type,
    '-consumers', String(ks.consumers),
    '-keys', String(ks.keys),
    '-count', String(count),
    '-time-cap', String(ks.drainTimeCapS),
  ];
}

/**
 * Produces the keyed backlog of `mode` on a fresh broker, stops it (SIGTERM: cursors persisted,
 * everything fsynced) and keeps its data dir: every drain starts a fresh broker on a copy of it.
 */
async function ksProduceBacklog(mode) {
  const broker = new Broker();
  const topic = `persistent://public/default/bench-keyed-${mode.id}`;
  const result = { mode, topic, dataDir: broker.dataDir, errors: [], clientLog: [] };
  let proc;
  try {
    await broker.ready();
    proc = spawnGo('produce', ksProduceArgs(broker.url, topic, ks.count, mode));
    await expectLine(proc, 'READY', 60_000);
    const cpu0 = broker.cpu();
    const t0 = now();
    proc.child.stdin.write('GO\n');
    await expectLine(proc, 'DONE', (config.timeCapS * 2 + config.graceS + 30) * 1000);
    const windowS = (now() - t0) / 1000;
    const brokerCpu = broker.cpu() - cpu0;
    const r = JSON.parse((await expectLine(proc, 'RESULT', 30_000)).line.slice(7));
    delete r.hist_us;
    await exited(proc.child);
    Object.assign(result, { produce: r, acked: r.acked, msgPerS: r.msg_per_s, windowS, brokerCpuS: brokerCpu, brokerUsPerMsg: (brokerCpu / r.acked) * 1e6 });
    if (proc.child.exitCode !== 0) result.errors.push(`producer exited with ${proc.child.exitCode}: ${proc.stderr().slice(-1500)}`);
    else result.clientLog.push(...clientLogLines(proc.stderr()));
    if (r.acked !== ks.count) result.errors.push(`backlog incomplete: ${r.acked} of ${ks.count} acknowledged${r.time_capped ? ' (time cap)' : ''}, ${r.failed} failed (first: ${r.first_error})`);
  } catch (error) {
    result.errors.push(String(error.stack ?? error));
    proc?.child.kill('SIGKILL');
  } finally {
    result.brokerStop = await broker.stop({ keepData: true });
    result.brokerProblems = broker.problems();
    if (!result.brokerStop.clean) result.errors.push(`backlog broker did not stop cleanly: ${JSON.stringify(result.brokerStop)}`);
  }
  return result;
}

/**
 * What must hold for every drain; Key_Shared also: per-key order, and each key at one consumer. Returns
 * errors and warnings: a key that moved only forward, to a consumer that subscribed after the key's
 * previous one, with its order held, is what AUTO_SPLIT does when a consumer joins after the first
 * messages went out (the subscribes are concurrent but not atomic): listed, not counted as an error.
 */
function ksCheck(type, r) {
  const bad = [];
  const warnings = [];
  if (r.received !== r.expected) bad.push(`received ${r.received} of ${r.expected} (${r.stop_reason})`);
  for (const key of ['duplicates', 'missing', 'bad_payload', 'out_of_range', 'key_mismatch', 'ack_errors']) if (r[key] > 0) bad.push(`${r[key]} ${key.replace(/_/g, ' ')}`);
  if (r.missing > 0) bad.push(`first missing sequence numbers ${JSON.stringify(r.first_missing)}`);
  if (r.ack_errors > 0) bad.push(`first ack error: ${r.first_ack_error}`);
  if (r.keyed !== r.received) bad.push(`${r.received - r.keyed} messages without the keyed header`);
  if (type === 'key_shared') {
    if (r.key_out_of_order > 0) bad.push(`${r.key_out_of_order} per-key order violations (first: ${r.first_key_out_of_order})`);
    if (r.keys_at_several_consumers > 0) {
      const text = `${r.keys_at_several_consumers} keys seen at more than one consumer (${r.key_moves} moves: ${r.key_moves_back} back to a consumer that had the key before, ${r.key_moves_to_earlier_joined} to a consumer that subscribed before the key's previous one; the last move at message ${r.last_key_move_at}; the ${ks.consumers} subscribes returned within ${fmt.ms(r.subscribe_spread_s * 1000)} ms, ${r.received_before_all_subscribed} messages arrived before the last)`;
      if (r.key_moves_back > 0 || r.key_moves_to_earlier_joined > 0 || r.key_out_of_order > 0) bad.push(text);
      else warnings.push(`${text}: each key moved forward to a consumer that joined later, in order — what AUTO_SPLIT does when a consumer joins after the first messages went out`);
    }
  }
  return { errors: bad, warnings };
}

/** Reads the consumer's RESULT and the CPU figures of a drain or live run into `result`. */
function ksFigures(result, r, { brokerCpu, windowS, machineBusy, clientCpu }) {
  const received = r.received;
  Object.assign(result, {
    consume: r,
    received,
    msgPerS: received / r.elapsed_s,
    mbPerS: r.payload_bytes / r.elapsed_s / MB,
    windowS,
    brokerCpuS: brokerCpu,
    brokerCoreShare: brokerCpu / windowS,
    brokerUsPerMsg: (brokerCpu / received) * 1e6,
    clientCpuS: clientCpu,
    clientCoreShare: clientCpu / windowS,
    clientUsPerMsg: (clientCpu / received) * 1e6,
    machineBusyShare: machineBusy / windowS,
    otherCoreShare: (machineBusy - brokerCpu - clientCpu) / windowS,
  });
}

/** One drain of `backlog` by ks.consumers consumers of `type`, on a fresh broker on a fresh copy of the backlog. */
async function ksDrain(backlog, type, round, { profileDir } = {}) {
  const spec = {
    id: `ks-drain-${backlog.mode.id}-${type}`,
    kind: 'drain',
    mode: backlog.mode.id,
    type,
    label: `${ksTypeLabel[type]}, backlog ${backlog.mode.label}`,
  };
  const result = { spec, round, errors: [], clientLog: [] };
  const dataDir = mkdtempSync(join(tmpdir(), 'vela-bench-data-'));
  let broker;
  let proc;
  try {
    const c0 = now();
    cpSync(backlog.dataDir, dataDir, { recursive: true });
    result.copyMs = now() - c0;
    broker = new Broker({ dataDir, profileDir });
    await broker.ready(30_000);
    result.readyMs = broker.readyMs;
    // -preload: the restarted broker loads the topic (recovers the backlog's ledger) before the window starts.
    proc = spawnGo('consume', ksConsumeArgs(broker.url, backlog.topic, type, backlog.acked, ['-preload']));
    await expectLine(proc, 'START', 60_000);
    const cpu0 = broker.cpu();
    const machine0 = machineCpu();
    const t0 = now();
    const mono0 = monotonicUs();
    await expectLine(proc, 'DONE', (ks.drainTimeCapS + 30) * 1000);
    const t1 = now();
    const mono1 = monotonicUs();
    const brokerCpu = broker.cpu() - cpu0;
    const machineBusy = machineCpu().busy - machine0.busy;
    const r = JSON.parse((await expectLine(proc, 'RESULT', 30_000)).line.slice(7));
    await exited(proc.child);
    ksFigures(result, r, { brokerCpu, windowS: (t1 - t0) / 1000, machineBusy, clientCpu: r.client_cpu_s });
    result.monotonicWindowUs = [mono0, mono1];
    const checked = ksCheck(type, r);
    result.errors.push(...checked.errors);
    result.warnings = checked.warnings;
    if (proc.child.exitCode !== 0 && result.errors.length === 0) result.errors.push(`consumer exited with ${proc.child.exitCode}: ${proc.stderr().slice(-1500)}`);
    result.clientLog.push(...clientLogLines(proc.stderr()).map((line) => `consumer process: ${line}`));
    result.hwmEnd = broker.memory().VmHWM;
  } catch (error) {
    result.errors.push(String(error.stack ?? error));
    proc?.child.kill('SIGKILL');
  } finally {
    if (broker) {
      result.brokerStop = await broker.stop(); // removes dataDir
      result.brokerProblems = broker.problems();
      result.brokerStderrTail = broker.stderr.slice(-3000);
    } else {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return result;
}

/** Live: the ks.consumers consumers subscribe on a fresh broker, then a keyed producer and they run at once. */
async function ksLive(mode, type, round) {
  const spec = { id: `ks-live-${mode.id}-${type}`, kind: 'live', mode: mode.id, type, label: `${ksTypeLabel[type]}, live, producer ${mode.label}` };
  const result = { spec, round, errors: [], clientLog: [] };
  const broker = new Broker();
  const topic = `persistent://public/default/bench-keyed-live-${mode.id}`;
  const procs = [];
  try {
    await broker.ready();
    const cons = spawnGo('consume', ksConsumeArgs(broker.url, topic, type, ks.liveCount, ['-wait-go']));
    procs.push(cons);
    await expectLine(cons, 'READY', 30_000);
    const prod = spawnGo('produce', ksProduceArgs(broker.url, topic, ks.liveCount, mode, ks.liveMaxPending));
    procs.push(prod);
    await expectLine(prod, 'READY', 60_000);
    const cpu0 = broker.cpu();
    const machine0 = machineCpu();
    const t0 = now();
    cons.child.stdin.write('GO\n');
    prod.child.stdin.write('GO\n');
    const limit = (Math.max(ks.drainTimeCapS, config.timeCapS * 2 + config.graceS) + 30) * 1000;
    await Promise.all([expectLine(cons, 'DONE', limit), expectLine(prod, 'DONE', limit)]);
    const t1 = now();
    const brokerCpu = broker.cpu() - cpu0;
    const machineBusy = machineCpu().busy - machine0.busy;
    const [r, p] = await Promise.all([cons, prod].map((proc) => expectLine(proc, 'RESULT', 30_000).then((got) => JSON.parse(got.line.slice(7)))));
    delete p.hist_us;
    await Promise.all(procs.map((proc) => exited(proc.child)));
    ksFigures(result, r, { brokerCpu, windowS: (t1 - t0) / 1000, machineBusy, clientCpu: r.client_cpu_s + p.client_cpu_s });
    Object.assign(result, { produce: p, produceMsgPerS: p.msg_per_s });
    const checked = ksCheck(type, r);
    result.errors.push(...checked.errors);
    result.warnings = checked.warnings;
    if (p.acked !== ks.liveCount) result.errors.push(`producer: ${p.acked} of ${ks.liveCount} acknowledged, ${p.failed} failed (first: ${p.first_error})`);
    for (const [name, proc] of [['consumer', cons], ['producer', prod]]) {
      if (proc.child.exitCode !== 0 && result.errors.length === 0) result.errors.push(`${name} exited with ${proc.child.exitCode}: ${proc.stderr().slice(-1500)}`);
      result.clientLog.push(...clientLogLines(proc.stderr()).map((line) => `${name} process: ${line}`));
    }
    result.hwmEnd = broker.memory().VmHWM;
  } catch (error) {
    result.errors.push(String(error.stack ?? error));
    for (const proc of procs) proc.child.kill('SIGKILL');
  } finally {
    result.brokerStop = await broker.stop();
    result.brokerProblems = broker.problems();
    result.brokerStderrTail = broker.stderr.slice(-3000);
  }
  return result;
}

function ksLogRun(r) {
  const c = r.consume;
  log(
    `  ${fmt.int(r.msgPerS)} msg/s${r.produceMsgPerS ? ` (producer ${fmt.int(r.produceMsgPerS)} msg/s)` : ''}, per consumer ${c ? c.per_consumer.map(fmt.int).join('/') : '—'}; ` +
      `broker CPU ${fmt.pct(r.brokerCoreShare)} (${fmt.us(r.brokerUsPerMsg)} µs/msg), client CPU ${fmt.pct(r.clientCoreShare)}, others ${fmt.pct(r.otherCoreShare)}` +
      (c ? `; keys at >1 consumer ${fmt.int(c.keys_at_several_consumers)}, per-key order violations ${fmt.int(c.key_out_of_order)}` : ''),
  );
  for (const e of r.errors) log(`  ERROR: ${e}`);
  for (const e of r.warnings ?? []) log(`  WARNING: ${e}`);
  if (r.errors.length && r.brokerStderrTail) log(`  broker stderr tail:\n${r.brokerStderrTail}`);
}

/** (f): backlogs, then the rounds of drains and live runs; with --profile one profiled Key_Shared drain. */
async function keySharedSection(profiles) {
  const out = { backlogs: [], runs: [], skippedRounds: 0 };
  const backlogs = new Map();
  const budgetS = quick ? 110 : 380; // rounds after the second are skipped past this (seconds since start)
  try {
    for (const mode of ks.modes) {
      log(`bench: (f) backlog, ${mode.label}: ${fmt.int(ks.count)} messages, ${fmt.int(ks.keys)} keys round-robin, ${ks.producers} producers`);
      const b = await ksProduceBacklog(mode);
      out.backlogs.push(b);
      log(`  ${fmt.int(b.msgPerS)} msg/s produced, broker ${fmt.us(b.brokerUsPerMsg)} µs/msg`);
      for (const e of b.errors) log(`  ERROR: ${e}`);
      if (b.errors.length === 0) backlogs.set(mode.id, b);
    }
    let roundS = 0;
    for (let round = 1; round <= ks.rounds; round++) {
      if (round > 2 && now() / 1000 + roundS > budgetS) {
        out.skippedRounds = ks.rounds - round + 1;
        log(`bench: (f) skipping rounds ${round}–${ks.rounds} to stay within ${budgetS} s`);
        break;
      }
      const roundStart = now();
      // Alternating order: Shared first in odd rounds, Key_Shared first in even ones.
      const order = round % 2 === 1 ? ['shared', 'key_shared'] : ['key_shared', 'shared'];
      for (const mode of ks.modes) {
        const b = backlogs.get(mode.id);
        if (!b) continue;
        for (const type of order) {
          log(`bench: (f) round ${round}/${ks.rounds}: ${ksTypeLabel[type]} drain, ${ks.consumers} consumers, backlog ${mode.label} (${fmt.int(b.acked)} messages)`);
          const r = await ksDrain(b, type, round);
          out.runs.push(r);
          ksLogRun(r);
        }
      }
      for (const id of ks.liveModes) {
        const mode = ks.modes.find((m) => m.id === id);
        for (const type of order) {
          log(`bench: (f) round ${round}/${ks.rounds}: ${ksTypeLabel[type]} live, ${ks.consumers} consumers, producer ${mode.label} (${fmt.int(ks.liveCount)} messages)`);
          const r = await ksLive(mode, type, round);
          out.runs.push(r);
          ksLogRun(r);
        }
      }
      roundS = (now() - roundStart) / 1000;
    }
    if (opts.profile) {
      const b = backlogs.get('key') ?? [...backlogs.values()][0];
      if (b) {
        log(`bench: profiling the broker (node --cpu-prof): Key_Shared drain, backlog ${b.mode.label}`);
        const profileDir = mkdtempSync(join(tmpdir(), 'vela-bench-prof-'));
        try {
          const result = await ksDrain(b, 'key_shared', 0, { profileDir });
          result.spec = { ...result.spec, id: `profile-${result.spec.id}`, label: `Key_Shared drain, ${ks.consumers} consumers, backlog ${b.mode.label}` };
          const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
          const prof = file
            ? { spec: result.spec, result, ...topSelfTime(join(profileDir, file), result.monotonicWindowUs, 10, 'drain window') }
            : { spec: result.spec, result, error: 'no .cpuprofile was written (did the broker exit cleanly?)' };
          profiles.push(prof);
          if (prof.error) log(`  ${prof.error}`);
          else for (const row of prof.rows.slice(0, 5)) log(`  ${fmt.pct(row.share).padStart(5)}  ${row.name}`);
        } finally {
          rmSync(profileDir, { recursive: true, force: true });
        }
      }
    }
  } finally {
    for (const b of out.backlogs) rmSync(b.dataDir, { recursive: true, force: true });
  }
  return out;
}

/**
 * Per backlog mode (drains) or producer mode (live): the fastest round of each type (the least disturbed
 * by other tenants, as elsewhere in this report) and their ratio, plus the mean of the rounds and the
 * ratio within each round.
 */
function ksSummary(runs, kind, modeIds) {
  const mean = (values) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN);
  return modeIds.map((modeId) => {
    const pick = (type) => runs.filter((r) => r.spec.kind === kind && r.spec.mode === modeId && r.spec.type === type);
    const shared = pick('shared');
    const keyShared = pick('key_shared');
    const rate = (list) => mean(list.map((r) => r.msgPerS).filter(Number.isFinite));
    const fastest = (list) => list.filter((r) => Number.isFinite(r.msgPerS)).reduce((a, b) => (a && a.msgPerS >= b.msgPerS ? a : b), undefined);
    const rounds = [...new Set([...shared, ...keyShared].map((r) => r.round))].sort((a, b) => a - b);
    const roundRatios = rounds.map((round) => {
      const s = shared.find((r) => r.round === round);
      const k = keyShared.find((r) => r.round === round);
      return s && k ? k.msgPerS / s.msgPerS : NaN;
    });
    const sharedBest = fastest(shared);
    const keySharedBest = fastest(keyShared);
    return {
      mode: ks.modes.find((m) => m.id === modeId),
      shared,
      keyShared,
      sharedBest,
      keySharedBest,
      sharedRate: sharedBest?.msgPerS ?? NaN,
      keySharedRate: keySharedBest?.msgPerS ?? NaN,
      ratio: (keySharedBest?.msgPerS ?? NaN) / (sharedBest?.msgPerS ?? NaN),
      meanRatio: rate(keyShared) / rate(shared),
      sharedUs: mean(shared.map((r) => r.brokerUsPerMsg).filter(Number.isFinite)),
      keySharedUs: mean(keyShared.map((r) => r.brokerUsPerMsg).filter(Number.isFinite)),
      roundRatios,
      errors: [...shared, ...keyShared].reduce((a, r) => a + r.errors.length, 0),
    };
  });
}

function ksVerdict(r, nproc) {
  if (!Number.isFinite(r.brokerCoreShare)) return '—';
  if (r.brokerCoreShare >= 0.85) return 'broker CPU';
  if (r.machineBusyShare >= 0.95 * nproc) return `machine full (broker ${fmt.pct(r.brokerCoreShare)}, client ${fmt.pct(r.clientCoreShare)}, others ${fmt.pct(r.otherCoreShare)})`;
  return 'no CPU saturated';
}

/** Section (f) of RESULTS.md. */
function ksReport(w, ksOut, drains, live, env) {
  const roundsOf = (list, f) => (list.length ? list.map((r) => f(r)).join(' / ') : '—');
  w(`## (f) Key_Shared vs Shared: ${ks.consumers} consumers, ${fmt.int(ks.keys)} keys (issue 4)`);
  w();
  w(
    `Keyed messages (Go client, ${config.size} B, partition key \`key-<n>\` with n = sequence number mod ${fmt.int(ks.keys)}, i.e. round-robin over ${fmt.int(ks.keys)} keys, ${ks.producers} producers in one process). ` +
      `For each batching mode one backlog of ${fmt.int(ks.count)} messages is produced on a fresh broker, which is then stopped (SIGTERM); every drain starts a fresh broker on a fresh copy of that data dir, so all drains of a mode read the same bytes. ` +
      `A drain is one \`go-load consume\` process with ${ks.consumers} consumers of one subscription (Shared or Key_Shared AUTO_SPLIT, at Earliest, receiver queue 1000 each, one connection) that subscribe at once and each acknowledge every message (Ack, grouped by the client: 1000 acks or 100 ms). ` +
      `Before the window, the consumer process creates and closes a producer on the topic, so that the restarted broker has loaded the topic (recovered its ledger); msg/s then runs from just before subscribe to the last message. The two types run one after the other, in alternating order from round to round (odd rounds Shared first, even rounds Key_Shared first), ${ks.rounds} round${ks.rounds > 1 ? 's' : ''}. As elsewhere in this report the fastest round of each type counts (the least disturbed by other tenants: look at "others" below); the ratio is fastest Key_Shared over fastest Shared; the ratio of the means and the ratio within each round are listed too. Broker µs/msg (mean of the rounds) is much less sensitive to other load than msg/s; the CPU-cost ratio, Shared µs/msg over Key_Shared µs/msg, is the throughput ratio to expect when the broker is the bottleneck. On this shared VM the msg/s ratio of one run has been seen to move by ±15 points with other load; read it next to the CPU-cost ratio and the "others" column. ` +
      `With ${fmt.int(ks.keys)} round-robin keys the key-based batch builder puts one message in each batch (no key repeats within a batch window), so both backlogs store one message per entry; the key-based one in batch format.`,
  );
  w();
  w('| backlog | Shared msg/s: fastest (rounds) | Key_Shared msg/s: fastest (rounds) | Key_Shared / Shared | mean of rounds | per round | broker µs/msg, Shared / Key_Shared (mean of rounds) | CPU-cost ratio | target ≥ 70 % |');
  w('|---|---|---|---|---|---|---|---|---|');
  for (const s of drains) {
    w(
      `| ${s.mode.label} | ${fmt.int(s.sharedRate)} (${roundsOf(s.shared, (r) => fmt.int(r.msgPerS))}) | ${fmt.int(s.keySharedRate)} (${roundsOf(s.keyShared, (r) => fmt.int(r.msgPerS))}) | ${fmt.pct(s.ratio)} | ${fmt.pct(s.meanRatio)} | ${s.roundRatios.map(fmt.pct).join(' / ')} | ${fmt.us(s.sharedUs)} / ${fmt.us(s.keySharedUs)} | ${fmt.pct(s.sharedUs / s.keySharedUs)} | ${Number.isFinite(s.ratio) ? passMiss(s.ratio >= ks.target) : '—'} |`,
    );
  }
  w();
  for (const b of ksOut.backlogs) {
    w(`- Backlog ${b.mode.label}: ${fmt.int(b.acked)} messages produced at ${fmt.int(b.msgPerS)} msg/s (broker ${fmt.us(b.brokerUsPerMsg)} µs/msg)${b.errors.length ? ` — ${b.errors.join('; ')}` : ''}.`);
  }
  w();
  if (live.some((s) => s.shared.length || s.keyShared.length)) {
    w('### Live: producer and consumers at once');
    w();
    w(
      `A fresh broker per run; the ${ks.consumers} consumers subscribe first, then one producer process (${ks.producers} producers, maximum rate, the same keys, at most ${fmt.int(ks.liveMaxPending)} messages pending per producer) sends ${fmt.int(ks.liveCount)} messages while they receive; same rounds and alternating order as the drains. msg/s is what the consumers received per second from the start signal to the last message; end-to-end latency is send (just before SendAsync) → received by the consumer, over every message: when the consumers fall behind the producer it grows with the backlog waiting in the broker.`,
    );
    w();
    w('| producer | subscription | consumers msg/s: fastest (rounds) | Key_Shared / Shared: fastest, mean, per round | producer msg/s (rounds) | end-to-end p50 / p99 ms (rounds) |');
    w('|---|---|---|---|---|---|');
    const list = (runs, f) => (runs.length ? runs.map(f).join(', ') : '—');
    for (const s of live) {
      for (const [type, runs, rate] of [['shared', s.shared, s.sharedRate], ['key_shared', s.keyShared, s.keySharedRate]]) {
        w(
          `| ${s.mode.label}, ${fmt.int(ks.liveMaxPending)} max pending per producer | ${ksTypeLabel[type]} | ${fmt.int(rate)} (${list(runs, (r) => fmt.int(r.msgPerS))}) | ${type === 'key_shared' ? `${fmt.pct(s.ratio)}, ${fmt.pct(s.meanRatio)}, ${s.roundRatios.map(fmt.pct).join(' / ')}` : ''} | ${list(runs, (r) => fmt.int(r.produceMsgPerS))} | ${list(runs, (r) => `${fmt.ms(r.consume?.e2e_p50_ms)} / ${fmt.ms(r.consume?.e2e_p99_ms)}`)} |`,
        );
      }
    }
    w();
  }
  w('### CPU split, every run');
  w();
  w('Shares of one core over the run\'s window (drain: subscribe → last message; live: start → last message and last receipt). Client = the consumer process (live: plus the producer process). Broker µs/msg = broker CPU / messages received (live: it includes producing them).');
  w();
  w('| run | round | msg/s | window s | broker CPU | broker µs/msg | client CPU | client µs/msg | others | machine busy | limit (heuristic) |');
  w('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of ksOut.runs) {
    w(
      `| ${r.spec.label} | ${r.round} | ${fmt.int(r.msgPerS)} | ${fmt.s(r.windowS)} | ${fmt.s(r.brokerCpuS)} s (${fmt.pct(r.brokerCoreShare)}) | ${fmt.us(r.brokerUsPerMsg)} | ${fmt.s(r.clientCpuS)} s (${fmt.pct(r.clientCoreShare)}) | ${fmt.us(r.clientUsPerMsg)} | ${fmt.pct(r.otherCoreShare)} | ${fmt.pct(r.machineBusyShare)} | ${ksVerdict(r, env.nproc)} |`,
    );
  }
  w();
  w('### Checks, every run');
  w();
  w(
    'Every sequence number of the backlog exactly once (duplicates, missing); the key in each message matches the key number in its payload. Key_Shared only: per key the sequence numbers rise (per producer) in the order the consumers handled them — a message is checked before it is acknowledged, so a key can only move to another consumer after its earlier messages were checked — and every key at one consumer. The four consumers subscribe at once, but their subscribes are not atomic: when the broker dispatches to the first before the last has joined, AUTO_SPLIT moves some keys to the later one (after the earlier consumer acknowledged them, PIP-379). Such a key, moved forward to a consumer that subscribed later and in order, is a warning; a key moving back, to a consumer that subscribed earlier, or out of order is an error. "Spread" is the time between the first and the last subscribe returning. On Shared, keys at several consumers are expected and listed for contrast. "Reordered across keys" counts messages that reached a consumer after a later message of the same producer (different keys): allowed on both types, listed for information.',
  );
  w();
  w('| run | round | received / expected | duplicates | missing | per consumer | keys at > 1 consumer | per-key order violations | reordered across keys | topic load ms | subscribe ms (spread) | first message ms | errors / warnings |');
  w('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of ksOut.runs) {
    const c = r.consume;
    if (!c) {
      w(`| ${r.spec.label} | ${r.round} | — | — | — | — | — | — | — | — | — | — | ${r.errors.length} / ${(r.warnings ?? []).length} |`);
      continue;
    }
    w(
      `| ${r.spec.label} | ${r.round} | ${fmt.int(c.received)} / ${fmt.int(c.expected)} | ${fmt.int(c.duplicates)} | ${fmt.int(c.missing)} | ${c.per_consumer.map(fmt.int).join(' / ')} | ${fmt.int(c.keys_at_several_consumers)} of ${fmt.int(c.keys_seen)} | ${fmt.int(c.key_out_of_order)} | ${fmt.int(c.out_of_order)} | ${c.preload_s ? fmt.ms(c.preload_s * 1000) : '—'} | ${fmt.ms(c.subscribe_s * 1000)} (${fmt.ms(c.subscribe_spread_s * 1000)}) | ${fmt.ms(c.first_message_s * 1000)} | ${r.errors.length} / ${(r.warnings ?? []).length} |`,
    );
  }
  w();
}

// ---------------------------------------------------------------------------------------------
// CPU profile of the broker (--profile)


async function profileRun(base) {
  const profileDir = mkdtempSync(join(tmpdir(), 'vela-bench-prof-'));
  try {
    const spec = { ...base, drain: false, id: `profile-${base.id}` };
    const result = await produceRun(spec, { profileDir });
    const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) return { spec, result, error: 'no .cpuprofile was written (did the broker exit cleanly?)' };
    return { spec, result, ...topSelfTime(join(profileDir, file), result.monotonicWindowUs) };
  } finally {
    rmSync(profileDir, { recursive: true, force: true });
  }
}


// ---------------------------------------------------------------------------------------------
// Report

/** A rough reading of the CPU figures of one run; README explains it. */
function verdict(r, nproc) {
  if (r.spec.rate) return 'fixed rate';
  if (!Number.isFinite(r.brokerCoreShare)) return '—';
  if (r.brokerCoreShare >= 0.85) return 'broker CPU';
  if (r.spec.client === 'python' && r.clientCoreShare / r.spec.procs >= 0.85) return 'client CPU';
  if (r.machineBusyShare >= 0.95 * nproc) return `machine full (broker ${fmt.pct(r.brokerCoreShare)}, client ${fmt.pct(r.clientCoreShare)}, others ${fmt.pct(r.otherCoreShare)})`;
  return 'no CPU saturated';
}

function passMiss(ok) {
  return ok ? '**pass**' : '**miss**';
}

function report(env, starts, runs, allRuns, profiles, notes, totalS, ksOut) {
  const out = [];
  const w = (line = '') => out.push(line);
  const readyMed = median(starts.map((s) => s.readyMs));
  const produceMed = median(starts.map((s) => s.firstProduceMs));
  const rssMed = median(starts.map((s) => s.idleRss));
  const batched = runs.filter((r) => r.spec.batching === 'on' && !r.spec.rate && Number.isFinite(r.msgPerS));
  const bestBatched = batched.length ? batched.reduce((a, b) => (b.msgPerS > a.msgPerS ? b : a)) : null;
  const main = runs.find((r) => r.spec.drain);
  const maxRate = runs.filter((r) => !r.spec.rate);
  const high = runs.find((r) => r.spec.id === 'go-batched-rate-high');
  const byId = (id) => runs.find((r) => r.spec.id === id);

  w('# Vela benchmark results');
  w();
  w(`Generated by \`node bench/run.mjs${quick ? ' --quick' : ''}${opts.profile ? ' --profile' : ''}\` — do not edit by hand; see bench/README.md for what each figure means.`);
  w();
  w('| | |');
  w('|---|---|');
  w(`| Date | ${env.date} |`);
  w(`| Commit | \`${env.commit}\` (dist/cli.js built ${env.builtAt}) |`);
  w(`| Machine | ${env.nproc} × ${env.cpuModel}, ${(env.memTotal / 2 ** 30).toFixed(1)} GiB RAM, Linux ${env.kernel} |`);
  w(`| Load average at start | ${env.loadavg} |`);
  w(`| Node | ${env.node} |`);
  w(`| Clients | rows marked **Go**: official Go client pulsar-client-go ${env.goClient} (${env.go}, bench/go-load), SendAsync with a callback per message; the drain (e) too. Row marked **Python** and the start-up probe (a): official Python client pulsar-client ${env.client} (Python ${env.python}), send_async with a callback per message |`);
  w(`| Mode | ${quick ? 'quick' : 'default'}: ${config.size} B messages; per maximum-rate run ${fmt.int(config.goBatchedCount)} (Go batched), ${fmt.int(config.goUnbatchedCount)} (Go unbatched), ${fmt.int(config.pythonCount)} (Python) messages, ${config.rounds} round${config.rounds > 1 ? 's' : ''}; time cap ${config.timeCapS} s; ${fmt.int(config.warmup)} warm-up messages to another topic; (f) ${fmt.int(ks.count)}-message backlogs and ${fmt.int(ks.liveCount)}-message live runs, ${ks.rounds} round${ks.rounds > 1 ? 's' : ''} |`);
  w(`| Run time | ${totalS.toFixed(0)} s |`);
  w();
  w('**fsync before every receipt: on** (the broker always syncs a group commit before SEND_RECEIPT).');
  w();
  for (const note of notes) w(`> ${note}`);
  if (notes.length) w();

  w('## Targets for the first cut');
  w();
  w('| Target | Measured | |');
  w('|---|---|---|');
  w(`| start to ready < 500 ms (median of ${starts.length}) | ${fmt.ms(readyMed)} ms | ${passMiss(readyMed < 500)} |`);
  w(`| idle RSS < 80 MB (median) | ${fmt.mb(rssMed)} MB | ${passMiss(rssMed < 80 * MB)} |`);
  w(
    `| ≥ 50,000 msg/s batched, fsync on (best batched run) | ${bestBatched ? `${fmt.int(bestBatched.msgPerS)} msg/s (${bestBatched.spec.label})` : '—'} | ${passMiss(bestBatched && bestBatched.msgPerS >= 50_000)} |`,
  );
  const ksDrains = ksSummary(ksOut.runs, 'drain', ks.modes.map((m) => m.id));
  const ksLiveSummary = ksSummary(ksOut.runs, 'live', ks.liveModes);
  for (const s of ksDrains) {
    w(
      `| Key_Shared ≥ 70 % of Shared, ${ks.consumers} consumers, ${fmt.int(ks.keys)} keys: backlog drain, ${s.mode.label} (fastest of ${s.keyShared.length} round${s.keyShared.length === 1 ? '' : 's'} each) | ${fmt.pct(s.ratio)} (${fmt.int(s.keySharedRate)} vs ${fmt.int(s.sharedRate)} msg/s; mean of rounds ${fmt.pct(s.meanRatio)}) | ${Number.isFinite(s.ratio) ? passMiss(s.ratio >= ks.target) : '—'}${s.errors ? ` (${s.errors} error${s.errors > 1 ? 's' : ''}, see (f))` : ''} |`,
    );
  }
  if (high) {
    w(
      `| publish latency p50 / p99 (Go, batched, ${rateLabel(highRate)}) | ${fmt.ms(high.lat?.p50)} / ${fmt.ms(high.lat?.p99)} ms (${fmt.int(high.msgPerS)} msg/s achieved) | no target set |`,
    );
  }
  w();
  w('MB = 10⁶ bytes throughout.');
  w();
  const goB = byId('go-batched-1');
  const pyB = byId('py-batched-1');
  if (goB && pyB) {
    w('### Batched produce, 1 producer: the two official clients side by side');
    w();
    w('| | Go client | Python client |');
    w('|---|---|---|');
    w(`| msg/s (best round) | ${fmt.int(goB.msgPerS)} | ${fmt.int(pyB.msgPerS)} |`);
    w(`| broker CPU per message (µs) | ${fmt.us(goB.brokerUsPerMsg)} | ${fmt.us(pyB.brokerUsPerMsg)} |`);
    w(`| client CPU per message (µs) | ${fmt.us(goB.clientUsPerMsg)} | ${fmt.us(pyB.clientUsPerMsg)} |`);
    w(`| broker / client / others, share of one core | ${fmt.pct(goB.brokerCoreShare)} / ${fmt.pct(goB.clientCoreShare)} / ${fmt.pct(goB.otherCoreShare)} | ${fmt.pct(pyB.brokerCoreShare)} / ${fmt.pct(pyB.clientCoreShare)} / ${fmt.pct(pyB.otherCoreShare)} |`);
    w();
    w('Both run on the same 2 cores as the broker, so client CPU per message is taken from the broker: the cheaper the client, the more of the machine the broker gets.');
    w();
  }

  w(`## (a) Start to ready (${starts.length} fresh starts, fresh data dirs${config.rounds > 1 ? ', spread over the rounds' : ''})`);
  w();
  w('| | median | min | max |');
  w('|---|---|---|---|');
  const row = (name, values, f) => w(`| ${name} | ${f(median(values))} | ${f(Math.min(...values))} | ${f(Math.max(...values))} |`);
  row('spawn → ready line (ms)', starts.map((s) => s.readyMs), fmt.ms);
  row('ready time the broker reports itself (ms)', starts.map((s) => s.selfReportedMs), fmt.ms);
  row('for comparison: spawn → exit of a bare `node -e 0` (ms)', starts.map((s) => s.bareNodeMs), fmt.ms);
  row('spawn → first produce acknowledged (ms)', starts.map((s) => s.firstProduceMs), fmt.ms);
  row('ready → first produce acknowledged (ms)', starts.map((s) => s.firstProduceAfterReadyMs), fmt.ms);
  row('VmRSS at ready (MB)', starts.map((s) => s.rssAtReady), fmt.mb);
  row(`idle VmRSS ${config.idleRssDelayMs / 1000} s after ready (MB)`, starts.map((s) => s.idleRss), fmt.mb);
  row('SIGTERM → exit (ms)', starts.map((s) => s.stop.ms), fmt.ms);
  w();
  w('The broker’s own figure counts from the start of its main function, so the gap to the spawn → ready line is Node start-up plus loading the broker’s modules; the bare `node -e 0` row, taken just before each start, shows what Node start-up alone cost on this machine at that moment. The first produce is one synchronous `send()` of a new producer on a new topic (lookup, connect, create the topic, fsync); the client was imported before the broker was spawned, so Python start-up is not counted. Idle RSS is read after that client has disconnected.');
  w();

  w('## (b)(c)(d) Produce, 1 KiB messages, fsync on');
  w();
  w(`Each row is a fresh broker; all messages of a row go to one topic. The first word of each row names the official client that produced it: **Go** = pulsar-client-go ${env.goClient} (bench/go-load), **Python** = pulsar-client ${env.client} (bench/produce.py). Messages per run: ${fmt.int(config.goBatchedCount)} (Go batched), ${fmt.int(config.goUnbatchedCount)} (Go unbatched), ${fmt.int(config.pythonCount)} (Python), ${fmt.int(highRateCount)} (${rateLabel(highRate)}), ${fmt.int(fixedRateCount)} (${rateLabel(fixedRate)}). Every producer has ${fmt.int(config.maxPending)} max pending messages and blocks when they are reached (Go: MaxPendingMessages, SendAsync blocks; Python: max_pending_messages, block_if_queue_full=True); batched rows leave every batching option at the client default (both clients: ≤ 1000 messages, ≤ 128 KiB, 10 ms delay). The producers of one Go process share one connection. Publish latency is SendAsync/send_async → receipt callback over every message (Go: from a histogram, buckets ≤ 0.4 % wide; Python: every value). At maximum rate it is mostly time spent queued in the client (up to the max pending messages); the fixed-rate rows show the latency when nothing queues.`);
  w();
  if (config.rounds > 1) {
    w(`Maximum-rate rows and the ${rateLabel(highRate)} row ran up to ${config.rounds} times, interleaved with the other workloads; the ${rateLabel(fixedRate)} rows ran once. A maximum-rate row shows its fastest round (the least disturbed by other load) and, in "rounds", the rate of every round; the ${rateLabel(highRate)} row shows the round in which other tenants used the least CPU ("others" below) and, in "rounds", the p99 of every round. Peak RSS is the highest of all rounds. Lost receipts and errors are summed over all rounds.`);
    w();
  }
  w('| run | msg/s | rounds | MB/s | p50 ms | p99 ms | p99.9 ms | max ms | acked | peak RSS (VmHWM) MB | lost receipts | errors |');
  w('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) {
    const group = allRuns.filter((x) => x.spec.id === r.spec.id);
    const lost = group.reduce((a, x) => a + (x.missing ?? 0), 0);
    const errors = group.reduce((a, x) => a + x.errors.length, 0);
    w(
      `| ${r.spec.label} | ${fmt.int(r.msgPerS)} | ${r.spec.rate ? `p99 ${r.roundP99s.map(fmt.ms).join(' / ')} ms` : r.roundRates.map(fmt.int).join(' / ')} | ${fmt.s(r.mbPerS)} | ${fmt.ms(r.lat?.p50)} | ${fmt.ms(r.lat?.p99)} | ${fmt.ms(r.lat?.p999)} | ${fmt.ms(r.lat?.max)} | ${fmt.int(r.acked)}${r.timeCapped ? ' (time cap)' : ''} | ${fmt.mb(r.peakRss)} | ${fmt.int(lost)} | ${errors} |`,
    );
  }
  w();
  w('### Who saturates: CPU over the produce window');
  w();
  w('Shares are of one core (100 % = one core busy for the whole window; the machine has ' + env.nproc + ' cores). "Client" is the load generator of the row (Go or Python), all its processes and threads. "Others" is machine busy time not spent in the broker or the client processes: other tenants of this machine. The limit column reads these: broker ≥ 85 % → broker CPU; Python client ≥ 85 % per process → client CPU (its Python thread holds the GIL; a Go process can use both cores, so this rule is not applied to it); else all cores busy → machine full; else no CPU saturated (something else waits: fsync, scheduling).');
  w();
  w('| run | window s | broker CPU | broker µs/msg | client CPU (all processes) | client µs/msg | others | machine busy | limit (heuristic) |');
  w('|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) {
    w(
      `| ${r.spec.label} | ${fmt.s(r.windowS)} | ${fmt.s(r.brokerCpuS)} s (${fmt.pct(r.brokerCoreShare)}) | ${fmt.us(r.brokerUsPerMsg)} | ${fmt.s(r.clientCpuS)} s (${fmt.pct(r.clientCoreShare)}) | ${fmt.us(r.clientUsPerMsg)} | ${fmt.pct(r.otherCoreShare)} | ${fmt.pct(r.machineBusyShare)} | ${verdict(r, env.nproc)} |`,
    );
  }
  w();
  w(
    'Broker µs/msg is broker CPU time divided by messages acknowledged. 10⁶ / (broker µs/msg) is a rough ceiling of what one fully busy broker core could take at this message shape — an extrapolation, not a measurement.',
  );
  w();
  for (const r of maxRate) {
    if (Number.isFinite(r.brokerUsPerMsg)) {
      w(`- ${r.spec.label}: ≈ ${fmt.int(Number((1e6 / r.brokerUsPerMsg).toPrecision(2)))} msg/s per broker core (extrapolated).`);
    }
  }
  w();

  w(`## (e) Drain of the backlog of the first batched run, one consumer (Go client)`);
  w();
  if (main?.drain) {
    const d = main.drain;
    w('| msg/s | rounds msg/s | MB/s | received / expected | duplicates | missing | out of order | subscribe ms | first message ms | stop | broker CPU | client CPU | machine busy |');
    w('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    w(
      `| ${fmt.int(d.msgPerS)} | ${main.drainRates.map(fmt.int).join(' / ')} | ${fmt.s(d.mbPerS)} | ${fmt.int(d.received)} / ${fmt.int(d.expected)} | ${fmt.int(d.duplicates)} | ${fmt.int(d.missing)} | ${fmt.int(d.out_of_order)} | ${fmt.ms(d.subscribe_s * 1000)} | ${fmt.ms(d.first_message_s * 1000)} | ${d.stop_reason} | ${fmt.s(d.brokerCpuS)} s (${fmt.pct(d.brokerCoreShare)}) | ${fmt.s(d.client_cpu_s)} s (${fmt.pct(d.clientCoreShare)}) | ${fmt.pct(d.machineBusyShare)} |`,
    );
    w();
    w('`go-load consume`: Exclusive subscription at Earliest, receiver queue 1000, every message received from the consumer channel and acknowledged (the client groups acks). It checks the sequence number the Go producer wrote into each payload: every one of [0, sent) exactly once (duplicates, missing), and rising per producer (out of order). The window starts before subscribe and ends at the last message; the broker that took the produce run is still running, so its caches are warm. With several rounds the fastest drain is shown.');
  } else {
    w('Not measured (the first batched run failed).');
  }
  w();

  ksReport(w, ksOut, ksDrains, ksLiveSummary, env);

  for (const prof of profiles) {
    w(`## Broker CPU profile: ${prof.spec.label} (\`node --cpu-prof\`)`);
    w();
    if (prof.error) {
      w(`No profile: ${prof.error}`);
    } else {
      const windowName = prof.windowName ?? 'produce window';
      w(
        `Profiled run (a separate broker): ${fmt.int(prof.result.msgPerS)} msg/s, broker CPU ${fmt.s(prof.result.brokerCpuS)} s (${fmt.pct(prof.result.brokerCoreShare)}) over the ${windowName}. ` +
          `Top self time, ${prof.scope === windowName ? `samples inside the ${windowName} only` : `over the whole life of that broker, start-up and shutdown included (the ${windowName} could not be matched to the profile clock)`} (${fmt.int(prof.totalMs)} ms of non-idle samples; the sampler counts wall time, so on a busy machine time spent waiting for a core is included and the shares are what to read):`,
      );
      w();
      w('| function | self ms (sampled) | share |');
      w('|---|---|---|');
      for (const row of prof.rows) w(`| \`${row.name}\` | ${fmt.int(row.ms)} | ${fmt.pct(row.share)} |`);
    }
    w();
  }

  const problems = [];
  for (const [i, s] of starts.entries()) {
    if (!s.stop.clean) problems.push(`start ${i + 1}: broker stop: ${JSON.stringify(s.stop)}`);
    for (const line of s.problems.slice(0, 5)) problems.push(`start ${i + 1}: broker stderr: ${line}`);
  }
  for (const b of ksOut.backlogs) {
    const name = `(f) backlog, ${b.mode.label}`;
    for (const e of b.errors) problems.push(`${name}: ${e}`);
    for (const line of (b.brokerProblems ?? []).slice(0, 10)) problems.push(`${name}: broker stderr: ${line}`);
    for (const line of b.clientLog.slice(0, 10)) problems.push(`${name}: client log: ${line}`);
  }
  for (const r of [...allRuns, ...ksOut.runs.map((x) => ({ ...x, spec: { ...x.spec, label: `(f) ${x.spec.label}` } })), ...profiles.map((p) => p.result)]) {
    const rounds = r.spec.kind ? ks.rounds : config.rounds;
    const name = `${r.spec.label}${r.round && rounds > 1 ? ` (round ${r.round})` : ''}`;
    for (const e of r.errors) problems.push(`${name}: ${e}`);
    for (const e of r.warnings ?? []) problems.push(`${name}: warning (not counted as an error): ${e}`);
    if (r.brokerStop && !r.brokerStop.clean) problems.push(`${name}: broker stop: ${JSON.stringify(r.brokerStop)}`);
    for (const line of (r.brokerProblems ?? []).slice(0, 10)) problems.push(`${name}: broker stderr: ${line}`);
    for (const line of (r.clientLog ?? []).slice(0, 10)) problems.push(`${name}: client log: ${line}`);
    for (const line of (r.drain?.clientLog ?? []).slice(0, 10)) problems.push(`${name}: drain client log: ${line}`);
  }
  w('## Problems seen');
  w();
  if (problems.length === 0) {
    w('None: every message got a receipt, every drain got every message exactly once (and, on Key_Shared, every key at one consumer in order), every broker exited cleanly on SIGTERM, and neither the brokers nor the clients logged a warning or error.');
  }
  else for (const p of problems) w(`- ${p.replace(/\n/g, ' ⏎ ')}`);
  w();

  w('<details><summary>Raw figures (JSON)</summary>');
  w();
  w('```json');
  const slim = (r) => {
    const { brokerStderrTail, brokerProblems, ...rest } = r;
    return rest;
  };
  const ksSlim = {
    config: ks,
    backlogs: ksOut.backlogs.map(({ brokerProblems, dataDir, ...rest }) => rest),
    runs: ksOut.runs.map(slim),
  };
  w(JSON.stringify({ env, config, starts, runs: allRuns.map(slim), keyShared: ksSlim, profiles: profiles.map((p) => ({ ...p, result: slim(p.result) })) }, null, 1));
  w('```');
  w();
  w('</details>');
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const began = 0; // performance.now() counts from process start
  const notes = [];
  const stale = checkBuild();
  if (stale) notes.push(`Warning: ${stale}.`);
  const builtAt = snapshotBuild();
  const goVersions = ensureGoLoad();
  const env = { ...environment(ensureVenv()), goClient: goVersions.client, go: goVersions.go, builtAt };
  log(`bench: ${env.nproc} × ${env.cpuModel}, node ${env.node}, pulsar-client-go ${env.goClient} (${env.go}), Python pulsar-client ${env.client}, commit ${env.commit}, load ${env.loadavg}`);

  // The starts are spread over the rounds like the produce runs (start i in round i mod rounds),
  // so one burst of load from other tenants does not hit all of them.
  const starts = [];
  const measureStarts = async (round) => {
    for (let i = round - 1; i < config.starts; i += config.rounds) {
      if (i === round - 1) log(`bench: (a) start${config.rounds > 1 ? `s of round ${round}` : 's'}`);
      const s = await measureStart(i);
      s.round = round;
      starts.push(s);
      log(`  start ${i + 1}: ready ${fmt.ms(s.readyMs)} ms, first produce ${fmt.ms(s.firstProduceMs)} ms, idle RSS ${fmt.mb(s.idleRss)} MB`);
    }
  };

  // Rounds are interleaved (all runs, then all runs again) so a burst of load from other tenants
  // of the machine hits one round of several workloads rather than every round of one.
  const allRuns = [];
  const firstRoundS = new Map();
  let skipped = 0;
  for (let round = 1; round <= config.rounds; round++) {
    await measureStarts(round);
    for (const spec of produceRuns) {
      if (spec.rate && !spec.repeat && round > 1) continue; // the 2,000 msg/s rows run once
      if (round > 1 && now() / 1000 + (firstRoundS.get(spec.id) ?? 0) > config.budgetS) {
        skipped++;
        log(`bench: round ${round}: skipping ${spec.label} to stay within the ${config.budgetS} s budget`);
        continue;
      }
      const runStarted = now();
      log(`bench: ${config.rounds > 1 ? `round ${round}/${config.rounds}: ` : ''}produce ${spec.label}, ${fmt.int(spec.count)} messages`);
      const r = await produceRun(spec);
      r.round = round;
      allRuns.push(r);
      if (round === 1) firstRoundS.set(spec.id, (now() - runStarted) / 1000);
      log(
        `  ${fmt.int(r.msgPerS)} msg/s, ${fmt.s(r.mbPerS)} MB/s, p50 ${fmt.ms(r.lat?.p50)} p99 ${fmt.ms(r.lat?.p99)} p99.9 ${fmt.ms(r.lat?.p999)} ms; ` +
          `broker CPU ${fmt.pct(r.brokerCoreShare)}, client CPU ${fmt.pct(r.clientCoreShare)}, others ${fmt.pct(r.otherCoreShare)}, peak RSS ${fmt.mb(r.hwmEnd ?? r.hwmAfterProduce)} MB`,
      );
      if (r.drain) log(`  drain: ${fmt.int(r.drain.msgPerS)} msg/s, ${r.drain.received}/${r.drain.expected} received`);
      for (const e of r.errors) log(`  ERROR: ${e}`);
      if (r.errors.length) log(`  broker stderr tail:\n${r.brokerStderrTail}`);
    }
  }
  // Per workload the round with the highest rate: on a shared machine the least disturbed one.
  const runs = produceRuns.map((spec) => {
    const group = allRuns.filter((r) => r.spec.id === spec.id);
    const ok = group.filter((r) => Number.isFinite(r.msgPerS));
    // Maximum rate: the fastest round. Fixed rate: the round with the least CPU of other tenants
    // (chosen by the disturbance, not by the latency it measured); every round's p99 is listed.
    const better = spec.rate ? (a, b) => (b.otherCoreShare < a.otherCoreShare ? b : a) : (a, b) => (b.msgPerS > a.msgPerS ? b : a);
    const best = ok.length ? ok.reduce(better) : group[0];
    const drains = group.map((r) => r.drain).filter((d) => d && Number.isFinite(d.msgPerS));
    const bestDrain = drains.length ? drains.reduce((a, b) => (b.msgPerS > a.msgPerS ? b : a)) : best.drain;
    const peakRss = Math.max(...group.map((r) => r.hwmEnd ?? r.hwmAfterProduce ?? NaN).filter(Number.isFinite));
    return { ...best, drain: bestDrain, peakRss, roundRates: group.map((r) => r.msgPerS), roundP99s: group.map((r) => r.lat?.p99), drainRates: drains.map((d) => d.msgPerS) };
  });

  if (skipped > 0) notes.push(`${skipped} run${skipped > 1 ? 's' : ''} of later rounds skipped to keep the run within ${config.budgetS} s (the machine was slow).`);

  const profiles = [];
  if (opts.profile) {
    for (const base of [produceRuns[0], produceRuns[2]]) {
      log(`bench: profiling the broker (node --cpu-prof): ${base.label}`);
      const prof = await profileRun(base);
      profiles.push(prof);
      if (prof.error) log(`  ${prof.error}`);
      else for (const row of prof.rows.slice(0, 5)) log(`  ${fmt.pct(row.share).padStart(5)}  ${row.name}`);
    }
  }

  const ksOut = await keySharedSection(profiles);
  if (ksOut.skippedRounds > 0) notes.push(`(f): ${ksOut.skippedRounds} round${ksOut.skippedRounds > 1 ? 's' : ''} of the Key_Shared comparison skipped to keep the run short (the machine was slow).`);

  const totalS = (now() - began) / 1000;
  const markdown = report(env, starts, runs, allRuns, profiles, notes, totalS, ksOut);
  writeFileSync(join(here, 'RESULTS.md'), markdown);
  log(`bench: wrote ${relative(process.cwd(), join(here, 'RESULTS.md'))} in ${totalS.toFixed(0)} s`);
  const failed = [...allRuns, ...ksOut.backlogs, ...ksOut.runs].some((r) => r.errors.length > 0);
  process.exitCode = failed ? 1 : 0;
}

main().catch((error) => {
  console.error(`bench: ${error.stack ?? error}`);
  killAll();
  process.exit(1);
});
