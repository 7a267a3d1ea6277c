import { ArnFormat, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { Function, use, type App, type Stack } from 'sst/constructs';
import { Data } from './Data.js';
import { suppressBerthFunction } from './nag-suppressions.js';
import { Network } from './Network.js';
import { agentSigningKeySecretName, apiKeysParameterName } from './operator-secrets.js';
import { berthSettings, functionConfig } from './settings.js';
import { Workspaces } from './Workspaces.js';

/**
 * What one Lambda entry (packages/functions/src/lambda/<entry>.ts) may reach on AWS, port by port: the keys
 * are exactly its `wiring`'s (lambda-function.test.ts fails when they disagree), the values narrow a port to
 * what that entry's work calls. `workspaceAgent` is plain HTTP to the task: a security-group rule, no grant.
 */
export interface PortAccess {
  store?: 'readWrite';
  /** `read`: restoring a snapshot (GetObject; ListBucket so a missing key is a 404, not a 403). */
  blobs?: 'read' | 'readWrite';
  /** `start`: RunTask as well; only the provisioning step that starts the task. */
  runtime?: 'manage' | 'start';
  provisioner?: 'start';
  workspaceAgent?: 'http';
  tenants?: 'read';
  /** `sign`: reads the agent-token signing key (Secrets Manager). */
  agentTokens?: 'sign';
  /** `send`: hands stops to the stop worker's queue. */
  stopper?: 'send';
  /**
   * `gateway`: writes a workspace's egress rules to its item (which the egress gateway reads) and hands the
   * workspace's relay its proxy credential, signed with the agent-token key, on the relay's admin port (a
   * security-group rule, like `workspaceAgent`).
   */
  egress?: 'gateway';
  /**
   * The RunTask token bucket, an item of the table: `backlog` reads how booked it is (admission), `enter`
   * books turns too (the StartContainer step).
   */
  startGate?: 'backlog' | 'enter';
  /** `invoke`: asks the warm pool's refill function for a refill (an asynchronous invoke, nothing else). */
  poolRefiller?: 'invoke';
}

const API_ACCESS = {
  store: 'readWrite',
  blobs: 'readWrite',
  runtime: 'manage',
  provisioner: 'start',
  workspaceAgent: 'http',
  agentTokens: 'sign',
  stopper: 'send',
  // PUT /egress, and the proxy credential renewed on keepalive.
  egress: 'gateway',
  // Admission refuses cold starts when the RunTask bucket is booked too far ahead.
  startGate: 'backlog',
  // A claim or a miss asks for a refill.
  poolRefiller: 'invoke',
} as const satisfies PortAccess;

export const ENTRY_ACCESS = {
  // The two API functions run the same handler over the same ports (functions/src/lambda/aws-deps.ts).
  api: API_ACCESS,
  'api-stream': API_ACCESS,
  // The REST API's authorizer: API key → tenant, nothing else.
  'api-authorizer': { tenants: 'read' },
  // GET /v1/openapi.json: the document is in its code.
  'api-openapi': {},
  // It takes its turn of the RunTask bucket before RunTask.
  'provision-start-container': { store: 'readWrite', runtime: 'start', startGate: 'enter' },
  'provision-wait-for-endpoint': { store: 'readWrite', runtime: 'manage' },
  // Once the agent answers, it hands the task's relay its proxy credential.
  'provision-wait-for-healthy': {
    store: 'readWrite',
    runtime: 'manage',
    workspaceAgent: 'http',
    egress: 'gateway',
  },
  'provision-await-predecessor': { store: 'readWrite' },
  'provision-restore-files': {
    store: 'readWrite',
    blobs: 'read',
    workspaceAgent: 'http',
    agentTokens: 'sign',
  },
  'provision-mark-ready': { store: 'readWrite' },
  'provision-mark-failed': { store: 'readWrite', runtime: 'manage' },
  // Expiry is handed to the stop worker: the sweep never writes the bucket.
  sweep: { store: 'readWrite', runtime: 'manage', stopper: 'send' },
  // The stop worker: saves the files (snapshot write), stops the task, ends the record.
  'workspace-stop': {
    store: 'readWrite',
    blobs: 'readWrite',
    runtime: 'manage',
    workspaceAgent: 'http',
    agentTokens: 'sign',
  },
  'task-state': { store: 'readWrite', runtime: 'manage' },
  // The warm pools' refill: new members are provisioning executions (their StartContainer step runs the task),
  // drained ones are stopped here (a member holds no files to save).
  'pool-refill': { store: 'readWrite', runtime: 'manage', provisioner: 'start' },
} as const satisfies Record<string, PortAccess>;

/**
 * The refill function's name, fixed per stage: the API functions (an earlier stack than the refill's, Events)
 * invoke it by this name, and their role may invoke only it.
 */
export const poolRefillFunctionName = (stack: Stack) =>
  (stack.node.root as App).logicalPrefixedName('pool-refill');

/** A Lambda entry of Berth: a file name of packages/functions/src/lambda/. */
export type BerthEntry = keyof typeof ENTRY_ACCESS;

export interface BerthFunctionProps {
  /** The provisioning state machine: required for entries that wire `provisioner` (the API functions). */
  stateMachine?: sfn.IStateMachine;
  /** The stop worker's queue: required for entries that wire `stopper` (the API functions, the sweep). */
  stopQueue?: sqs.IQueue;
  /** Seconds; default 30 (API Gateway gives up after 29 s). */
  timeout?: number;
  /** MB; default 1024. */
  memorySize?: number;
  /** Concurrent invocations at most (the pool refill: one at a time); default unreserved. */
  reservedConcurrentExecutions?: number;
}

/** Marks the functions made here, so Observability can find every one of them in the app. */
const BERTH_FUNCTION = Symbol.for('berth.function');

export const isBerthFunction = (c: IConstruct): c is Function =>
  (c as unknown as Record<symbol, unknown>)[BERTH_FUNCTION] === true;

/**
 * Every Berth Lambda is made here: the entry's handler on nodejs22.x/arm64 in the functions' private subnets
 * and security group, with the environment its ports read and an IAM role granting only what those ports
 * call. Call it in a stack registered after Data, Network and Workspaces (it `use()`s them); add no grants
 * or environment elsewhere (stacks/test/iam.test.ts lists each function's actions exactly).
 */
export function berthFunction(
  stack: Stack,
  id: string,
  entry: BerthEntry,
  props: BerthFunctionProps = {},
): Function {
  const access: PortAccess = ENTRY_ACCESS[entry];
  const data = use(Data);
  const network = use(Network);
  const workspaces = use(Workspaces);
  const settings = berthSettings();
  const arn = (service: string, resource: string, resourceName?: string) =>
    stack.formatArn({ service, resource, resourceName });

  const environment: Record<string, string> = {};
  // Warm pools (BERTH_POOL_TARGETS): every function reads the same templates.
  const config = functionConfig(settings);
  if (config) environment.BERTH_CONFIG = config;
  const statements: iam.PolicyStatement[] = [];
  const allow = (sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
    statements.push(new iam.PolicyStatement({ sid, actions, resources, conditions }));

  if (access.store) {
    environment.TABLE_NAME = data.table.tableName;
    // DynamoWorkspaceStore: Get/Update/Delete, Puts inside TransactWriteItems (authorized per item), Queries
    // on the indexes only.
    allow(
      'WorkspaceTable',
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      [data.table.tableArn],
    );
    allow('WorkspaceTableIndexes', ['dynamodb:Query'], [`${data.table.tableArn}/index/*`]);
    // The one query of the table itself: a template's pool demand per minute (the adaptive target, GET /v1/pool).
    allow('PoolDemandCounters', ['dynamodb:Query'], [data.table.tableArn], {
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['POOLDEMAND#*'] },
    });
  }
  if (access.blobs) {
    environment.FILES_BUCKET = data.files.bucketName;
    // ListObjectsV2 and HeadBucket are s3:ListBucket; without it a missing key answers 403, not 404.
    allow('FilesBucket', ['s3:ListBucket'], [data.files.bucketArn]);
    allow(
      'FilesObjects',
      access.blobs === 'read'
        ? ['s3:GetObject']
        : // Multipart uploads (lib-storage) are s3:PutObject, plus AbortMultipartUpload on failure.
          ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      [`${data.files.bucketArn}/*`],
    );
  }
  if (access.runtime) {
    const { cluster, taskDefinition, executionRole } = workspaces;
    const vpc = network.vpc;
    environment.CLUSTER_ARN = cluster.clusterArn;
    environment.SUBNET_IDS = vpc.selectSubnets(network.workspaceSubnets).subnetIds.join(',');
    environment.SECURITY_GROUP_IDS = network.workspacesSecurityGroup.securityGroupId;
    environment.TASK_DEFINITION_ARN = taskDefinition.taskDefinitionArn;
    environment.WORKSPACE_CAPACITY =
      workspaces.capacity.type === 'ec2'
        ? workspaces.capacity.capacityProviderStrategy.map((s) => s.capacityProvider).join(',')
        : 'FARGATE';
    const inCluster = { ArnEquals: { 'ecs:cluster': cluster.clusterArn } };
    const tasks = arn('ecs', 'task', `${cluster.clusterName}/*`);
    allow('WorkspaceTasks', ['ecs:DescribeTasks', 'ecs:StopTask'], [tasks], inCluster);
    // ListTasks' resource is a container instance (Fargate has none): the cluster condition scopes it.
    allow('ListWorkspaceTasks', ['ecs:ListTasks'], ['*'], inCluster);
    allow('WorkspaceCluster', ['ecs:DescribeClusters'], [cluster.clusterArn]);
    if (access.runtime === 'start') {
      allow(
        'RunWorkspaceTask',
        ['ecs:RunTask'],
        [arn('ecs', 'task-definition', `${taskDefinition.family}:*`)],
        inCluster,
      );
      // RunTask's `tags` need TagResource, allowed only as part of RunTask.
      allow('TagWorkspaceTask', ['ecs:TagResource'], [tasks], {
        StringEquals: { 'ecs:CreateAction': 'RunTask' },
      });
      // The task definition has an execution role and no task role: that role is all RunTask passes.
      allow('PassExecutionRole', ['iam:PassRole'], [executionRole.roleArn], {
        StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
      });
    }
  }
  if (access.provisioner) {
    if (!props.stateMachine) {
      throw new Error(`berthFunction ${id} (${entry}) wires the provisioner: pass props.stateMachine`);
    }
    environment.STATE_MACHINE_ARN = props.stateMachine.stateMachineArn;
    allow('StartProvisioning', ['states:StartExecution'], [props.stateMachine.stateMachineArn]);
  }
  if (access.stopper) {
    if (!props.stopQueue) {
      throw new Error(`berthFunction ${id} (${entry}) wires the stopper: pass props.stopQueue`);
    }
    environment.STOP_QUEUE_URL = props.stopQueue.queueUrl;
    allow('HandOverStops', ['sqs:SendMessage'], [props.stopQueue.queueArn]);
  }
  if (access.egress) {
    environment.TABLE_NAME = data.table.tableName;
    // The rules are two attributes of the workspace's item: one conditional UpdateItem.
    if (!access.store) allow('EgressRules', ['dynamodb:UpdateItem'], [data.table.tableArn]);
  }
  // Agent tokens, and proxy credentials (the same key signs both).
  if (access.agentTokens || access.egress) {
    const name = agentSigningKeySecretName(stack.stage);
    environment.AGENT_SIGNING_KEY_SECRET = name;
    // `secret:<name>` (the name keeps its leading slash), then `-` and six random characters.
    allow(
      'AgentSigningKey',
      ['secretsmanager:GetSecretValue'],
      [
        stack.formatArn({
          service: 'secretsmanager',
          resource: 'secret',
          resourceName: `${name}-??????`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    );
  }
  if (access.startGate) {
    environment.TABLE_NAME = data.table.tableName;
    environment.BERTH_RUNTASK_RATE = String(settings.runTask.ratePerSecond);
    environment.BERTH_RUNTASK_BURST = String(settings.runTask.burst);
    // The bucket's items (DynamoStartGate): read; `enter` books with UpdateItem and holds slots with Put and
    // Delete. The store's grant covers them where the entry has one.
    if (!access.store) {
      allow(
        'RunTaskBucket',
        access.startGate === 'enter'
          ? ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem']
          : ['dynamodb:GetItem'],
        [data.table.tableArn],
      );
    }
  }
  if (access.poolRefiller) {
    const name = poolRefillFunctionName(stack);
    environment.BERTH_POOL_REFILL_FUNCTION = name;
    allow(
      'RequestPoolRefill',
      ['lambda:InvokeFunction'],
      [
        stack.formatArn({
          service: 'lambda',
          resource: 'function',
          resourceName: name,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    );
  }
  if (access.tenants) {
    const parameter = apiKeysParameterName(stack.stage);
    environment.API_KEYS_PARAMETER = parameter;
    allow('ApiKeys', ['ssm:GetParameter'], [arn('ssm', 'parameter', parameter.slice(1))]);
  }

  // A role of its own (not CDK's default with AWS managed policies): logs to its own group only, plus what a
  // VPC function and active tracing need, which have no resource-level permissions.
  const role = new iam.Role(stack, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Berth ${entry} function`,
  });
  const logGroup = new logs.LogGroup(stack, `${id}Logs`, {
    retention: settings.logRetentionDays as logs.RetentionDays,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'OwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'VpcNetworkInterfaces',
      actions: [
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      resources: ['*'],
    }),
  );
  for (const statement of statements) role.addToPrincipalPolicy(statement);

  const fn = new Function(stack, id, {
    handler: `packages/functions/src/lambda/${entry}.handler`,
    ...(entry === 'pool-refill' && { functionName: poolRefillFunctionName(stack) }),
    // iam.test.ts finds a function's entry by it.
    description: `Berth ${entry}`,
    runtime: 'nodejs22.x',
    architecture: 'arm_64',
    tracing: 'active',
    timeout: props.timeout ?? 30,
    memorySize: props.memorySize ?? 1024,
    ...(props.reservedConcurrentExecutions !== undefined && {
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    }),
    environment,
    role,
    logGroup,
    vpc: network.vpc,
    vpcSubnets: network.functionSubnets,
    securityGroups: [network.functionsSecurityGroup],
  });
  Object.defineProperty(fn, BERTH_FUNCTION, { value: true });
  suppressBerthFunction(fn, role);
  return fn;
}
