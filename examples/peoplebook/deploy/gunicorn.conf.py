"""gunicorn settings for peoplebook: ``gunicorn -c deploy/gunicorn.conf.py``.

Run from the folder that contains the ``peoplebook`` package.  Each setting
can be moved by an environment variable, so the container and a plain host
share this file.  (``erlen serve`` may take this job later.)
"""

import multiprocessing
import os

wsgi_app = "peoplebook:create_app()"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(
    os.environ.get("GUNICORN_WORKERS", min(multiprocessing.cpu_count() * 2 + 1, 8))
)
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# A worker stuck longer than this is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# nginx keeps upstream connections open (keepalive in the site file).
keepalive = 15
# Heartbeat files on tmpfs: a slow disk cannot make workers look dead.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
# Header limits below nginx's, so a request nginx accepts is never cut here.
limit_request_line = 8190
limit_request_fields = 100

# The X-Forwarded-* headers are erlen's job (ProxyFix, see nginx.conf): it
# trusts them only from ERLEN_TRUSTED_PROXIES.  gunicorn must not rewrite
# the scheme on its own.
secure_scheme_headers: dict[str, str] = {}
os.environ.setdefault("ERLEN_TRUSTED_PROXIES", "127.0.0.1,::1")
# gunicorn's control socket (newer releases) has one default path per user:
# several instances on one host would fight over it.
control_socket_disable = True
