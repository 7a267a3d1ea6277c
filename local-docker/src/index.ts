export * from './host/local-host.js';
export * from './local-settings.js';
export * from './blobs/fs-blob-store.js';
export * from './runtime/docker-runtime.js';
export * from './images/names.js';
