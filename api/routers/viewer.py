"""The field inspectors' viewer: the page at ``/viewer`` and its service worker. What the page
shows comes from the JSON API (segments, checklists, campaigns, inspections); the page and the
worker are built in :mod:`maps.viewer_page`."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from api.deps import PagePrincipalDep, SettingsDep
from maps.pages import render_page
from maps.viewer_page import SERVICE_WORKER_PATH, VIEWER_PATH, service_worker_js, viewer_context

router = APIRouter(tags=["pages"])


@router.get(VIEWER_PATH, response_class=HTMLResponse, include_in_schema=False)
def viewer(principal: PagePrincipalDep, settings: SettingsDep) -> HTMLResponse:
    """The viewer page (Vietnamese by default, English switch); without a session, a redirect
    to the login page."""
    context = viewer_context(settings, username=principal.username, role=principal.role.value)
    return HTMLResponse(render_page("viewer.html", **context),
                        headers={"Cache-Control": "no-cache"})


@router.get(SERVICE_WORKER_PATH, include_in_schema=False)
def service_worker() -> Response:
    """The viewer's service worker, allowed to control ``/viewer`` (it holds no data: no
    session needed). ``no-cache`` so that browsers see a new version at once."""
    return Response(service_worker_js(), media_type="text/javascript", headers={
        "Service-Worker-Allowed": VIEWER_PATH,
        "Cache-Control": "no-cache",
    })
