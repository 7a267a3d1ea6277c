import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  ApiError,
  isTerminal,
  notFound,
  type EgressHeaderRule,
  type WorkspaceEgressRules,
  type WorkspaceStatus,
} from '@berth/core';
import { withSdkTimeouts } from '../client-timeouts.js';
import { ITEM_TYPE, workspaceKey } from '../dynamodb/workspace-item.js';

/** A workspace's egress rules as the gateway needs them: whose they are and what they allow. */
export interface StoredEgress {
  tenantId: string;
  rules: { allowDomains: string[]; headerRules: EgressHeaderRule[] };
}

export interface DynamoEgressRulesOptions {
  tableName: string;
  /** A configured client; when absent one is built from `clientConfig` (region, endpoint, credentials). */
  client?: DynamoDBDocumentClient;
  clientConfig?: DynamoDBClientConfig;
}

/** The workspace item's attributes that hold its egress rules (absent: none of its own). */
const ATTR = { allowDomains: 'egressAllowDomains', headerRules: 'egressHeaderRules' } as const;

/**
 * The one owner of how a workspace's own egress rules are stored: two attributes on its workspace item
 * (workspace-item.ts), so they end with it and the gateway reads tenant, status and rules in one GetItem.
 * The store's record mapping ignores them: they are never part of a WorkspaceRecord.
 */
export class DynamoEgressRules {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(opts: DynamoEgressRulesOptions) {
    this.table = opts.tableName;
    this.doc = documentClient(opts);
  }

  /**
   * Replaces the parts `rules` names (absent keys untouched), conditional on the workspace existing and being
   * `ready`: 404 `not_found` when there is no such workspace, 409 `conflict` when it is not ready.
   */
  put(workspaceId: string, rules: WorkspaceEgressRules): Promise<void> {
    return putEgressRules(this.doc, this.table, workspaceId, rules);
  }

  /**
   * Strongly consistent (a read right after `put` sees it): tenant, status and rules of the workspace; null
   * when there is none or it has ended. Missing rule attributes are empty lists.
   */
  async read(workspaceId: string): Promise<StoredEgress | null> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: workspaceKey(workspaceId),
        ConsistentRead: true,
        ProjectionExpression: '#type, tenantId, #status, #allow, #headers',
        ExpressionAttributeNames: {
          '#type': 'type',
          '#status': 'status',
          '#allow': ATTR.allowDomains,
          '#headers': ATTR.headerRules,
        },
      }),
    );
    const item = out.Item as
      | {
          type?: string;
          tenantId: string;
          status: WorkspaceStatus;
          egressAllowDomains?: string[];
          egressHeaderRules?: EgressHeaderRule[];
        }
      | undefined;
    if (item?.type !== ITEM_TYPE.workspace || isTerminal(item.status)) return null;
    return {
      tenantId: item.tenantId,
      rules: {
        allowDomains: item.egressAllowDomains ?? [],
        headerRules: item.egressHeaderRules ?? [],
      },
    };
  }
}

/**
 * {@link DynamoEgressRules.put} on its own, for code that only writes (the API function: its bundle then
 * carries no read path).
 */
export function egressRulesWriter(opts: DynamoEgressRulesOptions): Pick<DynamoEgressRules, 'put'> {
  const doc = documentClient(opts);
  return { put: (workspaceId, rules) => putEgressRules(doc, opts.tableName, workspaceId, rules) };
}

const documentClient = (opts: DynamoEgressRulesOptions) =>
  opts.client ??
  DynamoDBDocumentClient.from(new DynamoDBClient(withSdkTimeouts(opts.clientConfig ?? {}, 'dynamodb')));

/**
 * One conditional UpdateItem. `status = ready` is always set, a no-op under the condition, so a put naming
 * nothing still checks the workspace.
 */
async function putEgressRules(
  doc: DynamoDBDocumentClient,
  table: string,
  workspaceId: string,
  rules: WorkspaceEgressRules,
): Promise<void> {
  const names: Record<string, string> = { '#t': 'type', '#s': 'status' };
  const values: Record<string, unknown> = { ':w': ITEM_TYPE.workspace, ':r': 'ready' };
  const sets = ['#s = :r'];
  for (const key of ['allowDomains', 'headerRules'] as const) {
    if (!rules[key]) continue;
    names[`#${key}`] = ATTR[key];
    values[`:${key}`] = rules[key];
    sets.push(`#${key} = :${key}`);
  }
  try {
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: workspaceKey(workspaceId),
        UpdateExpression: `SET ${sets.join()}`,
        ConditionExpression: '#t = :w AND #s = :r',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
  } catch (e) {
    const err = e as { name?: string; Item?: { type?: { S?: string }; status?: { S?: string } } };
    if (err.name !== 'ConditionalCheckFailedException') throw e;
    // The failed check returns the item as it was (raw attribute values): none, or not a workspace → 404.
    if (err.Item?.type?.S !== ITEM_TYPE.workspace) throw notFound();
    throw new ApiError('conflict', `workspace ${workspaceId} is ${err.Item.status?.S}, not ready`);
  }
}
