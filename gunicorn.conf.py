"""gunicorn's settings for serving Cohort: `make serve`, or `gunicorn -c gunicorn.conf.py`.

Each setting can be changed from the environment: WEB_CONCURRENCY (processes; default two per
core plus one), HOST and PORT or GUNICORN_BIND, GUNICORN_TIMEOUT, GUNICORN_GRACEFUL_TIMEOUT,
FORWARDED_ALLOW_IPS (the proxies whose X-Forwarded-* headers are believed). The access log and
the application's log go to standard output and error, each line with the request id
(`X-Request-ID`).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from typing import Any

from cohort.request_ids import LOG_FORMAT, install_log_record_factory

install_log_record_factory()  # every log record, gunicorn's included, has a request_id

wsgi_app = "app:create_app()"
bind = [os.environ.get("GUNICORN_BIND")
        or f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"  # requests never wait on SMTP or rendering: the worker does those
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)  # a stuck request is killed after this
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT") or 30)  # SIGTERM: finish first
keepalive = 5
max_requests = 2000  # a process is replaced now and then, so nothing grows without bound
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
control_socket_disable = True  # no control socket in $HOME: several servers may share a machine

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
access_log_format = ('%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s '
                     '"%(a)s"')
logconfig_dict = {  # replaces gunicorn's own logging set-up (it needs both of its loggers)
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"cohort": {"format": LOG_FORMAT}, "access": {"format": "%(message)s"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "cohort",
                   "stream": "ext://sys.stderr"},
        "access": {"class": "logging.StreamHandler", "formatter": "access",
                   "stream": "ext://sys.stdout"},
    },
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        "alembic": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}


def post_worker_init(worker: Any) -> None:
    """Once a process has loaded the application, what it loaded (modules, routes, compiled
    templates, mappers: some 180,000 objects that live as long as the process) is moved out of the
    garbage collector's sight, so that its full collections, which come now and then in the
    middle of a request, no longer walk them all (over 100 ms each on a busy machine)."""
    gc.freeze()
