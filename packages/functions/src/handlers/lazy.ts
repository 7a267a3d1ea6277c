/** Builds a value once, on first use (a Lambda builds its clients on the cold start, not at import). */
export function lazy<T>(make: () => T | Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= Promise.resolve().then(make);
    // A failed build is retried on the next call rather than cached forever.
    value.catch(() => (value = undefined));
    return value;
  };
}
