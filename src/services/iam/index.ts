// Placeholder until the service is built: every operation answers NotImplemented.
import type { ServiceModule } from '../types.js';

const mod: ServiceModule = {
  createProvider: () => ({}),
};
export const { createProvider } = mod;
