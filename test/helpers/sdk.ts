// Per-file set-up shared by the tests that drive a running Nimbus with an SDK v3 client.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startNimbus, type TestNimbus } from './server.js';

/**
 * Starts Nimbus before the file's tests and connects a client to it; destroys the client and
 * closes the server after them. Returns a getter for the server (defined once `before` ran).
 */
export function useNimbus<C extends { destroy(): void }>(connect: (nimbus: TestNimbus) => C): () => TestNimbus {
  let nimbus: TestNimbus | undefined;
  let client: C | undefined;
  before(async () => {
    nimbus = await startNimbus();
    client = connect(nimbus);
  });
  after(async () => {
    client?.destroy();
    await nimbus?.close();
  });
  return () => nimbus!;
}

/** Asserts that `p` rejects with the AWS error `name`, and optionally its message and HTTP status. */
export async function rejectsWithAwsError(p: Promise<unknown>, name: string, message?: string | RegExp, status?: number): Promise<void> {
  await assert.rejects(p, (e: any) => {
    assert.equal(e.name, name, `expected ${name}, got ${e.name}: ${e.message}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    if (status) assert.equal(e.$metadata.httpStatusCode, status);
    return true;
  });
}
