"""The fixed safe reads a dashboard refresh runs, and the notebook lines that repeat them."""

from __future__ import annotations

from kubechat_lab.dashboard._model import DashboardRead

__all__ = ["READS", "cell_source", "magic_line"]

#: Every read of a refresh, in the order they run. Each is a safe ``get`` or ``top`` of the
#: whole cluster: a refresh costs exactly these requests, whatever the tiles show.
READS: tuple[DashboardRead, ...] = (
    DashboardRead("nodes", "kubectl get nodes", "nodes"),
    DashboardRead("top-nodes", "kubectl top nodes", "node_use"),
    DashboardRead("pods", "kubectl get pods -A", "pods"),
    DashboardRead("deployments", "kubectl get deployments -A", "deployments"),
    DashboardRead("statefulsets", "kubectl get statefulsets -A", "statefulsets"),
    DashboardRead("daemonsets", "kubectl get daemonsets -A", "daemonsets"),
    DashboardRead("events", "kubectl get events -A --field-selector type=Warning", "warnings"),
)


def magic_line(command: str) -> str:
    """Return the ``%kubectl`` line that runs ``command`` (``kubectl ...``) in a notebook."""
    text = command.strip()
    if text.startswith("kubectl "):
        text = text[len("kubectl "):]
    return f"%kubectl {text}"


def cell_source(frames: tuple[tuple[str, str], ...]) -> str:
    """Return a notebook cell that reads each ``(variable, command)`` into a frame.

    The last line shows the first frame, so running the cell shows what the tile showed and
    leaves every frame in the kernel for pandas.
    """
    lines = [f"{variable} = {magic_line(command)}" for variable, command in frames]
    if frames:
        lines.append(frames[0][0])
    return "\n".join(lines)
