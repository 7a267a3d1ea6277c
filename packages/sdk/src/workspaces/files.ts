import type { DirectoryListing, FileDownload, FileEntry, FileUpload } from '@berth/protocol/client';
import { BerthApiError, BerthError } from '../errors.js';
import { callOptions, type CallOptions } from '../http/call-options.js';
import { segment, type Transport } from '../http/transport.js';

/** One entry of a directory listing. Symlinks are not followed. */
export type { FileEntry };

/** Where to GET a file from (`Files.downloadUrl`): a presigned URL, no API key needed, until `expiresAt`. */
export type { FileDownload };

/** What a file can be written from. */
export type FileData = string | Uint8Array | ArrayBuffer;

/**
 * The largest body `write` sends inline. Deployed, API Gateway hands the body to Lambda base64-encoded inside
 * its 6 MB request, so about 4.4 MiB is the most that arrives (larger ones get API Gateway's own 413, a body
 * Berth cannot shape); above this `write` goes through a presigned upload.
 */
export const INLINE_WRITE_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Files of a workspace. Paths are relative to `/workspace` or absolute under it; anything outside is
 * refused (`400 invalid_path`). A write creates missing parent directories; one over 4 MiB goes through a
 * presigned upload where the deployment has object storage. Reads of any size stream with `readStream`.
 */
export class Files {
  readonly #http: Transport;
  readonly #path: string;

  /** @internal */
  constructor(http: Transport, workspacePath: string) {
    this.#http = http;
    this.#path = `${workspacePath}/files`;
  }

  /** A file's exact bytes. */
  async read(path: string, options?: CallOptions): Promise<Uint8Array> {
    return this.#http.read(this.#call('GET', path, options), async (response) => {
      if (isJson(response)) throw new BerthError(`${path} is a directory; use files.list`);
      return new Uint8Array(await response.arrayBuffer());
    });
  }

  /**
   * A file's bytes as they arrive, for files of any size (`read` holds the whole file in memory). The
   * connection stays open until the stream is read to its end or cancelled; `signal` aborts it, at any
   * point (the stream then errors with its reason). `timeoutMs` applies until the answer starts.
   */
  async readStream(path: string, options?: CallOptions): Promise<ReadableStream<Uint8Array>> {
    const answer = await this.#http.open(this.#call('GET', path, options));
    const body = answer.response.body;
    if (isJson(answer.response) || !body) {
      answer.release();
      throw new BerthError(`${path} is a directory; use files.list`);
    }
    return body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ flush: () => answer.release() }));
  }

  /** A file's contents decoded as UTF-8. */
  async readText(path: string, options?: CallOptions): Promise<string> {
    return new TextDecoder().decode(await this.read(path, options));
  }

  /**
   * Creates or replaces a file; a string is written as UTF-8. Over 4 MiB (INLINE_WRITE_MAX_BYTES) the bytes
   * go through `upload` (so a deployed Berth takes files of any size up to 5 GiB); where the deployment has
   * no object storage (the local host answers `422`), they are sent inline after all, up to its 6 MiB limit.
   */
  async write(path: string, data: FileData, options?: CallOptions): Promise<void> {
    const bytes = toBytes(data);
    if (bytes.byteLength > INLINE_WRITE_MAX_BYTES) {
      const calls = callOptions(options);
      const upload = await this.#startUpload(path, bytes.byteLength, calls).catch((e: unknown) => {
        // No object storage here (the local host): nothing was staged; send the bytes inline.
        if (e instanceof BerthApiError && e.status === 422 && e.code === 'unprocessable') return null;
        throw e;
      });
      if (upload) return this.#finishUpload(upload, bytes, calls);
    }
    return this.#http.none({ ...this.#call('PUT', path, options), bytes });
  }

  /**
   * Creates or replaces a file of any size up to 5 GiB (a `Blob` streams from disk: `fs.openAsBlob`). The
   * bytes go straight to object storage through a presigned URL, never through the API and its 6 MiB body
   * limit; Berth then moves them into the workspace. A deployment without object storage (the local host)
   * answers `422 unprocessable`: use `write` there.
   */
  async upload(path: string, data: FileData | Blob, options?: CallOptions): Promise<void> {
    const body = data instanceof Blob ? data : toBytes(data);
    const size = data instanceof Blob ? data.size : (body as Uint8Array).byteLength;
    const calls = callOptions(options);
    await this.#finishUpload(await this.#startUpload(path, size, calls), body, calls);
  }

  /** Asks Berth for a presigned URL for `size` bytes at `path`. */
  #startUpload(path: string, size: number, calls: CallOptions): Promise<FileUpload> {
    return this.#http.json<FileUpload>({
      method: 'POST',
      path: `${this.#path}/uploads`,
      json: { path, size },
      retry: 'safe',
      ...calls,
    });
  }

  /** PUTs the bytes to the presigned URL (no API key), then has Berth move them into the workspace. */
  async #finishUpload(
    upload: FileUpload,
    body: Uint8Array<ArrayBuffer> | Blob,
    calls: CallOptions,
  ): Promise<void> {
    const put = await this.#http.presigned(
      upload.url,
      { method: 'PUT', headers: upload.headers, body },
      calls,
    );
    await put.response.arrayBuffer().finally(() => put.release());
    await this.#http.none({
      method: 'POST',
      path: `${this.#path}/uploads/${segment(upload.uploadId)}/complete`,
      retry: 'safe',
      ...calls,
    });
  }

  /**
   * A presigned URL to GET a file of any size from (a browser can follow it; no API key needed), valid
   * until `expiresAt`. Berth first copies the file to object storage, so the URL shows the file as it was
   * now. A deployment without object storage answers `422 unprocessable`: use `readStream` there.
   */
  downloadUrl(path: string, options?: CallOptions): Promise<FileDownload> {
    return this.#http.json<FileDownload>({
      method: 'POST',
      path: `${this.#path}/downloads`,
      json: { path },
      retry: 'safe',
      ...callOptions(options),
    });
  }

  /** The entries of a directory (default: `/workspace` itself). */
  async list(path = '.', options?: CallOptions): Promise<FileEntry[]> {
    return this.#http.read(this.#call('GET', path, options), async (response) => {
      if (!isJson(response)) throw new BerthError(`${path} is a file; use files.read`);
      return ((await response.json()) as DirectoryListing).entries;
    });
  }

  /** Deletes a file or a directory with everything in it. */
  remove(path: string, options?: CallOptions): Promise<void> {
    return this.#http.none(this.#call('DELETE', path, options));
  }

  #call(method: 'GET' | 'PUT' | 'DELETE', path: string, options: CallOptions | undefined) {
    // A file's bytes or a directory's JSON listing: the answer's content type tells which.
    return {
      method,
      path: this.#path,
      query: { path },
      accept: '*/*',
      retry: 'safe' as const,
      ...callOptions(options),
    };
  }
}

const isJson = (response: Response) =>
  (response.headers.get('content-type') ?? '').toLowerCase().startsWith('application/json');

/** fetch wants a body backed by a plain ArrayBuffer; copy only when the view is over something else. */
function toBytes(data: FileData): Uint8Array<ArrayBuffer> {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data.buffer instanceof ArrayBuffer ? (data as Uint8Array<ArrayBuffer>) : new Uint8Array(data);
}
