/**
 * Each subcommand's one line, apart from its module: `stoa --help` lists every command without
 * loading one (a command's module loads the SDK, the chain code and the database client).
 */
export const DESCRIPTIONS = {
  init: 'scaffold a project from a template (mnist-cnn)',
  build: 'import and quantize the model; float vs integer accuracy on the eval set',
  quote: 'quotes from every configured network, side by side, and which the plan picks',
  deploy: 'plan, then publish, register, provision and wait healthy (resumable)',
  status: 'the deployment, its replicas and their health',
  logs: "the nodes' log lines (-f to follow)",
  infer:
    "send one input through the project's gateway (or straight to a replica); print the outputs and the node's signed receipt",
  keys: 'API keys: create, list, revoke',
  usage: 'metered usage per key, model, network and node, and fees paid per deployment and node',
  disputes: 'disputes over this project’s claims: list, show',
  teardown: 'release every replica and lease, revoke deploy keys, stop the local chain and store',
  db: 'the control-plane database',
  dev: 'the whole product on this machine: chain, database, three nodes, gateway, web console, a live dispute',
} as const;

export type CommandName = keyof typeof DESCRIPTIONS;
