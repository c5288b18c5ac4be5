/**
 * The side panel's transport for {@link KubechatApi}: JupyterLab's ServerConnection, which
 * adds the token (when the page has one) and `X-XSRFToken` from the `_xsrf` cookie.
 */

import { ServerConnection } from '@jupyterlab/services';

import { ITransport, KubechatApi } from './api';

export function serverConnectionTransport(
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): ITransport {
  return {
    baseUrl: settings.baseUrl,
    fetch: (url, init) => ServerConnection.makeRequest(url, init, settings)
  };
}

/** The client the panel uses. */
export function labApi(settings?: ServerConnection.ISettings): KubechatApi {
  return new KubechatApi(serverConnectionTransport(settings));
}
