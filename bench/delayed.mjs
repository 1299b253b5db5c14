#!/usr/bin/env node
// Delayed-delivery benchmark (issue 5): 1 000 000 delayed messages whose delivery times are spread over 60 s.
// Starts a fresh broker from a snapshot of dist/ (default settings, file storage, temp data dir), runs
// bench/delayed/bin/delayed against it, samples the broker's VmRSS every 250 ms, and writes the figures into
// bench/RESULTS.md between the markers <!-- delayed-delivery --> … <!-- /delayed-delivery --> (run.mjs
// regenerates RESULTS.md without that block; run this again afterwards).
//
//   node bench/delayed.mjs [--count 1000000] [--window-s 60] [--lead-s 60]
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { values } = parseArgs({ options: { count: { type: 'string' }, 'window-s': { type: 'string' }, 'lead-s': { type: 'string' } } });
const count = Number(values.count ?? 1_000_000);
const windowS = Number(values['window-s'] ?? 60);
const leadS = Number(values['lead-s'] ?? 90);

function snapshotBuild() {
  if (!existsSync(join(root, 'dist/cli.js'))) throw new Error('dist/cli.js missing: run npm run build first');
  const dir = mkdtempSync(join(tmpdir(), 'vela-delayed-build-'));
  cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(root, 'proto'), join(dir, 'proto'), { recursive: true });
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

function startBroker(buildDir, dataDir) {
  const child = spawn(process.execPath, [join(buildDir, 'dist/cli.js'), '--port', '0', '--http-port', '0', '--data-dir', dataDir],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const ready = new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /vela ready (pulsar:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', () => reject(new Error(`broker exited before ready: ${stderr}`)));
  });
  return { child, ready, stderr: () => stderr };
}

function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1000 : 0;
  } catch {
    return 0;
  }
}

async function main() {
  execFileSync('go', ['build', '-mod=readonly', '-o', 'bin/delayed', '.'], { cwd: join(here, 'delayed'), env: { ...process.env, CGO_ENABLED: '0' } });
  const buildDir = snapshotBuild();
  const dataDir = mkdtempSync(join(tmpdir(), 'vela-delayed-data-'));
  const broker = startBroker(buildDir, dataDir);
  const url = await broker.ready;
  let peakRss = rssMb(broker.child.pid);
  const rssAtReady = peakRss;
  const samples = [];
  const sampler = setInterval(() => {
    const rss = rssMb(broker.child.pid);
    peakRss = Math.max(peakRss, rss);
    samples.push(rss);
  }, 250);
  const load = spawn(join(here, 'delayed/bin/delayed'), ['-url', url, '-count', String(count), '-window', `${windowS}s`, '-lead', `${leadS}s`],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  load.stdout.on('data', (d) => (out += d));
  const code = await new Promise((resolve) => load.once('exit', resolve));
  clearInterval(sampler);
  broker.child.kill('SIGTERM');
  await new Promise((resolve) => broker.child.once('exit', resolve));
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(buildDir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  const result = JSON.parse(out.trim().split('\n').pop());
  report({ ...result, peakRssMb: peakRss, rssAtReadyMb: rssAtReady });
}

function report(r) {
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
  const dirty = execFileSync('git', ['status', '--porcelain', 'src'], { cwd: root }).toString().trim() ? ' + uncommitted src changes' : '';
  const pass = r.peakRssMb < 300 && r.early === 0 && r.overOneTick === 0 && r.received === count && r.duplicates === 0;
  const block = `<!-- delayed-delivery -->
## Delayed delivery: ${count.toLocaleString('en')} delayed messages over ${windowS} s (\`node bench/delayed.mjs\`)

Generated ${new Date().toISOString()} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, commit ${commit}${dirty}.
Default broker settings (file storage, tick 1000 ms, 50 000 delayed entries in memory per subscription, the rest in
the on-disk index). One Go producer sends every message with DeliverAt spread evenly over the window, which starts
${leadS} s after the start; one Shared consumer acks each and measures arrival − DeliverAt.

| figure | value |
|---|---|
| sent / send errors | ${r.sent} / ${r.sendErrors} |
| publishing took (s) | ${r.publishSeconds.toFixed(1)} (all published before the first was due: ${r.allPublishedBeforeFirstDue}) |
| received / duplicates | ${r.received} / ${r.duplicates} |
| arrived before DeliverAt | ${r.early} (earliest ${r.mostEarlyMs} ms) |
| arrived more than one tick (1000 ms) late | ${r.overOneTick} |
| lateness p50 / p99 / p99.9 / max (ms) | ${r.latenessMsP50} / ${r.latenessMsP99} / ${r.latenessMsP999} / ${r.latenessMsMax} |
| broker VmRSS at ready / peak (MB) | ${r.rssAtReadyMb.toFixed(0)} / ${r.peakRssMb.toFixed(0)} |
| target (RSS < 300 MB, none early, all within one tick) | ${pass ? 'met' : 'NOT met'} |
<!-- /delayed-delivery -->
`;
  const file = join(root, 'bench/RESULTS.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const marked = /<!-- delayed-delivery -->[\s\S]*<!-- \/delayed-delivery -->\n?/;
  writeFileSync(file, marked.test(text) ? text.replace(marked, block) : `${text.trimEnd()}\n\n${block}`);
  console.log(block);
  console.log(JSON.stringify(r));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
