/**
 * Bounds of the public API's request fields (API.md). Most end up in store attributes, filters or argv, so
 * each is bounded; the agent's own limits (timeouts, prompt, turns) are WORKSPACE_AGENT_LIMITS (../workspace-agent/limits.ts).
 */
export const REQUEST_LIMITS = {
  maxLabelKeyChars: 63,
  maxLabelValueChars: 256,
  maxLabels: 32,
  maxTemplateChars: 64,
  defaultListLimit: 50,
  maxListLimit: 100,
  maxCursorChars: 2048,
  /** argv entries and the length of each (Linux's MAX_ARG_STRLEN is 131072). */
  maxArgs: 4096,
  maxArgChars: 131_072,
  maxCwdChars: 4096,
  maxTools: 100,
  /** A tool name or a model id. */
  maxNameChars: 200,
  maxAllowDomains: 100,
  maxHeaderRules: 50,
  maxHeadersPerRule: 32,
  maxHeaderValueChars: 8192,
} as const;
