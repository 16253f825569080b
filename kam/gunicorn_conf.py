"""gunicorn's settings for KAM, from the environment: `gunicorn -c python:kam.gunicorn_conf`.

`kam serve` and the systemd unit in deploy/ both use it. gthread workers: each process serves
KAM_WEB_THREADS requests at once, so a slow export or upload does not hold a whole process, and
threads share one process's memory (Polars frames, caches). docs/deployment.md says how to size.
"""

import os

wsgi_app = "kam.wsgi:application"
bind = os.environ.get("KAM_WEB_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("KAM_WEB_WORKERS", 2))
threads = int(os.environ.get("KAM_WEB_THREADS", 4))
# With gthread a long request does not trip this; it ends only a worker that stopped answering.
timeout = int(os.environ.get("KAM_WEB_TIMEOUT", 120))
graceful_timeout = 30
# Idle kept-alive connections stay open this long. gunicorn's 2 s closes a connection while a
# client (a person reading a page) is about to reuse it, and a client that does not retry sees
# "connection reset" (13 of 4,059 requests in the load test). Behind nginx it hardly matters.
keepalive = int(os.environ.get("KAM_WEB_KEEPALIVE", 75))
# No recycling of workers after N requests: a recycled gthread worker closes its clients'
# kept-alive connections, and a request already on its way meets a reset (30 of 2,836 requests
# failed so in the load test). Set KAM_WEB_MAX_REQUESTS only if memory is seen to grow.
max_requests = int(os.environ.get("KAM_WEB_MAX_REQUESTS", 0))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("KAM_WEB_ACCESS_LOG") or None  # "-" = standard output
