// Worker threads do not inherit the TypeScript loader under every runner (tsx passes it,
// Vitest does not): register it here, then load the worker itself.
import { register } from 'tsx/esm/api';

register();
await import('./worker');
