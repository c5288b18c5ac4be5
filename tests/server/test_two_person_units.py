"""Two-person approval's server parts that need no server: groups from the setting and from
the identity provider's user (JupyterHub's user model carries ``groups``)."""

from __future__ import annotations

import pytest
from jupyter_server.auth.identity import User
from traitlets import TraitError

from kubechat_lab.server._identity import provider_groups
from kubechat_lab.server.app import KubechatApp


def test_groups_setting_is_checked() -> None:
    app = KubechatApp(groups={"sre-leads": ["bob", " carol "]})
    assert app.groups == {"sre-leads": ["bob", "carol"]}
    for bad in ({"sre-leads": "bob"}, {"sre-leads": ["bob", 3]}, {"": ["bob"]}):
        with pytest.raises(TraitError, match=r"c\.KubechatApp\.groups\["):
            KubechatApp(groups=bad)


def test_groups_from_the_identity_provider() -> None:
    hub = User(username="bob")
    hub.hub_user = {"name": "bob", "groups": ["sre-leads", "dev", "sre-leads"]}  # type: ignore[attr-defined]
    assert provider_groups(hub) == ("dev", "sre-leads")
    custom = User(username="carol")
    custom.groups = ["ops"]  # type: ignore[attr-defined]
    assert provider_groups(custom) == ("ops",)
    # jupyter_server's own users, and a request with no user, give none
    assert provider_groups(User(username="alice")) == ()
    assert provider_groups(None) == ()
