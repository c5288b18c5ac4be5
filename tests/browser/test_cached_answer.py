"""The "cached answer" mark in a real browser: the side panel's card and the ``%kubechat`` card.

Real JupyterLab (token and XSRF on) with the built labextension, the sandbox and a PostgreSQL
audit database, translating with the ``openai`` provider against the wire-level fake
(tests/plugins/llm_servers.py). The first ask reaches the fake; asking again (differing in case
only) in the side panel, then from a notebook's kernel, is answered from the LLM answer cache,
and both cards say so. Screenshots: test-artifacts/<test>/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.test_notebook_widgets import CARD, notebook, run_cell, run_first_cell
from tests.browser.test_panel import ask, open_panel
from tests.plugins.browser import LabPage, LabServer, start_lab, stop_lab
from tests.plugins.llm_servers import FakeLLMServer

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]

QUESTION = "which pods run in shop?"
CACHED = "[data-testid=kc-cached]"


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer("openai").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def lab_server(lab_kubechat_settings: dict[str, Any], fake_llm: FakeLLMServer,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """The module's lab server, translating with the openai provider (the fake)."""
    base = tmp_path_factory.mktemp("lab-cached")
    server = start_lab(base, {**lab_kubechat_settings, "llm_provider": "openai",
                              "openai_base_url": fake_llm.url, "openai_model": "kube-model",
                              "openai_api_key_env": "", "llm_timeout": 10.0})
    try:
        yield server
    finally:
        stop_lab(server)


def test_a_cached_answer_is_marked_on_the_panel_card_and_the_notebook_card(
        lab_page: LabPage, fake_llm: FakeLLMServer) -> None:
    page, server = lab_page.page, lab_page.server
    fake_llm.answer("kubectl get pods -n shop", "Lists the pods in shop.")
    # the first ask (REST, no conversation) reaches the model; its answer is cached
    code, first = server.api("POST", "ask", {"question": QUESTION})
    assert code == 200, first
    assert first["proposal"]["cached"] is False and len(fake_llm.received) == 1

    # the side panel's first turn (no previous turn), differing in case only: a hit
    open_panel(lab_page)
    card = ask(lab_page, "Which PODS run in shop").locator(".jp-kubechat-card")
    card.wait_for()
    mark = card.locator(CACHED)
    assert mark.inner_text().strip() == "· cached answer"
    assert "judged like a fresh answer" in (mark.get_attribute("title") or "")
    assert card.get_attribute("data-level") == "safe"  # judged by the policy all the same
    lab_page.shot("panel card marked cached answer")
    # a follow-up in the same conversation has another previous turn: the model is asked
    fake_llm.answer("kubectl get pods -n shop", "Lists the pods in shop again.")
    again = ask(lab_page, QUESTION).locator(".jp-kubechat-card")
    again.wait_for()
    assert again.locator(CACHED).count() == 0
    assert len(fake_llm.received) == 2

    # the notebook's %kubechat card (the widget face), the kernel's first question: a hit
    # (no "?" there: IPython would read it as a help request; the key drops it anyway)
    notebook(server.root_dir / "cached.ipynb", "%load_ext kubechat_lab",
             f"%kubechat {QUESTION.rstrip('?')}")
    lab_page.goto_lab("lab/tree/cached.ipynb?reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    run_first_cell(lab_page)
    run_cell(lab_page, 1)
    widget = page.locator(f".jp-Notebook {CARD}").first
    widget.wait_for(timeout=120_000)
    widget.locator(CACHED).wait_for(timeout=60_000)
    assert widget.locator(CACHED).inner_text().strip() == "· cached answer"
    assert len(fake_llm.received) == 2  # served from the cache: no request
    lab_page.shot("notebook card marked cached answer")
    code, asks = server.api("GET", "audit", params={"type": "ask", "limit": "50"})
    assert code == 200, asks
    assert [r["event"].get("cached") for r in asks["records"]] == [None, True, None, True]
