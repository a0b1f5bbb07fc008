"""`telecom-gis serve`: run the HTTP API with uvicorn."""

from __future__ import annotations

import typer

#: uvicorn's HTTP protocol for the API: TCP_NODELAY at any worker count (see api/serving.py;
#: named, not imported: gis does not import api).
HTTP_PROTOCOL = "api.serving:NoDelayH11Protocol"


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""

    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Address to listen on."),
        port: int = typer.Option(8000, help="TCP port."),
        workers: int = typer.Option(1, min=1, help="Worker processes (one per core is "
                                    "typical; PostgreSQL needs cores too)."),
        reload: bool = typer.Option(False, help="Reload on code changes (development)."),
    ) -> None:
        """Serve the API (OpenAPI docs at /docs)."""
        import uvicorn

        from gis.cli.common import console, get_engine

        get_engine()  # fail early and clearly when the database is not there
        console.print(f"serving telecom-gis on http://{host}:{port} (docs at /docs)")
        uvicorn.run("api.main:create_app", factory=True, host=host, port=port, reload=reload,
                    workers=None if reload else workers, http=HTTP_PROTOCOL)
