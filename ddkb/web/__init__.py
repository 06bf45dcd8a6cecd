"""ddkb on the web: ``ddkb serve`` (a Starlette app) and ``ddkb site`` (static pages)."""
