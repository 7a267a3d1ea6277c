import type { Stack } from 'aws-cdk-lib';
import { NagSuppressions } from 'cdk-nag';
import type { IConstruct } from 'constructs';

const BASIC_EXECUTION_ROLE =
  'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';

/**
 * cdk-nag findings on the Lambda every SST stack carries (`CustomResourceHandler`, SST's deploy-time
 * handler): SST builds it, so its role and runtime are not Berth's to choose. Call once per stack.
 */
export function suppressSstInternals(stack: Stack): void {
  const handler = stack.node.tryFindChild('CustomResourceHandler');
  if (!handler) return;
  NagSuppressions.addResourceSuppressions(
    handler,
    [
      {
        id: 'AwsSolutions-IAM4',
        appliesTo: [BASIC_EXECUTION_ROLE],
        reason:
          "SST's own custom-resource handler: SST creates its role with the basic Lambda logging policy",
      },
      {
        id: 'AwsSolutions-L1',
        reason: "SST's own custom-resource handler: SST pins its runtime (nodejs22.x), Berth cannot set it",
      },
    ],
    true,
  );
}

/**
 * cdk-nag findings on the provider Lambda CDK shares between a stack's AwsCustomResources: CDK builds it with
 * the basic logging policy and the newest runtime it knows.
 */
export function suppressAwsCustomResourceProvider(stack: Stack): void {
  // The singleton's fixed construct id (aws-cdk-lib custom-resources, AwsCustomResource).
  const provider = stack.node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
  if (!provider) return;
  NagSuppressions.addResourceSuppressions(
    provider,
    [
      {
        id: 'AwsSolutions-IAM4',
        appliesTo: [BASIC_EXECUTION_ROLE],
        reason:
          "CDK's AwsCustomResource provider: CDK gives it the basic Lambda logging policy for its own logs",
      },
      {
        id: 'AwsSolutions-L1',
        reason:
          "CDK's AwsCustomResource provider: CDK picks the newest Node.js runtime of the pinned aws-cdk-lib",
      },
    ],
    true,
  );
}

/** A wildcard resource in a Berth function's policy that is as narrow as the service allows, and why. */
const BERTH_FUNCTION_WILDCARDS = [
  {
    appliesTo: 'Resource::*',
    reason:
      'Only actions without resource-level permissions: ENI management of a VPC Lambda (ec2:*NetworkInterface*, DescribeSubnets), X-Ray trace upload, and ecs:ListTasks (scoped by its ecs:cluster condition)',
  },
  {
    appliesTo: { regex: '/^Resource::<[A-Za-z0-9]+\\.Arn>\\/index\\/\\*$/' },
    reason: "dynamodb:Query on the workspace table's own indexes",
  },
  {
    appliesTo: { regex: '/^Resource::<[A-Za-z0-9]+\\.Arn>\\/\\*$/' },
    reason: "Objects of the workspace files bucket: any conversation's snapshot key",
  },
  {
    appliesTo: { regex: '/^Resource::arn:<AWS::Partition>:ecs:[^:]+:[^:]+:task\\/<[A-Za-z0-9]+>\\/\\*$/' },
    reason: "Tasks of Berth's workspace cluster (task ids are not known in advance)",
  },
  {
    appliesTo: { regex: '/^Resource::arn:<AWS::Partition>:ecs:[^:]+:[^:]+:task-definition\\/[^:]+:\\*$/' },
    reason: 'Every revision of the workspace task definition family (RunTask, cluster-conditioned)',
  },
];

/**
 * cdk-nag findings on a function of stacks/lambda-function.ts: its role's wildcards are the narrowest each
 * service allows (stacks/test/iam.test.ts checks every action and resource), and its runtime is the pinned
 * nodejs22.x the bundle budget is measured on, not whichever is newest.
 */
export function suppressBerthFunction(fn: IConstruct, role: IConstruct): void {
  NagSuppressions.addResourceSuppressions(
    role,
    BERTH_FUNCTION_WILDCARDS.map(({ appliesTo, reason }) => ({
      id: 'AwsSolutions-IAM5',
      appliesTo: [appliesTo],
      reason,
    })),
    true,
  );
  NagSuppressions.addResourceSuppressions(fn, [
    {
      id: 'AwsSolutions-L1',
      reason: 'Berth pins nodejs22.x (the runtime its bundles and tests target); upgrades are deliberate',
    },
  ]);
}
