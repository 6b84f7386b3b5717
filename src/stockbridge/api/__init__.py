"""The JSON API under ``/api`` (FastAPI): routers, their schemas, auth and problem details."""
