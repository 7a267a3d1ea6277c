// The table's attribute and index names apart from its definition: the store needs only these, and the API's
// bundle then carries no CreateTable shapes.

/** Attribute names of the Berth table that more than one module (store, stacks, tests) must agree on. */
export const ATTR = {
  pk: 'pk',
  sk: 'sk',
  /** DynamoDB TTL attribute: epoch SECONDS, as DynamoDB requires. The exact epoch ms live in `expiresAtMs`. */
  ttl: 'expiresAt',
  expiresAtMs: 'expiresAtMs',
  /** byTenant index: `TENANT#<tenantId>` / `<createdAt padded>#<id>`. */
  gsi1pk: 'gsi1pk',
  gsi1sk: 'gsi1sk',
  /** liveByExpiry index: `LIVE` (present only while non-terminal) / `<expiresAt padded>#<id>`. */
  gsi2pk: 'gsi2pk',
  gsi2sk: 'gsi2sk',
  /** liveByDeadline index: `LIVE` (present only while non-terminal) / `<deadlineAt padded>#<id>` (only while deadlineAt is set). */
  gsi3pk: 'gsi3pk',
  gsi3sk: 'gsi3sk',
  /** byPool index: `POOL#<template>` (present only while an unclaimed, live pool member) / `<createdAt padded>#<id>`. */
  gsi4pk: 'gsi4pk',
  gsi4sk: 'gsi4sk',
} as const;

/** Global secondary index names. */
export const INDEX = {
  /** A tenant's workspaces by creation time (list newest first). */
  byTenant: 'byTenant',
  /** Non-terminal workspaces by lease end (sweep of expired leases, reconcile with the runtime). */
  liveByExpiry: 'liveByExpiry',
  /** Non-terminal workspaces that have a transitional deadline, by deadline (sweep of stuck states). */
  liveByDeadline: 'liveByDeadline',
  /** The unclaimed members of each template's warm pool, oldest first (claims, refills, `GET /v1/pool`). */
  byPool: 'byPool',
} as const;

export type IndexName = (typeof INDEX)[keyof typeof INDEX];
