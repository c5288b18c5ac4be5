"""Real ipykernels started through a real Jupyter server with kubechat, and a way to run cells.

A kernel here gets exactly what production kernels get (the session API, kubechat's environment
hooks: KUBECHAT_URL and KUBECHAT_CAPABILITY, no credential). ``NotebookKernel.run`` executes a
cell and collects every output message (display data, results, errors, widget state).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import (  # noqa: F401 - fixtures shared with the server tests
    Api,
    api,
    api_key_file,
    jp_server_config,
    kubechat_app,
    kubechat_settings,
)


@dataclass
class Cell:
    """What one cell produced."""

    status: str
    outputs: list[dict[str, Any]] = field(default_factory=list)
    widgets: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def error(self) -> dict[str, Any] | None:
        return next((o for o in self.outputs if o["msg_type"] == "error"), None)

    @property
    def error_text(self) -> str:
        err = self.error
        return "" if err is None else f"{err['ename']}: {err['evalue']}\n" + "\n".join(
            err["traceback"])

    @property
    def text(self) -> str:
        parts = []
        for out in self.outputs:
            data = out.get("data") or {}
            parts.append(str(data.get("text/markdown") or data.get("text/plain", "")))
            parts.append(str(out.get("text", "")))
        return "\n".join(parts)

    def widget_states(self, view: str) -> list[dict[str, Any]]:
        return [w for w in self.widgets.values() if w.get("view") == view]


class NotebookKernel:
    """A kernel of a notebook session on the test server."""

    def __init__(self, jp_serverapp: Any, kernel_id: str) -> None:
        self.kernel_id = kernel_id
        self.manager = jp_serverapp.kernel_manager.get_kernel(kernel_id)
        self.client = self.manager.client()
        self.client.start_channels()

    @property
    def env(self) -> dict[str, str]:
        return dict(self.manager._launch_args["env"])

    async def ready(self) -> None:
        await self.client.wait_for_ready(timeout=90)

    async def run(self, code: str, timeout: float = 240, cell: Cell | None = None) -> Cell:
        """Run ``code``; ``cell`` (optional) fills while it runs, for tests that watch it."""
        cell = cell if cell is not None else Cell(status="?")

        def hook(msg: dict[str, Any]) -> None:
            kind = msg["msg_type"]
            content = dict(msg["content"])
            if kind in ("comm_open", "comm_msg"):
                data = content.get("data") or {}
                state = data.get("state") or {}
                if state:
                    cell.widgets.setdefault(content["comm_id"], {}).update(state)
                return
            if kind in ("display_data", "execute_result", "error", "stream",
                        "update_display_data"):
                content["msg_type"] = kind
                cell.outputs.append(content)

        reply = await self.client.execute_interactive(code, timeout=timeout, output_hook=hook)
        cell.status = reply["content"]["status"]
        return cell

    async def value(self, expression: str) -> Any:
        cell = await self.run(f"import json as _j; print(_j.dumps({expression}, default=str))")
        assert cell.status == "ok", cell.error_text
        lines = [o["text"] for o in cell.outputs if o["msg_type"] == "stream"]
        return json.loads("".join(lines).strip().splitlines()[-1])

    def close(self) -> None:
        self.client.stop_channels()


async def start_kernel(server_api: Api, jp_serverapp: Any, name: str) -> NotebookKernel:
    body = json.dumps({"path": f"{name}.ipynb", "type": "notebook", "name": name,
                       "kernel": {"name": "python3"}})
    response = await server_api._fetch("api", "sessions", method="POST", body=body)
    assert response.code == 201
    kernel = NotebookKernel(jp_serverapp, json.loads(response.body)["kernel"]["id"])
    await kernel.ready()
    return kernel


@pytest.fixture
def kernel(jp_serverapp: Any, jp_asyncio_loop: Any, request: pytest.FixtureRequest) -> Any:
    """A notebook kernel with ``%load_ext kubechat_lab`` done."""
    server_api = request.getfixturevalue("api")

    async def opening() -> NotebookKernel:
        opened = await start_kernel(server_api, jp_serverapp, request.node.name[:40])
        cell = await opened.run("%load_ext kubechat_lab")
        assert cell.status == "ok", cell.error_text
        return opened

    opened = jp_asyncio_loop.run_until_complete(opening())
    yield opened
    opened.close()


async def in_thread(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a blocking call (the sync kernel client) off the server's event loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)


def token_of(kernel: NotebookKernel) -> str:
    return kernel.env["KUBECHAT_CAPABILITY"]


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data))
