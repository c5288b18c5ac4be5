"""The audit tab's Verify names the first bad seq and why when the chain was tampered with.

Its own lab server and database (module scope): the tampering cannot disturb other modules.
"""

from __future__ import annotations

import psycopg
import pytest

from tests.browser.test_panel import ask, open_panel
from tests.plugins.browser import LabPage
from tests.plugins.postgres import AuditDb

pytestmark = [pytest.mark.sandbox, pytest.mark.postgres]


def test_verify_names_the_first_bad_seq(lab_page: LabPage, lab_audit_db: AuditDb) -> None:
    lab, page, server = lab_page, lab_page.page, lab_page.server
    open_panel(lab)
    for question in ("list namespaces", "list nodes"):
        ask(lab, question).locator(".jp-kubechat-result").wait_for()
    page.locator(".jp-kubechat-tab", has_text="Audit").click()
    audit = page.locator(".jp-kubechat-audit")
    audit.locator(".jp-kubechat-verify").click()
    audit.locator(".jp-kubechat-verify-result", has_text="Chain intact").wait_for()
    # What someone with the database's superuser could do: rewrite one stored event.
    records = server.api("GET", "audit")[1]["records"]
    victim = next(r["seq"] for r in records
                  if r["event"].get("command") == "kubectl get namespaces")
    with psycopg.connect(lab_audit_db.dsn, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # triggers off
        conn.execute(
            "UPDATE kubechat_audit.audit_event SET payload = convert_to(replace("
            "convert_from(payload, 'UTF8'), 'namespaces', 'secrets'), 'UTF8') WHERE seq = %s",
            [victim],
        )
    report = server.api("GET", "audit/verify")[1]
    assert report["ok"] is False and report["first_bad_seq"] == victim
    audit.locator(".jp-kubechat-verify").click()
    verdict = audit.locator(".jp-kubechat-verify-result", has_text="BROKEN")
    verdict.wait_for()
    assert verdict.inner_text() == f"Chain BROKEN at seq {victim}: {report['reason']}"
    lab.shot("verify names the first bad seq")
