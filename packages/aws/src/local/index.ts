// `@berth/aws/local`: the local stand-ins for AWS (DynamoDB Local, fauxqs), for local mode, tests and benches.
// Kept out of the main entry so a Lambda bundle of `@berth/aws` carries production adapters only.
export * from './local-aws-config.js';
export * from './dynamodb-local.js';
export { dynamoDbLocalsServing } from './dynamodb-local-process.js';
export * from './fauxqs.js';
export * from './free-port.js';
// Create-if-missing for local mode, tests and benches (in the cloud the Data stack owns table and bucket).
export { ensureTable } from '../dynamodb/table-definition.js';
export { ensureBucket } from '../s3/ensure-bucket.js';
