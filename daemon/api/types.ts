import type { FastifyInstance } from 'fastify';

/** Who is calling. Member classrooms only ever reach the SFU signalling, never /api. */
export type Role = 'technician' | 'viewer' | 'member';

export interface Principal {
  /** Token holder's name from config (technician/viewer), or the member classroom's name. */
  name: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The least role a route needs: `viewer` for read-only routes (technicians pass too),
     * `technician` for anything that controls something. Every /api route declares one.
     */
    role?: 'technician' | 'viewer';
    /** Name of the control action for the audit log, e.g. `camera.preset.recall`. */
    audit?: string;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

/**
 * A route module: registers its routes on `app` (already inside the authenticated `/api`
 * scope, so paths are written without the `/api` prefix) using its own dependencies.
 */
export type RoutePlugin<D> = (app: FastifyInstance, deps: D) => void;
