"""A local embedding explorer in the browser: search, neighbours, analogies and projections.

``create_app(kv)`` builds the ASGI app; ``serve(app, host, port)`` runs it with uvicorn;
``running(app)`` runs it on a free loopback port in a background thread (tests, scripts).
Needs ``pip install 'wordvec[web]'``. ``import wordvec`` does not import this package.
"""

from wordvec.web.app import ApiError, Explorer, create_app
from wordvec.web.server import running, serve

__all__ = ["ApiError", "Explorer", "create_app", "running", "serve"]
