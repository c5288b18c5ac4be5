/**
 * The one client of the kubechat REST API (docs/openapi.yaml), for every face: the side panel
 * sends through JupyterLab's ServerConnection (js/src/transport.ts), the notebook widgets
 * through the page's fetch (js/src/widget/page.ts). Either way the request carries what the
 * page holds: the login cookie and `X-XSRFToken` from the `_xsrf` cookie (and the token when
 * the page has one). Dangerous approvals (C4) need exactly such a browser request. No
 * JupyterLab import here, so the widgets' bundle has none either.
 */

import {
  IAskReply,
  IAuditPage,
  IExecuted,
  IDashboard,
  IDashboardWatchEvent,
  IHealth,
  IInvestigation,
  IProposal,
  IVerifyReport,
  IWaitingList
} from './model';

/** A JSON error reply of the API: `{message, reason}` with its HTTP status. */
export class KubechatApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string | null,
    message: string
  ) {
    super(message);
    this.name = 'KubechatApiError';
  }
}

export interface IAuditQuery {
  after?: number;
  limit?: number;
  type?: string;
  user?: string;
  via?: string;
  proposal?: string;
}

/** How a request reaches the server: the page's base URL and a fetch that signs it. */
export interface ITransport {
  baseUrl: string;
  fetch: (url: string, init: RequestInit) => Promise<Response>;
}

/** `base` + `kubechat/api/` + `path`, with exactly one slash between the parts. */
export function apiUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/kubechat/api/${path.replace(/^\/+/, '')}`;
}

export class KubechatApi {
  constructor(readonly transport: ITransport) {}

  /** GET/POST `kubechat/api/<path>`; resolve with the JSON body (also for health's 503). */
  async request<T>(
    path: string,
    init: RequestInit = {},
    acceptStatus: number[] = []
  ): Promise<T> {
    const url = apiUrl(this.transport.baseUrl, path);
    let response: Response;
    try {
      response = await this.transport.fetch(url, init);
    } catch (error) {
      throw new KubechatApiError(
        0,
        'network',
        `cannot reach the Jupyter server: ${error}`
      );
    }
    const text = await response.text();
    let data: any = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = { message: text };
      }
    }
    if (!response.ok && !acceptStatus.includes(response.status)) {
      throw new KubechatApiError(
        response.status,
        data?.reason ?? null,
        data?.message || `HTTP ${response.status}`
      );
    }
    return data as T;
  }

  private post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body)
    });
  }

  health(): Promise<IHealth> {
    return this.request<IHealth>('health', {}, [503]);
  }

  /** Ask a question; `conversation` (C1) lets the server read follow-ups. */
  ask(
    question: string,
    conversation?: string,
    context?: string
  ): Promise<IAskReply> {
    const body: Record<string, string> = { question };
    if (context) {
      body.context = context;
    }
    if (conversation) {
      body.conversation = conversation;
    }
    return this.post<IAskReply>('ask', body);
  }

  /**
   * Investigate one object (`kind/name -n ns` or a why-question): safe reads, run and audited
   * by the server, then findings. Nothing it returns is proposed.
   */
  investigate(target: string, context?: string): Promise<IInvestigation> {
    return this.post<IInvestigation>(
      'investigate',
      context ? { target, context } : { target }
    );
  }

  propose(command: string, context?: string): Promise<IProposal> {
    return this.post<IProposal>(
      'propose',
      context ? { command, context } : { command }
    );
  }

  /**
   * What waits for a decision: this person's kernels' and agents' proposals (browser);
   * `forMe`: only what waits for the caller's own decision (two-person ones of their groups).
   */
  waiting(forMe = false): Promise<IWaitingList> {
    return this.request<IWaitingList>(forMe ? 'proposals?for=me' : 'proposals');
  }

  get(id: string): Promise<IProposal> {
    return this.request<IProposal>(`proposals/${id}`);
  }

  approve(id: string, confirm?: string): Promise<IProposal> {
    return this.post<IProposal>(
      `proposals/${id}/approve`,
      confirm !== undefined ? { confirm } : {}
    );
  }

  reject(id: string, reason = ''): Promise<IProposal> {
    return this.post<IProposal>(
      `proposals/${id}/reject`,
      reason ? { reason } : {}
    );
  }

  execute(id: string): Promise<IExecuted> {
    return this.post<IExecuted>(`proposals/${id}/execute`, {});
  }

  /** Stop a watch (`kubectl get -w`) the proposal started. */
  stopWatch(id: string): Promise<unknown> {
    return this.request<unknown>(`proposals/${id}/watch`, { method: 'DELETE' });
  }

  audit(query: IAuditQuery = {}): Promise<IAuditPage> {
    const params = Object.entries(query)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(
        ([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`
      )
      .join('&');
    return this.request<IAuditPage>(params ? `audit?${params}` : 'audit');
  }

  /** One refresh of the dashboard (its safe reads, one audit event) on `context`. */
  dashboard(context?: string): Promise<IDashboard> {
    return this.request<IDashboard>(
      context ? `dashboard?context=${encodeURIComponent(context)}` : 'dashboard'
    );
  }

  /**
   * Follow the dashboard live (`GET dashboard/watch`, NDJSON): `onEvent` gets each line as it
   * comes. Resolves when the stream ends or `signal` aborts it; rejects with a
   * {@link KubechatApiError} when the server refuses it (429: the watch quotas are full) or
   * the connection drops (status 0).
   */
  async dashboardWatch(
    onEvent: (event: IDashboardWatchEvent) => void,
    context?: string,
    signal?: AbortSignal
  ): Promise<void> {
    const path = context
      ? `dashboard/watch?context=${encodeURIComponent(context)}`
      : 'dashboard/watch';
    let response: Response;
    try {
      response = await this.transport.fetch(
        apiUrl(this.transport.baseUrl, path),
        {
          signal
        }
      );
    } catch (error) {
      if (signal?.aborted) {
        return;
      }
      throw new KubechatApiError(
        0,
        'network',
        `cannot reach the Jupyter server: ${error}`
      );
    }
    if (!response.ok || !response.body) {
      let data: any = null;
      try {
        data = JSON.parse(await response.text());
      } catch {
        data = null;
      }
      throw new KubechatApiError(
        response.status,
        data?.reason ?? null,
        data?.message || `HTTP ${response.status}`
      );
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          break;
        }
        buffer += decoder.decode(value, { stream: true });
        let nl = buffer.indexOf('\n');
        while (nl >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line) {
            onEvent(JSON.parse(line) as IDashboardWatchEvent);
          }
          nl = buffer.indexOf('\n');
        }
      }
    } catch (error) {
      if (signal?.aborted) {
        return;
      }
      throw new KubechatApiError(
        0,
        'network',
        `the dashboard stream broke: ${error}`
      );
    }
  }

  verify(): Promise<IVerifyReport> {
    return this.request<IVerifyReport>('audit/verify');
  }
}
