/**
 * The kubechat REST API through JupyterLab's ServerConnection, which sends what the page
 * holds: the login cookie, `X-XSRFToken` from the `_xsrf` cookie, and the token when the page
 * has one. Dangerous approvals (C4) need exactly such a browser request.
 */

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  IAskReply,
  IAuditPage,
  IHealth,
  IProposal,
  IVerifyReport
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

export class KubechatApi {
  constructor(
    readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  /** GET/POST `kubechat/api/<path>`; resolve with the JSON body (also for health's 503). */
  async request<T>(
    path: string,
    init: RequestInit = {},
    acceptStatus: number[] = []
  ): Promise<T> {
    const url = URLExt.join(this.settings.baseUrl, 'kubechat', 'api', path);
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, init, this.settings);
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

  propose(command: string, context?: string): Promise<IProposal> {
    return this.post<IProposal>(
      'propose',
      context ? { command, context } : { command }
    );
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

  execute(id: string): Promise<IProposal> {
    return this.post<IProposal>(`proposals/${id}/execute`, {});
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

  verify(): Promise<IVerifyReport> {
    return this.request<IVerifyReport>('audit/verify');
  }
}
