import type { LogLevel } from './config.js';

export interface Logger {
  error(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  debug(message: string, ...details: unknown[]): void;
}

const rank: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** A leveled logger writing to a sink (stderr from the CLI, nothing when embedded in tests). */
export function createLogger(level: LogLevel, sink: (line: string) => void): Logger {
  const at = (wanted: LogLevel) => (message: string, ...details: unknown[]) => {
    if (rank[wanted] > rank[level]) return;
    const extra = details.map((d) => (d instanceof Error ? d.message : typeof d === 'string' ? d : JSON.stringify(d)));
    sink(`${new Date().toISOString()} ${wanted.toUpperCase()} ${[message, ...extra].join(' ')}`);
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };
