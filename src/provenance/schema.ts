// Result-file shapes of the engine-side provenance (zod): what the target said it serves, how long it
// took to become ready, and the declared recipe. Kept apart from the I/O so format.ts imports only these.
import { z } from 'zod';
import { EmbeddedRecipeSchema } from './recipe.js';

export const ProvenanceSchema = z.object({
  models: z.array(z.object({ id: z.string(), maxModelLen: z.number().nullable() })).nullable(),
  /** Response headers that name the server or its version (server, x-powered-by, via, …). */
  serverHeaders: z.record(z.string(), z.string()),
  /** Version endpoints that answered, with their (trimmed) JSON. */
  versions: z.array(z.object({ path: z.string(), body: z.record(z.string(), z.unknown()) })),
  /** Engine as told by the endpoints that answered, or null. */
  engine: z.string().nullable(),
});
export type Provenance = z.infer<typeof ProvenanceSchema>;

export const ReadinessSchema = z.object({
  ready: z.boolean(),
  /** From the first poll to the first 200. */
  timeToReadyMs: z.number(),
  attempts: z.number(),
  /** The URL that answered first, or null. */
  readyBy: z.string().nullable(),
  /** What the last failed poll saw (status or transport error). */
  lastNotReady: z.string().nullable(),
});
export type Readiness = z.infer<typeof ReadinessSchema>;

/** Everything meta gains from the engine side; each part optional (absent in older files). */
export const EngineMetaShape = {
  provenance: ProvenanceSchema.optional(),
  recipe: EmbeddedRecipeSchema.optional(),
  readiness: ReadinessSchema.optional(),
};

/** The engine name loadshape's simulator gives on /version (sim/server.ts says the same; the core never imports the simulator). */
export const SIM_ENGINE = 'loadshape-sim';
