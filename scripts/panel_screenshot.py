"""Take docs/images/panel.png: the KubeChat panel with a result and a pending warning card.

Usage (the sandbox running; nothing is approved, so the cluster does not change)::

    .venv/bin/python scripts/panel_screenshot.py "$(.venv/bin/kubechat sandbox kubeconfig)"
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main(kubeconfig: str) -> None:
    """Start a throw-away lab (own PostgreSQL), ask two questions, save the screenshot."""
    from playwright.sync_api import sync_playwright

    from kubechat_lab.audit import AuditStore, EmbeddedPostgres
    from tests.plugins.browser import CHROMIUM, CHROMIUM_ARGS, _stop, start_lab

    base = Path(tempfile.mkdtemp(prefix="kubechat-shot-"))
    pg = EmbeddedPostgres(base / "pg")
    pg.start()
    with AuditStore(pg.dsn) as store:
        store.migrate(app_password=pg.app_password)
    server = start_lab(base, {"kubeconfig": kubeconfig, "audit_dsn": pg.app_dsn})
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(server.lab_url())
            page.wait_for_selector(".jp-LabShell")
            page.click("[data-id='kubechat-lab-panel']")
            page.wait_for_selector("#kubechat-lab-panel")
            handles = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle")
            for i in range(handles.count()):  # widen the right sidebar
                box = handles.nth(i).bounding_box() if handles.nth(i).is_visible() else None
                if box and box["x"] > 700:
                    page.mouse.move(box["x"] + 1, 400)
                    page.mouse.down()
                    page.mouse.move(820, 400, steps=10)
                    page.mouse.up()
            for question, ready in [
                ("pods in shop sorted by restarts", ".jp-kubechat-result"),
                ("scale deployment frontend in shop to 4 replicas",
                 ".jp-kubechat-level-warning .jp-kubechat-approve"),
            ]:
                page.fill(".jp-kubechat-input", question)
                page.press(".jp-kubechat-input", "Enter")
                page.wait_for_selector(ready)
            page.locator(".jp-kubechat-turns").evaluate("el => { el.scrollTop = 0; }")
            page.screenshot(path=str(REPO / "docs" / "images" / "panel.png"))
            browser.close()
    finally:
        _stop(server.process)
        pg.stop()


if __name__ == "__main__":
    main(sys.argv[1])
