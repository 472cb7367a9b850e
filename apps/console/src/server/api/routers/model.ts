import { importModel } from '@stoa/sdk';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { loadArtifact } from '../../models/artifacts.js';
import { EXAMPLES, type ExampleName, exampleImport } from '../../models/examples.js';
import { graphView, stepTiles } from '../../models/graph-view.js';
import { saveModelSources } from '../../models/sources.js';
import type { ConsoleServices } from '../../services.js';
import { createTRPCRouter, protectedProcedure } from '../trpc.js';

/** Uploads travel as base64 inside the JSON body; 64 MiB of ONNX is far above the examples. */
const MAX_ONNX_BASE64 = Math.ceil((64 * 1024 * 1024 * 4) / 3);

const samples = z.array(z.array(z.number().finite()).min(1)).min(1);

export const uploadInput = z.object({
  name: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes'),
  fileName: z.string().max(200),
  onnxBase64: z.string().min(1, 'choose an .onnx file').max(MAX_ONNX_BASE64, 'ONNX file over 64 MiB'),
  calibration: samples,
  evalSet: z.object({ inputs: samples, labels: z.array(z.number().int().nonnegative()) }).optional(),
  activationBits: z.union([z.literal(8), z.literal(16)]).optional(),
});

function modelOf(services: ConsoleServices, id: string) {
  const model = loadArtifact(services.stoaDir, id);
  if (!model) throw new TRPCError({ code: 'NOT_FOUND', message: `no compiled artifact for model ${id}` });
  return model;
}

/** Starts an import in the background; its sources are kept so the deploy wizard can deploy it. */
function startImport(services: ConsoleServices, input: Parameters<typeof importModel>[3]) {
  saveModelSources(services.stoaDir, input);
  return services.imports.start(input.name, (onProgress) =>
    importModel(services.db, services.stoaDir, services.projectId, input, onProgress),
  );
}

export const modelRouter = createTRPCRouter({
  list: protectedProcedure.query(({ ctx }) =>
    ctx.services.db.model.findMany({
      where: { projectId: ctx.services.projectId },
      orderBy: { createdAt: 'desc' },
    }),
  ),

  examples: protectedProcedure.query(() =>
    Object.entries(EXAMPLES).map(([name, e]) => ({ name, title: e.title })),
  ),

  importExample: protectedProcedure
    .input(z.object({ example: z.enum(Object.keys(EXAMPLES) as [ExampleName, ...ExampleName[]]) }))
    .mutation(({ ctx, input }) => ({ jobId: startImport(ctx.services, exampleImport(input.example)).id })),

  upload: protectedProcedure.input(uploadInput).mutation(({ ctx, input }) => {
    const onnx = new Uint8Array(Buffer.from(input.onnxBase64, 'base64'));
    const job = startImport(ctx.services, {
      name: input.name,
      onnx,
      label: input.fileName,
      calibration: input.calibration,
      ...(input.evalSet ? { evalSet: input.evalSet } : {}),
      ...(input.activationBits ? { activationBits: input.activationBits } : {}),
    });
    return { jobId: job.id };
  }),

  importStatus: protectedProcedure.input(z.object({ jobId: z.string() })).query(({ ctx, input }) => {
    const job = ctx.services.imports.get(input.jobId);
    if (!job) throw new TRPCError({ code: 'NOT_FOUND', message: `no import job '${input.jobId}'` });
    return job;
  }),

  get: protectedProcedure.input(z.object({ id: z.string() })).query(async ({ ctx, input }) => {
    const row = await ctx.services.db.model.findFirst({
      where: { id: input.id, projectId: ctx.services.projectId },
    });
    if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: `no model with id '${input.id}'` });
    return row;
  }),

  graph: protectedProcedure
    .input(z.object({ modelId: z.string() }))
    .query(({ ctx, input }) => graphView(modelOf(ctx.services, input.modelId))),

  tiles: protectedProcedure
    .input(z.object({ modelId: z.string(), step: z.number().int().nonnegative() }))
    .query(({ ctx, input }) => {
      try {
        return stepTiles(modelOf(ctx.services, input.modelId), input.step);
      } catch (error) {
        if (error instanceof RangeError) throw new TRPCError({ code: 'BAD_REQUEST', message: error.message });
        throw error;
      }
    }),
});
