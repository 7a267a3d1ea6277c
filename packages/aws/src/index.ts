// Production adapters only: the local stand-ins and the create-if-missing helpers are in `@berth/aws/local`.
export {
  ATTR,
  INDEX,
  WORKSPACE_TABLE,
  createTableInput,
  type IndexName,
  type IndexDefinition,
} from './dynamodb/table-definition.js';
export * from './dynamodb/dynamo-workspace-store.js';
export {
  toWorkspaceItem,
  fromWorkspaceItem,
  workspaceKey,
  bindingKey,
  type WorkspaceItem,
  type BindingItem,
} from './dynamodb/workspace-item.js';
export * from './s3/s3-blob-store.js';
export * from './ecs/ecs-runtime.js';
export { toTaskStatus as ecsTaskStatus, TAG as BERTH_TASK_TAGS } from './ecs/task-mapping.js';
export { RunTaskError } from './ecs/run-task-errors.js';
export * from './ecs/task-state-event.js';
export * from './sfn/step-functions-provisioner.js';
export * from './sqs/sqs-stopper.js';
export * from './sqs/stop-message.js';
export * from './client-timeouts.js';
export * from './secrets/agent-signing-key.js';
export * from './egress/dynamo-egress-rules.js';
export * from './egress/gateway-egress.js';
export * from './start-gate/dynamo-start-backlog.js';
export * from './start-gate/dynamo-start-gate.js';
export * from './pool/lambda-pool-refiller.js';
