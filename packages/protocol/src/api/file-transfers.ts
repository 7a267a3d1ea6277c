import * as z from 'zod/mini';

/**
 * Large files move through presigned S3 URLs (API.md "Large files"), so their bytes never pass through API
 * Gateway (6 MB per request and answer): the client PUTs to, or GETs from, object storage directly, and the
 * control plane moves the bytes between storage and the workspace.
 */
export const FILE_TRANSFER_LIMITS = {
  /** S3's limit for one PUT; the URL is signed for exactly the declared size. */
  maxBytes: 5 * 1024 ** 3,
  /** How long a presigned URL works. */
  urlExpirySeconds: 900,
  maxPathChars: 4096,
} as const;

/** `upl_` and 32 hex digits: what the control plane hands out; any other shape is an unknown upload (404). */
export const UPLOAD_ID = /^upl_[0-9a-f]{32}$/;

const PATH_RULE = `must be a string of 1 to ${FILE_TRANSFER_LIMITS.maxPathChars} characters`;
const filePath = z
  .string({ error: PATH_RULE })
  .check(z.minLength(1, PATH_RULE), z.maxLength(FILE_TRANSFER_LIMITS.maxPathChars, PATH_RULE));

const SIZE_RULE = `must be a whole number of bytes from 0 to ${FILE_TRANSFER_LIMITS.maxBytes}`;

/** `POST /v1/workspaces/{id}/files/uploads`: where the file goes, and its exact size (the URL is signed for it). */
export const createUploadRequest = z.strictObject(
  {
    path: filePath,
    size: z
      .number({ error: SIZE_RULE })
      .check(z.int(SIZE_RULE), z.gte(0, SIZE_RULE), z.lte(FILE_TRANSFER_LIMITS.maxBytes, SIZE_RULE)),
  },
  { error: 'must be an object {path, size}' },
);
export type CreateUploadRequest = z.infer<typeof createUploadRequest>;

/** `POST /v1/workspaces/{id}/files/downloads`: the file to hand out. */
export const createDownloadRequest = z.strictObject(
  { path: filePath },
  { error: 'must be an object {path}' },
);
export type CreateDownloadRequest = z.infer<typeof createDownloadRequest>;
