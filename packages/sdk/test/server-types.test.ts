import type { WorkspaceView } from '@berth/core';
import type {
  CommandRequest,
  CreateWorkspaceRequest,
  EgressRequest,
  ErrorCode,
  CommandExitEventData,
  CommandResult as ServerCommandResult,
  AgentRunRequest as ServerAgentRunRequest,
  FileEntry as AgentFileEntry,
  FilesChangedEventData,
  ListWorkspacesQuery,
} from '@berth/protocol';
import { describe, expectTypeOf, it } from 'vitest';
import type {
  AgentRunRequest,
  CommandExit,
  CommandResult,
  CreateWorkspaceOptions,
  EgressRules,
  FileEntry,
  FilesChanged,
  KnownErrorCode,
  ListPageOptions,
  RunOptions,
  WorkspaceInfo,
} from '../src/index.js';

// The SDK's wire types are the protocol's (its bundle inlines them, so it still installs with zero
// dependencies): these pins hold by construction. The request options the protocol only has as zod-inferred
// types are restated by the SDK (zod stays out of its bundle); their pins fail the type check (npm run
// typecheck) the day a schema changes without the SDK.
describe('the SDK types match what the server sends and accepts', () => {
  it('workspace view', () => expectTypeOf<WorkspaceInfo>().toEqualTypeOf<WorkspaceView>());
  it('command result and exit event', () => {
    expectTypeOf<ServerCommandResult>().toEqualTypeOf<CommandResult>();
    expectTypeOf<CommandExitEventData>().toMatchTypeOf<CommandExit>();
  });
  it('agent run request and files_changed', () => {
    expectTypeOf<ServerAgentRunRequest>().toEqualTypeOf<AgentRunRequest>();
    expectTypeOf<FilesChanged>().toEqualTypeOf<FilesChangedEventData>();
  });
  it('directory entries', () => expectTypeOf<AgentFileEntry>().toMatchTypeOf<FileEntry>());
  it('error codes', () => expectTypeOf<KnownErrorCode>().toEqualTypeOf<ErrorCode>());
  it('request options restated from the zod schemas', () => {
    expectTypeOf<CreateWorkspaceOptions>().toEqualTypeOf<CreateWorkspaceRequest>();
    expectTypeOf<Required<ListPageOptions>>().toEqualTypeOf<Required<ListWorkspacesQuery>>();
    expectTypeOf<Pick<RunOptions, 'cwd' | 'env' | 'stdin' | 'timeoutMs'>>().toEqualTypeOf<
      Omit<CommandRequest, 'cmd'>
    >();
    expectTypeOf<EgressRules>().toEqualTypeOf<EgressRequest>();
  });
});
