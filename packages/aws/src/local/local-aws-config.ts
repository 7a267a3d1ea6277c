/** Region every local stand-in (DynamoDB Local, fauxqs) is addressed in. */
export const LOCAL_REGION = 'us-east-1';

/** Local stand-ins accept any credentials; fixed dummies keep the SDK from searching the machine for real ones. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** SDK client config for a local stand-in at `endpoint` (e.g. `http://127.0.0.1:8000`). */
export const localClientConfig = (endpoint: string) => ({
  endpoint,
  region: LOCAL_REGION,
  credentials: { ...LOCAL_CREDENTIALS },
});
