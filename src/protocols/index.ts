// Picks the wire codec for a protocol name (the pipeline in src/server/app.ts asks once per request).
import type { Codec, ProtocolName } from './types.js';
import { jsonCodec } from './json.js';
import { queryCodec } from './query.js';
import { restJsonCodec } from './rest-json.js';
import { restXmlCodec } from './rest-xml.js';

const codecs: Record<ProtocolName, Codec> = {
  json: jsonCodec,
  query: queryCodec,
  'rest-json': restJsonCodec,
  'rest-xml': restXmlCodec,
};

export function codecFor(name: ProtocolName): Codec {
  const codec = codecs[name];
  if (!codec) throw new Error(`no codec for protocol ${name}`);
  return codec;
}
