#!/usr/bin/env python3
"""The system browser of the hosted sign-in test: registered in the test's
own XDG directories as the handler of http(s) links, so the app's "open in
the browser" (tauri-plugin-opener → xdg-open) reaches it as it would reach
Firefox. It does what a browser does on mock-oidc's page, which signs its
default user in at once: follows the redirects, and hands the
`banter://auth/callback` link it ends on to the OS's handler for the
scheme — here, as in test_purchase_return.py, a second launch of the app
with the link, which the running instance receives."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
from urllib.parse import urljoin, urlsplit

MAX_HOPS = 5


def main(url: str) -> int:
    print(f"fake browser: opening {urlsplit(url).netloc}", file=sys.stderr)
    for _ in range(MAX_HOPS):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            break
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        conn.request("GET", parts.path + ("?" + parts.query if parts.query else ""))
        response = conn.getresponse()
        location = response.getheader("Location")
        if response.status not in (301, 302, 303, 307, 308) or not location:
            print(f"fake browser: {url} answered {response.status}", file=sys.stderr)
            return 1
        url = urljoin(url, location)
    if not url.startswith("banter://"):
        print(f"fake browser: ended on {url}", file=sys.stderr)
        return 1
    print("fake browser: handing the link to the app", file=sys.stderr)
    return subprocess.run([os.environ["BANTER_TEST_APP"], url], timeout=60).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
