/**
 * How much of an agent's answer the control plane reads into memory. The agent is untrusted (the workspace
 * runs as its uid): whatever it sends, no read may grow without bound. File contents and binary stdout are
 * streamed and never read whole; these limits cover what must be parsed.
 */
export const WORKSPACE_AGENT_READ_LIMITS = {
  /** `GET /health`: a few fields. */
  healthBytes: 4 * 1024,
  /** An error answer: enough to quote its code and message. */
  errorBytes: 64 * 1024,
  /**
   * `POST /exec` JSON: stdout and stderr at the agent's default cap (1 MiB each), every byte possibly
   * escaped as `\u00XX`, plus margin.
   */
  commandResultBytes: 16 * 1024 * 1024,
  /** A directory listing (about 100 bytes an entry: some 150,000 entries). */
  listingBytes: 16 * 1024 * 1024,
  /** Any other small JSON answer. */
  jsonBytes: 1024 * 1024,
} as const;
