export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export interface Logger {
  level: LogLevel;
  debug(msg: string, ...rest: unknown[]): void;
  info(msg: string, ...rest: unknown[]): void;
  warn(msg: string, ...rest: unknown[]): void;
  error(msg: string, ...rest: unknown[]): void;
  enabled(level: LogLevel): boolean;
}

export function createLogger(level: LogLevel = 'info', write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const logger: Logger = {
    level,
    enabled: (l) => order[l] >= order[logger.level],
    debug: (m, ...r) => logger.enabled('debug') && write(fmt('debug', m, r)),
    info: (m, ...r) => logger.enabled('info') && write(fmt('info', m, r)),
    warn: (m, ...r) => logger.enabled('warn') && write(fmt('warn', m, r)),
    error: (m, ...r) => logger.enabled('error') && write(fmt('error', m, r)),
  } as Logger;
  return logger;
}

function fmt(level: string, msg: string, rest: unknown[]): string {
  const extra = rest.map((r) => (r instanceof Error ? r.stack ?? r.message : typeof r === 'string' ? r : JSON.stringify(r))).join(' ');
  return `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}${extra ? ' ' + extra : ''}`;
}
