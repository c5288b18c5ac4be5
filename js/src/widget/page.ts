/**
 * The notebook widgets' transport for {@link KubechatApi}: the page's own fetch to the
 * server's browser route, with the page's login cookie and the `_xsrf` cookie echoed in
 * `X-XSRFToken` (as JupyterLab's ServerConnection does), so code running in the kernel cannot
 * approve by itself. A page without `jupyter-config-data` (VS Code's webview) has no route.
 */

import { ITransport, KubechatApi } from '../api';

/** The server's base URL as the page knows it, or null where the page is not Jupyter's. */
export function pageBaseUrl(doc: Document = document): string | null {
  const node = doc.getElementById('jupyter-config-data');
  if (!node) {
    return null;
  }
  try {
    const config = JSON.parse(node.textContent || '{}');
    const base = String(config.baseUrl || '/');
    return base.endsWith('/') ? base : `${base}/`;
  } catch {
    return null;
  }
}

function xsrfToken(doc: Document): string {
  const match = doc.cookie.match(/(?:^|;\s*)_xsrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : '';
}

export function pageTransport(
  baseUrl: string,
  doc: Document = document
): ITransport {
  return {
    baseUrl,
    fetch: (url, init) => {
      const headers = new Headers(init.headers);
      headers.set('X-XSRFToken', xsrfToken(doc));
      return fetch(url, { ...init, headers, credentials: 'same-origin' });
    }
  };
}

/** The client of this page, or null where the page has no route to the server. */
export function pageApi(doc: Document = document): KubechatApi | null {
  const base = pageBaseUrl(doc);
  return base === null ? null : new KubechatApi(pageTransport(base, doc));
}
