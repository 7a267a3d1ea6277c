import type { WorkspaceView } from '@berth/core';
import type {
  ExecExitEventData,
  ExecResult,
  ExecuteRequest,
  FileEntry as AgentFileEntry,
  FilesChangedEventData,
} from '@berth/protocol';
import { describe, expectTypeOf, it } from 'vitest';
import type {
  AgentRunRequest,
  CommandExit,
  CommandResult,
  FileEntry,
  FilesChanged,
  WorkspaceInfo,
} from '../src/index.js';

// The SDK restates the server's wire types (it installs with zero dependencies, so it may not import Berth's
// packages at run time). These pins against @berth/protocol (the agent's wire types) and core's workspace view
// fail the type check (npm run typecheck) the day either side changes without the other.
describe('the SDK types match what the server sends and accepts', () => {
  it('workspace view', () => expectTypeOf<WorkspaceInfo>().toEqualTypeOf<WorkspaceView>());
  it('exec result and exit event', () => {
    expectTypeOf<CommandResult>().toEqualTypeOf<ExecResult>();
    expectTypeOf<ExecExitEventData>().toMatchTypeOf<CommandExit>();
  });
  it('agent run request and files_changed', () => {
    expectTypeOf<AgentRunRequest>().toEqualTypeOf<ExecuteRequest>();
    expectTypeOf<FilesChanged>().toEqualTypeOf<FilesChangedEventData>();
  });
  it('directory entries', () => expectTypeOf<AgentFileEntry>().toMatchTypeOf<FileEntry>());
});
