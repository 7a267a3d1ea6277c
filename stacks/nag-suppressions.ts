import type { Stack } from 'aws-cdk-lib';
import { NagSuppressions } from 'cdk-nag';

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
