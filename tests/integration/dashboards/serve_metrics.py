#!/usr/bin/env python3
"""Serves one file as a Prometheus scrape target: GET /metrics answers the
file's current content as text exposition 0.0.4; anything else is 404. It
stands in for kube-state-metrics in dashboards_prometheus.sh (standard
library only).

    serve_metrics.py PORT FILE"""

import http.server
import sys


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    port, path = int(sys.argv[1]), sys.argv[2]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?", 1)[0] != "/metrics":
                self.send_error(404)
                return
            with open(path, "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
