// Timestamp formats of the AWS protocols (shared by the codecs).
// AWS defaults: json/rest-json bodies carry epoch seconds (fractional allowed), query/rest-xml
// bodies ISO 8601, headers RFC 822; a `timestampFormat` on the member or shape overrides that.
export type TimestampFormat = 'iso8601' | 'rfc822' | 'unixTimestamp';

/**
 * ISO 8601 as AWS writes it: whole seconds print without a fraction ("2024-01-02T03:04:05Z", as
 * STS and IAM return), otherwise milliseconds are kept.
 */
export function formatIso8601(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}

export function formatTimestamp(date: Date, format: TimestampFormat): string | number {
  switch (format) {
    case 'unixTimestamp':
      return date.getTime() / 1000;
    case 'rfc822':
      return date.toUTCString();
    default:
      return formatIso8601(date);
  }
}

/**
 * Reads a timestamp sent by a client in any of the AWS formats: epoch seconds (number or numeric
 * string, fractional allowed), ISO 8601, or RFC 822. Clients do not always honour the declared
 * format (the aws CLI sends ISO strings where botocore's model says epoch), and AWS accepts them,
 * so neither does Nimbus insist. Returns undefined for anything it cannot read.
 */
export function parseTimestamp(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value === 'number') {
    return Number.isFinite(value) ? new Date(Math.round(value * 1000)) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return new Date(Math.round(Number(text) * 1000));
  // ISO 8601 (with or without fraction / offset) or RFC 822; Date.parse reads both.
  const looksIso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(text);
  const looksRfc822 = /^[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} (GMT|UTC|[+-]\d{4})$/.test(text);
  if (!looksIso && !looksRfc822) return undefined;
  // A zone-less ISO time is UTC for AWS; JavaScript would read it as local time.
  const zoned = looksIso && /T[\d:.]+$/i.test(text) ? text + 'Z' : text;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
