import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Bucket, Table, type StackContext } from 'sst/constructs';
import { WORKSPACE_TABLE } from '../packages/aws/src/dynamodb/table-definition.js';
import { TRANSFER_PREFIX } from '../packages/core/src/services/file-transfers.js';
import { suppressSstInternals } from './nag-suppressions.js';

/**
 * State: one DynamoDB table (workspaces, conversation bindings; TTL on `expiresAt`) and the bucket of
 * workspace file snapshots. The table's shape comes from the same definition DynamoDB Local is created from,
 * so local and cloud cannot drift.
 */
export function Data({ stack, app }: StackContext) {
  const fields: Record<string, 'string'> = {
    [WORKSPACE_TABLE.partitionKey.name]: 'string',
    [WORKSPACE_TABLE.sortKey.name]: 'string',
  };
  const globalIndexes: Record<string, { partitionKey: string; sortKey: string }> = {};
  for (const gsi of WORKSPACE_TABLE.globalSecondaryIndexes) {
    fields[gsi.partitionKey.name] = 'string';
    fields[gsi.sortKey.name] = 'string';
    globalIndexes[gsi.indexName] = { partitionKey: gsi.partitionKey.name, sortKey: gsi.sortKey.name };
  }
  const production = app.stage === 'prod';
  suppressSstInternals(stack);

  const table = new Table(stack, 'Workspaces', {
    fields,
    primaryIndex: { partitionKey: WORKSPACE_TABLE.partitionKey.name, sortKey: WORKSPACE_TABLE.sortKey.name },
    globalIndexes,
    timeToLiveAttribute: WORKSPACE_TABLE.timeToLiveAttribute,
    cdk: {
      // SST turns point-in-time recovery on by itself; the stack test checks it stays on.
      table: {
        removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      },
    },
  });

  // Who read or wrote which snapshot: the files bucket's server access logs, kept a year.
  const accessLogs = new s3.Bucket(stack, 'FilesAccessLogs', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
    removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    autoDeleteObjects: !production,
    lifecycleRules: [{ expiration: Duration.days(365) }],
  });
  NagSuppressions.addResourceSuppressions(accessLogs, [
    {
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself: logging it into itself would loop.',
    },
  ]);

  // Snapshots are the only copy of a conversation's files once its container is gone: versioned, private.
  const files = new Bucket(stack, 'WorkspaceFiles', {
    cdk: {
      bucket: {
        serverAccessLogsBucket: accessLogs,
        serverAccessLogsPrefix: 'workspace-files/',
        versioned: true,
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        autoDeleteObjects: !production,
        lifecycleRules: [
          { noncurrentVersionExpiration: Duration.days(30) },
          // Staged large-file transfers (presigned uploads not completed, download copies) are for minutes.
          {
            prefix: TRANSFER_PREFIX,
            expiration: Duration.days(1),
            noncurrentVersionExpiration: Duration.days(1),
            abortIncompleteMultipartUploadAfter: Duration.days(1),
          },
        ],
      },
    },
  });

  stack.addOutputs({ TableName: table.tableName, FilesBucket: files.bucketName });
  return { table, files };
}
