import { ServerConnection } from '@jupyterlab/services';
import { describe, expect, it } from 'vitest';

import { KubechatApi, KubechatApiError } from '../api';
import { labApi } from '../transport';

interface ISent {
  url: string;
  method: string;
  body: any;
  headers: Headers;
}

function fakeServer(reply: (sent: ISent) => [number, unknown]) {
  const sent: ISent[] = [];
  const fetchFn = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request =
      input instanceof Request ? input : new Request(String(input), init);
    const text = request.method === 'GET' ? '' : await request.text();
    const s: ISent = {
      // ServerConnection adds a cache-busting timestamp; the rest is what the server sees
      url: request.url.replace(/[?&]\d{10,}$/, ''),
      method: request.method,
      body: text ? JSON.parse(text) : null,
      headers: request.headers
    };
    sent.push(s);
    const [status, body] = reply(s);
    return new Response(JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json' }
    });
  };
  const settings = ServerConnection.makeSettings({
    baseUrl: 'http://127.0.0.1:8888/base/',
    token: 'tok',
    fetch: fetchFn as typeof fetch,
    Request,
    Headers
  });
  return { api: labApi(settings), sent };
}

describe('KubechatApi', () => {
  it('asks under base_url with a conversation id (C1)', async () => {
    const { api, sent } = fakeServer(() => [
      200,
      { translation: {}, proposal: null }
    ]);
    await api.ask('pods in shop', 'panel-abc');
    expect(sent[0].url).toBe('http://127.0.0.1:8888/base/kubechat/api/ask');
    expect(sent[0].method).toBe('POST');
    expect(sent[0].headers.get('Authorization')).toBe('token tok');
    expect(sent[0].body).toEqual({
      question: 'pods in shop',
      conversation: 'panel-abc'
    });
  });

  it('sends the typed name as confirm and turns JSON errors into KubechatApiError', async () => {
    const { api, sent } = fakeServer(() => [
      403,
      { reason: 'confirm-mismatch', message: "type 'web' to approve" }
    ]);
    const error = await api
      .approve('p_0123456789abcdef0123', 'wbe')
      .catch(e => e);
    expect(error).toBeInstanceOf(KubechatApiError);
    expect(error.status).toBe(403);
    expect(error.reason).toBe('confirm-mismatch');
    expect(error.message).toBe("type 'web' to approve");
    expect(sent[0].url).toBe(
      'http://127.0.0.1:8888/base/kubechat/api/proposals/p_0123456789abcdef0123/approve'
    );
    expect(sent[0].body).toEqual({ confirm: 'wbe' });
  });

  it('reads what waits for the person from GET proposals', async () => {
    const { api, sent } = fakeServer(() => [200, { proposals: [], now: 5 }]);
    const list = await api.waiting();
    expect(list).toEqual({ proposals: [], now: 5 });
    expect(sent[0].method).toBe('GET');
    expect(sent[0].url).toBe(
      'http://127.0.0.1:8888/base/kubechat/api/proposals'
    );
  });

  it('reads a 503 health report instead of failing, and pages the audit log', async () => {
    const { api, sent } = fakeServer(s =>
      s.url.endsWith('/health')
        ? [
            503,
            {
              ok: false,
              database: { ok: false },
              cluster: { ok: true },
              provider: { ok: true }
            }
          ]
        : [200, { records: [], next_after: null }]
    );
    const health = await api.health();
    expect(health.ok).toBe(false);
    await api.audit({ after: 10, limit: 200, type: 'executed', user: '' });
    expect(sent[1].url).toBe(
      'http://127.0.0.1:8888/base/kubechat/api/audit?after=10&limit=200&type=executed'
    );
  });
});

describe('KubechatApi.dashboardWatch', () => {
  function streaming(status: number, chunks: string[]) {
    const urls: string[] = [];
    const api = new KubechatApi({
      baseUrl: 'http://127.0.0.1:8888/base/',
      fetch: async url => {
        urls.push(url);
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            for (const chunk of chunks) {
              controller.enqueue(new TextEncoder().encode(chunk));
            }
            controller.close();
          }
        });
        return new Response(body, { status });
      }
    });
    return { api, urls };
  }

  it('hands over each NDJSON line, also one split across chunks', async () => {
    const { api, urls } = streaming(200, [
      '{"type":"start","watch":"dw_1","watched":["kubectl get pods -A"]}\n{"type":"dash',
      'board","changed":["pods"],"dashboard":{"tiles":[]}}\n\n',
      '{"type":"heartbeat"}\n{"type":"end","reason":"deadline"}\n'
    ]);
    const seen: string[] = [];
    await api.dashboardWatch(e => seen.push(e.type), 'kind-a');
    expect(seen).toEqual(['start', 'dashboard', 'heartbeat', 'end']);
    expect(urls[0]).toBe(
      'http://127.0.0.1:8888/base/kubechat/api/dashboard/watch?context=kind-a'
    );
  });

  it('rejects with the status when the watch quota is full', async () => {
    const { api } = streaming(429, [
      '{"reason":"busy","message":"alice already runs 4 watches"}'
    ]);
    const error = await api.dashboardWatch(() => undefined).catch(e => e);
    expect(error).toBeInstanceOf(KubechatApiError);
    expect(error.status).toBe(429);
    expect(error.message).toContain('4 watches');
  });
});
