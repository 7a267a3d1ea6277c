import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoWorkspaceStore } from '../../src/dynamodb/dynamo-workspace-store.js';
import { makeWorkspace } from '../support/workspace-fixture.js';

// DynamoDB Local runs transactions one at a time, so it never answers TransactionConflict; real DynamoDB
// does when two transactions on one conversation overlap. Mocked here on the real exception shape.
const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

describe('createForConversation under transaction conflicts', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  afterEach(() => ddb.reset());
  const store = () => new DynamoWorkspaceStore({ tableName: 't', clientConfig: { region: 'us-east-1' } });

  it('retries a conflict until the condition decides', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', 'TransactionConflict'))
      .rejectsOnce(cancelled('None', 'ConditionalCheckFailed'));
    expect(await store().createForConversation(makeWorkspace(), { replaces: null })).toEqual({
      ok: false,
      reason: 'conversation_bound',
    });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('succeeds when the retry goes through', async () => {
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled('TransactionConflict', 'None')).resolves({});
    expect(await store().createForConversation(makeWorkspace(), { replaces: null })).toEqual({ ok: true });
  });

  it('gives up after repeated conflicts with the error', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'TransactionConflict'));
    await expect(store().createForConversation(makeWorkspace(), { replaces: null })).rejects.toBeInstanceOf(
      TransactionCanceledException,
    );
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(8);
  });

  it('a duplicate workspace id is an error, not conversation_bound', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));
    await expect(store().createForConversation(makeWorkspace(), { replaces: null })).rejects.toThrow(
      /already exists/,
    );
  });
});
