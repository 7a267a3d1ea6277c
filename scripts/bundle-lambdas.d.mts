/** Types of bundle-lambdas.mjs for the TypeScript that imports it (its test, the bench). */
export declare const BUDGET_KB: number;
export interface BundleRow {
  entry: string;
  /** All the code the entry deploys: every chunk, the ones import() loads lazily included. */
  bytes: number;
  /** What a cold start loads: the entry chunk and the chunks it imports statically. */
  coldStartBytes: number;
  over: boolean;
  /** The packages that weigh most in the bundle: [owner, bytes]. */
  heaviest: [string, number][];
  /** The AWS SDK clients it loads from the runtime (`dynamodb`, `s3`, …). */
  sdk: string[];
}
export declare function lambdaEntries(dir?: string): string[];
export declare function bundleEntry(
  file: string,
): Promise<{ bytes: number; coldStartBytes: number; heaviest: [string, number][]; sdk: string[] }>;
export declare function bundleAll(dir?: string): Promise<BundleRow[]>;
export declare function bundleTable(rows: BundleRow[]): string;
