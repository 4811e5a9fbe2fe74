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

// The default sink gathers lines and writes them to stderr once per event-loop turn: writes to
// a pipe or a file are synchronous in Node, so a write per request line was a system call on
// every request. Warnings and errors go out at once (after what is pending), and whatever is
// pending goes out when the process exits.
let pending = '';
let flushScheduled = false;
function flushStderr(): void {
  flushScheduled = false;
  if (pending === '') return;
  const text = pending;
  pending = '';
  process.stderr.write(text);
}
process.on('exit', flushStderr);
function writeStderr(line: string, urgent: boolean): void {
  pending += line + '\n';
  if (urgent || pending.length > 65_536) flushStderr();
  else if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushStderr);
  }
}

export function createLogger(level: LogLevel = 'info', write?: (line: string) => void): Logger {
  const out = write ?? ((line: string, urgent = false) => writeStderr(line, urgent));
  const logger: Logger = {
    level,
    enabled: (l) => order[l] >= order[logger.level],
    debug: (m, ...r) => logger.enabled('debug') && out(fmt('debug', m, r)),
    info: (m, ...r) => logger.enabled('info') && out(fmt('info', m, r)),
    warn: (m, ...r) => logger.enabled('warn') && out(fmt('warn', m, r), true),
    error: (m, ...r) => logger.enabled('error') && out(fmt('error', m, r), true),
  } as Logger;
  return logger;
}

function fmt(level: string, msg: string, rest: unknown[]): string {
  const extra = rest.map((r) => (r instanceof Error ? r.stack ?? r.message : typeof r === 'string' ? r : JSON.stringify(r))).join(' ');
  return `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}${extra ? ' ' + extra : ''}`;
}
