import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist/cli.js');
const work = mkdtempSync(join(tmpdir(), 'vela-cli-'));

beforeAll(() => {
  if (!existsSync(cli)) execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root });
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

function start(args: string[]): { child: ChildProcess; ready: Promise<string>; exit: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      stdout += d;
      const line = stdout.split('\n').find((l) => l.startsWith('vela ready'));
      if (line) resolve(line);
    });
    child.on('exit', () => reject(new Error(`exited before ready: ${stderr}`)));
  });
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  return { child, ready, exit };
}

describe('vela CLI', () => {
  it('prints usage with --help', () => {
    expect(execFileSync(process.execPath, [cli, '--help']).toString()).toContain('--advertised-address');
  });

  it('starts on free ports, prints one ready line, answers health and stops cleanly on SIGTERM', async () => {
    const run = start(['--port', '0', '--http-port', '0', '--data-dir', join(work, 'a')]);
    const line = await run.ready;
    const match = line.match(/^vela ready pulsar:\/\/localhost:(\d+) http:\/\/localhost:(\d+) \(\d+ ms\)$/);
    expect(match).not.toBeNull();
    const health = await fetch(`http://127.0.0.1:${match![2]}/admin/v2/brokers/health`);
    expect(await health.text()).toBe('ok');
    const clusters = await fetch(`http://127.0.0.1:${match![2]}/admin/v2/clusters`);
    expect(await clusters.json()).toEqual(['standalone']);
    run.child.kill('SIGTERM');
    expect((await run.exit).code).toBe(0);
  });

  it('exits non-zero with a clear message when the port is taken', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const run = start(['--port', String(port), '--http-port', '0', '--data-dir', join(work, 'b')]);
    run.ready.catch(() => undefined);
    const { code, stderr } = await run.exit;
    blocker.close();
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/already in use/);
  });

  it('exits non-zero with a clear message when the data dir is unusable', async () => {
    const file = join(work, 'not-a-dir');
    writeFileSync(file, 'x');
    const run = start(['--port', '0', '--http-port', '0', '--data-dir', file]);
    run.ready.catch(() => undefined);
    const { code, stderr } = await run.exit;
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/data directory/);
  });

  it('rejects a bad flag value', () => {
    expect(() => execFileSync(process.execPath, [cli, '--port', 'abc'], { stdio: 'pipe' })).toThrow(/--port must be an integer/);
  });
});
