/** Limits of the agent's API: the agent enforces them; the control plane checks requests against them. */
export const WORKSPACE_AGENT_LIMITS = {
  /** Any request body (JSON or a raw file) but a tar to extract (`PUT /files/archive`: streamed, unlimited). */
  maxBodyBytes: 6 * 1024 * 1024,
  defaultTimeoutMs: 60_000,
  maxTimeoutMs: 900_000,
  /** Per-stream default cap of `POST /exec` (AGENT_MAX_OUTPUT_BYTES overrides). */
  defaultMaxOutputBytes: 1024 * 1024,
  /** Highest `maxOutputBytes` a request may ask for; also the stdout cap of `POST /exec/binary`. */
  maxOutputBytesLimit: 64 * 1024 * 1024,
  /** Output a command's event buffer keeps for readers that come later (oldest dropped first: a `gap`). */
  commandBufferBytes: 16 * 1024 * 1024,
  /** Ended commands kept for `GET /commands` and reattaching (oldest dropped first), their buffers with them. */
  endedCommandsKept: 100,
  /** Bytes of stderr carried base64 in `x-stderr` by `POST /exec/binary`. */
  binaryStderrBytes: 4096,
  /** `POST /execute`. */
  maxPromptChars: 100_000,
  defaultMaxTurns: 20,
  maxTurns: 100,
} as const;
