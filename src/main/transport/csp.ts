/**
 * The Content-Security-Policy of the renderer, one definition for both transports. No remote
 * content, no eval, scripts only from the app itself. Inline styles are allowed because
 * wavesurfer.js styles its shadow DOM with a <style> element; no inline script is.
 */
export function contentSecurityPolicy(opts: { mediaSources: string[]; connectSources: string[] }): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `media-src 'self' blob: ${opts.mediaSources.join(' ')}`.trim(),
    `connect-src 'self' ${opts.connectSources.join(' ')}`.trim(),
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
