// The page shell that loads the panel: a mount point, the bootstrap as JSON,
// the stylesheet and the script. The PHP shim (extension/) renders the same
// shape inside Plesk's layout (docs/panel.md); the demo server and the build
// use this function. No external URL: everything is in the bundle.

export type PageBootstrap = {
  locale: string;
  role: 'admin' | 'reseller' | 'client';
  baseUrl: string;
  subscriptionId?: number;
  timezone: string;
  csrf?: { header?: string; meta?: string; token?: string };
};

/** JSON that is safe inside <script>: no `</script>`, no `<!--`, no line separators that break old parsers. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export type PageOptions = { bootstrap: PageBootstrap; assetBase: string; title?: string; csrfToken?: string; version?: string };

/** The fragment Plesk's view embeds: mount point, bootstrap, assets. */
export function renderPanelFragment(o: PageOptions): string {
  const v = o.version ? `?v=${encodeURIComponent(o.version)}` : '';
  const base = o.assetBase.replace(/\/+$/, '');
  return [
    `<link rel="stylesheet" href="${attr(`${base}/app.css${v}`)}">`,
    `<div id="sendtrace-root"></div>`,
    `<script type="application/json" id="sendtrace-bootstrap">${scriptJson(o.bootstrap)}</script>`,
    `<script src="${attr(`${base}/app.js${v}`)}" defer></script>`,
  ].join('\n');
}

/** A whole page (the demo server; Plesk supplies its own <html>). */
export function renderPanelPage(o: PageOptions): string {
  const lang = /^ja\b/i.test(o.bootstrap.locale) ? 'ja' : 'en';
  return [
    '<!doctype html>',
    `<html lang="${lang}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Nothing is loaded from elsewhere; the policy says so to the browser too.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'">`,
    o.csrfToken ? `<meta name="forgery_protection_token" content="${attr(o.csrfToken)}">` : '',
    `<title>${attr(o.title ?? 'sendtrace')}</title>`,
    '<link rel="icon" href="data:,">',
    '</head>',
    '<body>',
    renderPanelFragment(o),
    '</body>',
    '</html>',
    '',
  ].filter((l) => l !== '').join('\n');
}
