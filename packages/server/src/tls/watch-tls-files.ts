import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../config/load-config';
import { reloadConfiguration } from '../admin/reload';
import type { SeppRuntime } from '../runtime/sepp-runtime';

/** Quiet time after the last change before the files are read (a renewal writes several files). */
export const TLS_WATCH_DEBOUNCE_MS = 500;

export interface TlsFileWatcher {
  close(): void;
}

/**
 * `tls.watchFiles: true`: watches every certificate, key and CA file of the configuration
 * (`tls.files`) and, once changes have settled (`TLS_WATCH_DEBOUNCE_MS`), takes the SIGHUP path:
 * the whole file is reloaded and each TLS listener swaps its secure context for new connections.
 *
 * The folders are watched, not the files: renewal tools replace a file by renaming a new one over
 * it (and Kubernetes swaps a symlinked folder), which a watch on the old file would miss. A change
 * counts only when a watched file's content differs from what was last loaded, so unrelated files
 * in the folder change nothing. A reload that fails (a key that does not match its certificate
 * yet, half-way through a renewal) keeps the running material and is retried on the next change.
 */
export function watchTlsFiles(runtime: SeppRuntime): TlsFileWatcher {
  let watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | null = null;
  let fingerprints = new Map<string, string>();
  let closed = false;

  const fingerprint = (file: string): string => {
    try {
      return createHash('sha256').update(readFileSync(file)).digest('hex');
    } catch (error) {
      return `unreadable: ${(error as NodeJS.ErrnoException).code ?? String(error)}`;
    }
  };

  const setUp = (): void => {
    for (const watcher of watchers) watcher.close();
    watchers = [];
    const config = runtime.config.current;
    if (closed || !config.tls.watchFiles) return;
    fingerprints = new Map(config.tls.files.map((file) => [file, fingerprint(file)]));
    for (const folder of new Set(config.tls.files.map((file) => dirname(file)))) {
      try {
        const watcher = watch(folder, { persistent: false }, () => schedule());
        watcher.on('error', (error) => runtime.logger.warn({ folder, err: error }, 'cannot watch TLS files'));
        watchers.push(watcher);
      } catch (error) {
        runtime.logger.warn({ folder, err: error }, 'cannot watch TLS files');
      }
    }
    runtime.logger.info({ files: config.tls.files, debounceMs: TLS_WATCH_DEBOUNCE_MS }, 'watching TLS files');
  };

  const schedule = (): void => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(check, TLS_WATCH_DEBOUNCE_MS);
    timer.unref();
  };

  const check = (): void => {
    timer = null;
    const changed = [...fingerprints].filter(([file, print]) => fingerprint(file) !== print).map(([file]) => file);
    if (changed.length === 0) return;
    runtime.logger.info({ files: changed }, 'TLS files changed');
    try {
      reloadConfiguration(runtime.config, runtime.logger, 'file-watch');
    } catch (error) {
      if (!(error instanceof ConfigError)) runtime.logger.error({ err: error }, 'reload after a TLS file change failed');
      // The running configuration stays; the next change of the files tries again.
    }
  };

  // Any successful reload (SIGHUP too) re-reads the list and the fingerprints.
  runtime.config.on('reload', () => setUp());
  setUp();
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
      watchers = [];
    },
  };
}
