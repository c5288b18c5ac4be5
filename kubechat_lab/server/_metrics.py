"""Prometheus metrics of the extension, in a registry of their own (not the server's global one)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """Request counts and latencies, proposal levels and decisions.

    Each instance owns its registry, so two servers in one process (tests) do not collide.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "kubechat_requests",
            "HTTP requests to kubechat routes, by route, method and status code.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "kubechat_request_seconds",
            "Latency of kubechat routes in seconds.",
            ["route"],
            registry=self.registry,
        )
        self.levels = Counter(
            "kubechat_proposals",
            "Proposals made, by safety level.",
            ["level"],
            registry=self.registry,
        )
        self.decisions = Counter(
            "kubechat_decisions",
            "Decisions taken on proposals (approved, rejected, executed, failed, refused).",
            ["decision"],
            registry=self.registry,
        )
        self.audit_failures = Counter(
            "kubechat_audit_failures",
            "Audit appends that failed (the action was refused).",
            registry=self.registry,
        )
        self.answer_cache = Counter(
            "kubechat_answer_cache",
            "LLM answer cache lookups and stores: hit, miss, store, error (treated as a miss).",
            ["outcome"],
            registry=self.registry,
        )

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Record one finished request."""
        self.requests.labels(route=route, method=method, status=str(status)).inc()
        self.latency.labels(route=route).observe(seconds)

    def render(self) -> bytes:
        """Return the Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
