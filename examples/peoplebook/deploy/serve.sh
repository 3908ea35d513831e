#!/bin/sh
# One peoplebook instance on `erlen serve`, behind nginx (nginx.conf).
#
#   sh peoplebook/deploy/serve.sh [more erlen serve options]
#
# It runs erlen in the folder that holds the peoplebook package (/srv/app in
# the image, examples/ in a checkout), wherever it is called from.  The
# image's CMD runs this file and so does tests/peoplebook/
# test_peoplebook_deploy.py: the container and the test start the app the
# same way, and the test fails if this command stops working.
#
# There is no gunicorn.conf.py (there was one): `erlen serve` takes one set
# of options for granian and gunicorn and builds each server's settings
# itself, so a gunicorn config file would cover one server only and could
# contradict the options (bind, workers, forwarded_allow_ips).  Everything
# the old file set is an option below or a default of erlen serve (8190-byte
# request lines as nginx passes on, heartbeat files in /dev/shm, no control
# socket, X-Forwarded-* believed only from --forwarded-allow-ips) or of
# gunicorn (30 s worker timeout).  docs/deploy.md lists the options.
#
# Settings (environment; all optional):
#   WEB_SERVER             granian (default) or gunicorn
#   WEB_HOST, PORT         where to listen: 127.0.0.1:8000 (the image: 0.0.0.0)
#   WEB_CONCURRENCY        worker processes, default 2: scale with instances
#                          (each worker has its own database pool), not with
#                          the host's CPU count, which a container may not own
#   WEB_THREADS            threads per worker, default 2
#   ERLEN_TRUSTED_PROXIES  nginx's address, the only peer whose X-Forwarded-*
#                          headers are believed; default 127.0.0.1 (nginx on
#                          the same host)
#   WEB_MAX_REQUESTS       gunicorn only: recycle a worker after this many
#                          requests (default 5000, with 10% jitter); granian
#                          has no such limit and erlen serve refuses it there
set -eu
cd "$(dirname -- "$0")/../.."  # erlen finds --app's module from here

server=${WEB_SERVER:-granian}
if [ "$server" = gunicorn ]; then
    set -- --max-requests "${WEB_MAX_REQUESTS:-5000}" "$@"
fi

# --keep-alive 15: an idle connection from nginx stays open longer than
# nginx's own keepalive_timeout (10 s in nginx.conf), so nginx never reuses a
# connection the server is closing (gunicorn's gthread worker; granian keeps
# idle connections 30 s).  --graceful-timeout 20 stays below the stop timeout
# of whatever sends SIGTERM (compose.yaml: stop_grace_period).
exec erlen --app 'peoplebook:create_app()' serve \
    --server "$server" \
    --host "${WEB_HOST:-127.0.0.1}" \
    --port "${PORT:-8000}" \
    --workers "${WEB_CONCURRENCY:-2}" \
    --threads "${WEB_THREADS:-2}" \
    --forwarded-allow-ips "${ERLEN_TRUSTED_PROXIES:-127.0.0.1}" \
    --keep-alive 15 \
    --graceful-timeout 20 \
    --access-log \
    "$@"
