// Picks the wire codec for a protocol name (the pipeline in src/server/app.ts asks once per request).
// rest-json and rest-xml are added here by their owner, with these two lines:
//   import { restJsonCodec } from './rest-json.js';
//   import { restXmlCodec } from './rest-xml.js';
import type { Codec, ProtocolName } from './types.js';
import { jsonCodec } from './json.js';
import { queryCodec } from './query.js';

const codecs: Partial<Record<ProtocolName, Codec>> = {
  json: jsonCodec,
  query: queryCodec,
};

export function codecFor(name: ProtocolName): Codec {
  const codec = codecs[name];
  if (!codec) throw new Error(`no codec for protocol ${name}`);
  return codec;
}
