// pulsar-perf scenarios of the admin-cli column: the real load generator (org.apache.pulsar:pulsar-testclient,
// PulsarPerfTestTool produce|consume), each run in a JVM of its own and bounded in count and time.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const JAVA = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
const CLASSPATH = `${path.join(HERE, 'target', 'classes')}:${fs.readFileSync(path.join(HERE, 'target', 'classpath.txt'), 'utf8').trim()}`;
// pulsar-perf's latency histograms take several hundred MB of heap as soon as its classes load.
const JVM_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xmx1g', '-Djava.net.preferIPv4Stack=true',
  `-Dlog4j2.configurationFile=${path.join(HERE, 'perf-log4j2.xml')}`];
const SCALE = Number(process.env.COMPAT_TIMEOUT_SCALE || '1');

/** Runs `pulsar-perf <mode> …` to its end (killed after `limitMs`); resolves with its exit code and output. */
function pulsarPerf(mode, args, limitMs, logFile) {
  return new Promise((resolve) => {
    const child = spawn(JAVA, [...JVM_FLAGS, '-cp', CLASSPATH, 'org.apache.pulsar.testclient.PulsarPerfTestTool', '/dev/null', mode, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d) => {
      output += d;
      fs.appendFileSync(logFile, d);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

/** The count in pulsar-perf's closing line "Aggregated throughput stats --- N records sent|received". */
function aggregated(output, verb) {
  const m = output.match(new RegExp(`Aggregated throughput stats --- (\\d+) records ${verb}`));
  return m ? Number(m[1]) : undefined;
}

const MESSAGES = 2000;

/**
 * pulsar-perf produce -np 4 --admin-url creates the 4-partition topic through the admin API
 * (PerformanceProducer.createPartitionedTopic), then publishes 2000 messages across the partitions and exits;
 * pulsar-perf consume from the earliest position receives every message sent and exits.
 */
async function perfPartitioned({ serviceUrl, adminUrl, runId, logDir }) {
  const topic = `persistent://public/default/cli-${runId}-perf`;
  const logFile = path.join(logDir, 'admin-cli-perf.log');
  const produced = await pulsarPerf('produce', ['-u', serviceUrl, '--admin-url', adminUrl, '-np', '4', '-m', String(MESSAGES),
    '-r', '1000', '-s', '128', '-time', '60', topic], 90_000 * SCALE, logFile);
  // With several partitions pulsar-perf may send a few messages past -m before its threads see the limit.
  const sent = aggregated(produced.output, 'sent');
  if (produced.code !== 0 || sent === undefined || sent < MESSAGES) {
    return { status: 'fail', reason: `pulsar-perf produce (exit ${produced.code ?? produced.signal}) sent ${sent ?? 'no figure'}, not ${MESSAGES}` };
  }
  const metadata = await (await fetch(`${adminUrl}/admin/v2/persistent/public/default/cli-${runId}-perf/partitions`)).json();
  if (metadata.partitions !== 4) return { status: 'fail', reason: `topic has ${JSON.stringify(metadata)}, not 4 partitions` };
  const consumed = await pulsarPerf('consume', ['-u', serviceUrl, '-s', 'perf', '-sp', 'Earliest', '-m', String(sent), '-time', '60', topic],
    90_000 * SCALE, logFile);
  const received = aggregated(consumed.output, 'received');
  if (received !== sent) {
    return { status: 'fail', reason: `pulsar-perf consume (exit ${consumed.code ?? consumed.signal}) received ${received ?? 'no figure'}, not ${sent}` };
  }
  return { status: 'pass', reason: '' };
}

export const PERF_SCENARIOS = { 'pulsar-perf-partitioned': perfPartitioned };
