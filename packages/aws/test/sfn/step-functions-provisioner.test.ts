import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { StepFunctionsProvisioner } from '../../src/sfn/step-functions-provisioner.js';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:berth-provision';

describe('StepFunctionsProvisioner', () => {
  const sfn = mockClient(SFNClient);
  afterEach(() => sfn.reset());
  const provisioner = () =>
    new StepFunctionsProvisioner({ stateMachineArn: ARN, clientConfig: { region: 'us-east-1' } });

  it('starts one execution named after the workspace with {workspaceId} as input', async () => {
    sfn.on(StartExecutionCommand).resolves({
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:berth-provision:ws_abc`,
      startDate: new Date('2025-01-15T16:12:01Z'),
    });
    await provisioner().start({ workspaceId: 'ws_abc' });
    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      stateMachineArn: ARN,
      name: 'ws_abc',
      input: JSON.stringify({ workspaceId: 'ws_abc' }),
    });
  });

  it('names a later run apart and passes a claimed member on (the machine enters it at RestoreFiles)', async () => {
    sfn.on(StartExecutionCommand).resolves({});
    await provisioner().start({ workspaceId: 'ws_abc', claimed: true, run: 3 });
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({
      stateMachineArn: ARN,
      name: 'ws_abc-r3',
      input: JSON.stringify({ workspaceId: 'ws_abc', run: 3, claimed: true }),
    });
  });

  it('treats ExecutionAlreadyExists as already started', async () => {
    sfn.on(StartExecutionCommand).rejects(
      new ExecutionAlreadyExists({
        message:
          'Execution Already Exists: arn:aws:states:us-east-1:123456789012:execution:berth-provision:ws_abc',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    await expect(provisioner().start({ workspaceId: 'ws_abc' })).resolves.toBeUndefined();
  });

  it('passes other errors on', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(
        Object.assign(new Error('State Machine Does Not Exist'), { name: 'StateMachineDoesNotExist' }),
      );
    await expect(provisioner().start({ workspaceId: 'ws_abc' })).rejects.toThrow(/Does Not Exist/);
  });
});
