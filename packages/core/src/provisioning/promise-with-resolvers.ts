/**
 * The Promise.withResolvers polyfill aws-local-stepfunctions needs on Node 20 (it runs this package's state
 * machine definition locally and in tests). A no-op where the runtime has it.
 */
export function installPromiseWithResolvers(): void {
  const P = Promise as unknown as { withResolvers?: () => unknown };
  P.withResolvers ??= function withResolvers<T>() {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
