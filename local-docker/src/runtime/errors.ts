/** The image is not in the local engine. Berth never pulls (there may be no registry): it builds images. */
export class ImageMissingError extends Error {
  constructor(readonly image: string) {
    super(
      `image ${image} is not in the local Docker engine; run \`npm run setup\` to build it (Berth never pulls)`,
    );
    this.name = 'ImageMissingError';
  }
}

/** pause/resume of a task the engine does not know (or that is not Berth's). */
export class TaskNotFoundError extends Error {
  constructor(readonly taskRef: string) {
    super(`no Berth container ${taskRef}`);
    this.name = 'TaskNotFoundError';
  }
}

/** HTTP status of a docker-modem error, if it is one. */
export const dockerStatus = (err: unknown): number | undefined => {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
};

export const dockerMessage = (err: unknown): string => {
  const json = (err as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === 'string') return json.message;
  return err instanceof Error ? err.message : String(err);
};
