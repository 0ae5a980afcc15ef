/**
 * Serves `mounts` (e.g. { '/': repoRoot, '/tmp/': someDir }) on 127.0.0.1; port 0 picks a free one.
 * `isolated` sends COOP same-origin + COEP require-corp (a cross-origin-isolated page: threads).
 */
export function startStaticServer(
  mounts: Record<string, string>,
  port?: number,
  options?: { isolated?: boolean },
): Promise<{ url: string; port: number; close: () => Promise<void> }>;
