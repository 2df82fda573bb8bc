/**
 * `@sluice/admin`: an HTTP server for running a pipeline in production:
 * Kubernetes probes (`/livez`, `/readyz`), `/stats`, `/topology`,
 * `/metrics`, and `POST /pause` / `/resume`. docs/operations.md has the
 * routes and their answers.
 */
export { startAdminServer, type AdminServer } from './server.ts';
export {
  adminOptionsSchema,
  isLoopback,
  type AdminServerOptions,
  type MetricsRegistry,
} from './options.ts';
