"""The exception tree of kubechat_lab.

Callers only ever need to catch ``KubechatError``::

    KubechatError
     ├── CommandError          a command line the grammar refuses (command/)
     │    └── CommandSyntaxError   malformed input; carries ``position``
     ├── PolicyError           the safety policy file is invalid (policy/)
     │    └── PolicyViolation      a command the policy refuses; carries ``rule_id``
     ├── TranslateError        a question could not become a command (translate/)
     ├── ClusterError          the Kubernetes API failed; carries ``status`` and ``reason``
     ├── AuditError            the audit store failed; carries ``sqlstate``
     ├── SandboxError          the local control plane failed (sandbox/)
     │    └── ComponentFailed      one process failed; carries ``component`` and ``log_path``
     └── ServiceError          the kubechat server refused or failed a kernel's request
          │                    (kernel/); carries ``status`` and ``reason``
          ├── NotConnected         no server to talk to (KUBECHAT_URL / capability missing)
          ├── ServerUnreachable    the server did not answer
          ├── CapabilityRejected   the capability is unknown, expired, revoked or lacks a scope
          └── ApprovalRequired     the command waits for an approval; carries ``proposal_id``

The kernel client raises the server's own verdicts as the matching class above: a policy
refusal as ``PolicyViolation``, a refused command line as ``CommandError``, a cluster failure as
``ClusterError``, the audit database down as ``AuditError``, a translator failure as
``TranslateError``.

Each package re-exports its own base class from its ``__init__``.
"""

from __future__ import annotations

__all__ = [
    "ApprovalRequired",
    "AuditError",
    "CapabilityRejected",
    "ClusterError",
    "CommandError",
    "CommandSyntaxError",
    "ComponentFailed",
    "KubechatError",
    "NotConnected",
    "PolicyError",
    "PolicyViolation",
    "SandboxError",
    "ServerUnreachable",
    "ServiceError",
    "TranslateError",
    "TranslateTimeoutError",
]


class KubechatError(Exception):
    """Base class of every error kubechat_lab raises on purpose."""

    def _render_traceback_(self) -> list[str]:
        """IPython shows this instead of a traceback: the message already says what to do."""
        return [f"{type(self).__name__}: {self}"]


class CommandError(KubechatError):
    """A command line that the kubectl grammar refuses; ``reason`` is a short machine id."""

    def __init__(self, message: str, *, reason: str = "invalid") -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


class CommandSyntaxError(CommandError):
    """Malformed input (bad quoting, unknown token); ``position`` is the character offset."""

    def __init__(self, message: str, *, reason: str = "syntax", position: int | None = None):
        super().__init__(message, reason=reason)
        self.position = position


class PolicyError(KubechatError):
    """The safety policy could not be loaded or is invalid."""


class PolicyViolation(PolicyError):
    """A command that the policy forbids; ``rule_id`` names the rule."""

    def __init__(self, message: str, *, rule_id: str) -> None:
        super().__init__(message)
        self.rule_id = rule_id

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


class TranslateError(KubechatError):
    """A question could not be turned into a command (provider down, no mapping)."""


class TranslateTimeoutError(TranslateError):
    """The translator's provider did not answer in time (the server answers 504, not 502)."""


class ClusterError(KubechatError):
    """The Kubernetes API refused or failed a request.

    ``status`` is the HTTP code (0 when the server could not be reached) and ``reason`` the
    Kubernetes ``Status.reason`` (``Forbidden``, ``NotFound``, ...).
    """

    def __init__(self, message: str, *, status: int = 0, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


class AuditError(KubechatError):
    """The audit store failed; nothing may run unaudited. ``sqlstate`` is PostgreSQL's code."""

    def __init__(self, message: str, *, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


class SandboxError(KubechatError):
    """The local control plane could not be built, started or stopped."""


class ComponentFailed(SandboxError):
    """One sandbox process failed; the message quotes the tail of its log."""

    def __init__(self, message: str, *, component: str, log_path: str | None = None) -> None:
        super().__init__(message)
        self.component = component
        self.log_path = log_path

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


class ServiceError(KubechatError):
    """The kubechat server refused or failed a request from a kernel or script.

    ``status`` is the HTTP code (0 when nothing answered) and ``reason`` the server's machine
    reason (``invalid-context``, ``conflict``, ...).
    """

    def __init__(self, message: str, *, status: int = 0, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


class NotConnected(ServiceError):
    """No kubechat server to talk to: the kernel was not started by one (no KUBECHAT_URL)."""


class ServerUnreachable(ServiceError):
    """The kubechat server did not answer (stopped, wrong URL, timed out)."""


class CapabilityRejected(ServiceError):
    """The capability is unknown, expired or revoked, or lacks the scope the call needs."""


class ApprovalRequired(ServiceError):
    """A proposal waits for an approval the caller cannot give; ``proposal_id`` names it."""

    def __init__(
        self, message: str, *, proposal_id: str, level: str = "", status: int = 403,
        reason: str = "approval-required",
    ) -> None:
        super().__init__(message, status=status, reason=reason)
        self.proposal_id = proposal_id
        self.level = level


def _rebuild(cls: type[KubechatError], message: str, state: dict[str, object]) -> KubechatError:
    """Recreate an exception with keyword attributes (so they survive pickling)."""
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err
