"""Every page names the bank's icon and the browser's default /favicon.ico exists (no 404 in any
page's log)."""

from __future__ import annotations

import re

import pytest

PAGES = ["/", "/chat", "/staff", "/agent", "/analyst"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_links_icons_that_exist(client, path):
    page = client.get(path)
    assert page.status_code == 200
    icons = re.findall(r'<link rel="(?:icon|apple-touch-icon)" href="([^"]+)"', page.text)
    assert "/static/favicon.svg" in icons and "/favicon.ico" in icons
    for icon in icons:
        response = client.get(icon)
        assert response.status_code == 200, icon
        assert response.headers["content-type"].startswith("image/"), icon


def test_the_default_favicon_is_a_real_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.headers["content-type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # the ICO header
