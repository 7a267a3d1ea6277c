import { readLocalSettings } from './local-settings.js';
import { startLocalHost } from './host/local-host.js';

/** `npm start`: Berth on this machine. Prints where it listens and the API key to use. */
async function main() {
  const settings = readLocalSettings(process.env);
  const host = await startLocalHost({
    stateDir: settings.stateDir,
    port: settings.port,
    host: settings.host,
    apiKeys: settings.apiKeys,
    sweepIntervalMs: settings.sweepIntervalMs,
    ...(settings.labelPrefix ? { labelPrefix: settings.labelPrefix } : {}),
    egress: settings.egress,
    ...(settings.diskMiB !== undefined ? { diskMiB: settings.diskMiB } : {}),
    ...(settings.pools ? { pools: settings.pools } : {}),
    ...(settings.concurrentStarts ? { concurrentStarts: settings.concurrentStarts } : {}),
    ...(settings.tenantQuota !== undefined
      ? { config: { admission: { tenantQuota: settings.tenantQuota } } }
      : {}),
    logLevel: (process.env.BERTH_LOG_LEVEL as 'INFO' | undefined) ?? 'INFO',
  });
  const keys = settings.apiKeys.split(',').map((p) => p.slice(p.indexOf(':') + 1));
  process.stderr.write(
    [
      '',
      `Berth is running at ${host.url}`,
      settings.generatedKey
        ? `API key (saved in ${settings.stateDir}/api-key): ${keys[0]}`
        : 'API keys: from BERTH_API_KEYS',
      `Try:  curl -s -H "Authorization: Bearer ${settings.generatedKey ? keys[0] : '<key>'}" -H 'content-type: application/json' \\`,
      `        -d '{"conversationId":"hello"}' ${host.url}/v1/workspaces`,
      '',
    ].join('\n') + '\n',
  );
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    process.stderr.write(
      `\n${signal}: stopping Berth (workspaces keep running; the next start picks them up)\n`,
    );
    await host.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(`berth: ${(e as Error).message}\n`);
  process.exit(1);
});
