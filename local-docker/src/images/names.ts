/** Image names used by the local Docker runtime, the tests and the bench. */
export const BASE_IMAGE = 'berth/base:bookworm-node22';
export const WORKSPACE_IMAGE = 'berth/workspace:latest';
export const PROXY_IMAGE = 'berth/proxy-sidecar:latest';

/** Label that records the content hash an image was built from; equal hash means "skip the build". */
export const HASH_LABEL = 'berth.image.hash';
