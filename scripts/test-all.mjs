#!/usr/bin/env node
// The one test command (README, .ci/run): builds, runs the unit tests, the packaging smoke test
// and the black-box conformance suite, then prints one line "N passed, M failed" over all of them.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const totals = { passed: 0, failed: 0, skipped: 0 };

function run(command, args, options = {}) {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], ...options });
    child.stdout.on('data', (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

function step(name) {
  process.stdout.write(`\n=== ${name} ===\n`);
}

step('build');
const build = await run('npm', ['run', '--silent', 'build']);
if (build.code !== 0) {
  totals.failed++;
  console.log('build failed');
}

step('unit tests (vitest)');
const reportDir = mkdtempSync(join(tmpdir(), 'vela-vitest-'));
const reportFile = join(reportDir, 'report.json');
await run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`]);
try {
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  totals.passed += report.numPassedTests;
  totals.failed += report.numFailedTests + (report.numFailedTestSuites ?? 0) - countSuitesWithFailedTests(report);
  totals.skipped += report.numPendingTests + report.numTodoTests;
} catch (error) {
  console.log(`no vitest report: ${error.message}`);
  totals.failed++;
}
rmSync(reportDir, { recursive: true, force: true });

step('packaging smoke test (the Dockerfile steps, outside Docker)');
const smoke = await run('bash', ['scripts/package-smoke.sh']);
if (smoke.code === 0) totals.passed++;
else totals.failed++;

step('benchmark harness smoke (bench/compare.mjs --smoke: Vela only, Go load generator, ~30 s)');
const benchSmoke = await run('node', ['bench/compare.mjs', '--smoke']);
if (benchSmoke.code === 0) totals.passed++;
else totals.failed++;

step('conformance suite (official clients against the built broker)');
const compat = await run('node', ['compat-tests/run.mjs']);
const summary = [...compat.output.matchAll(/^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/gm)].pop();
if (summary) {
  totals.passed += Number(summary[1]);
  totals.failed += Number(summary[2]);
  totals.skipped += Number(summary[3] ?? 0);
}
if (!summary || (compat.code !== 0 && Number(summary[2]) === 0)) totals.failed++;

process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}\n`);
process.exit(totals.failed === 0 ? 0 : 1);

// A suite that failed to load counts once; one whose tests failed is already counted by its tests.
function countSuitesWithFailedTests(report) {
  return report.testResults.filter((suite) => suite.status === 'failed' && suite.assertionResults.some((t) => t.status === 'failed')).length;
}
