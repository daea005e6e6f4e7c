"""`app` for any WSGI server, e.g. `gunicorn -k gevent -w 1 wsgi:app` (settings from SIM_*)."""

from simulator import create_app

app = create_app(background=True)
