/** Serves `mounts` (e.g. { '/': repoRoot, '/tmp/': someDir }) on 127.0.0.1; port 0 picks a free one. */
export function startStaticServer(
  mounts: Record<string, string>,
  port?: number,
): Promise<{ url: string; port: number; close: () => Promise<void> }>;
