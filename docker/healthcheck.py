"""Container health check: GET a health path of the web server in this container.

Usage: python docker/healthcheck.py [/healthz|/readyz]; exit status 0 when it answers 2xx.
Python, since the slim image has no curl. It sends a Host that ALLOWED_HOSTS accepts
and X-Forwarded-Proto: https, as the proxy does, so that neither a host check (400)
nor SECURE_SSL_REDIRECT (a 301 to https) stands in for the answer.
"""

import os
import sys
import urllib.request


def allowed_host() -> str:
    for host in os.environ.get("ALLOWED_HOSTS", "").split(","):
        host = host.strip().lstrip(".")
        if host and "*" not in host:
            return host
    return "localhost"


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "/healthz"
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        headers={"Host": allowed_host(), "X-Forwarded-Proto": "https"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return 0 if 200 <= response.status < 300 else 1
    except OSError as exc:  # URLError, HTTPError (4xx/5xx), timeouts
        print(f"{path}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
