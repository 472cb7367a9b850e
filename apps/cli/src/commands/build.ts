import { buildModel, loadConfig } from '@stoa/sdk';
import { stoaCommand } from '../lib/command.js';
import { DESCRIPTIONS } from './descriptions.js';

export const build = stoaCommand({
  name: 'build',
  description: DESCRIPTIONS.build,
  async run(args, out) {
    const project = await loadConfig({ from: args.cwd ?? process.cwd() });
    out.progress('start', `importing ${project.config.model.onnx}`);
    const result = await buildModel(project, (what) => out.progress('info', what));
    const pct = (x?: number) => (x === undefined ? 'n/a' : `${(x * 100).toFixed(1)}%`);
    out.result(
      {
        modelId: result.modelId,
        weightsRoot: result.weightsRoot,
        artifactBytes: result.artifact.length,
        artifactFile: result.artifactFile,
        evalCount: result.evalCount,
        floatAccuracy: result.floatAccuracy,
        intAccuracy: result.intAccuracy,
      },
      () => [
        `modelId      ${result.modelId}`,
        `weightsRoot  ${result.weightsRoot}`,
        `artifact     ${result.artifact.length} bytes (${result.artifactFile})`,
        `accuracy     float ${pct(result.floatAccuracy)}, integer ${pct(result.intAccuracy)} on ${result.evalCount} eval samples`,
      ],
    );
  },
});
