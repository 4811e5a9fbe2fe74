// JSON reviver/replacer pair for the Python bridges: Buffers and Dates cross as tagged objects.
export function bridgeEncode(this: any, key: string, value: unknown): unknown {
  const raw = this[key];
  if (Buffer.isBuffer(raw)) return { __b64: raw.toString('base64') };
  if (raw instanceof Date) return { __date: raw.toISOString() };
  return value;
}

export function bridgeDecode(_key: string, value: any): unknown {
  if (value && typeof value === 'object' && '__b64' in value) return Buffer.from(value.__b64, 'base64');
  if (value && typeof value === 'object' && '__date' in value) return new Date(value.__date);
  return value;
}

/** The Python side of bridgeEncode (a `dec(v)` function; the script imports base64 and datetime). */
export const PYTHON_DEC = `def dec(v):
    if isinstance(v, dict):
        if '__b64' in v: return base64.b64decode(v['__b64'])
        if '__date' in v: return datetime.datetime.fromisoformat(v['__date'].replace('Z', '+00:00'))
        return {k: dec(x) for k, x in v.items()}
    if isinstance(v, list): return [dec(x) for x in v]
    return v
`;
