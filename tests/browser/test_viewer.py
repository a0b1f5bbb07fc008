"""The field viewer in headless Chromium at a phone's size, on the demo province, with no
internet: segments drawn, a tap opens the details, a visit recorded from the checklist reaches
the database; with the network cut the visit waits in the device's queue and arrives exactly
once (even when an answer is lost), with its photo; refused records show the server's reason;
locate me, my campaign, the language switch."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.auth import Principal
from gis.choices import Role
from gis.compliance.campaigns import CampaignInput, create_campaign
from gis.compliance.rules import local_today
from tests.browser.live_data import isolated_segment
from tests.photo_samples import jpeg

INSPECTOR = "thanhtra.an"
WAIT_MS = 20_000

def open_viewer(page, login, user: str = INSPECTOR) -> str:
    """Sign in as ``user``, open /viewer and wait for the first segments to be drawn."""
    token = login(user)
    page.goto("/viewer")
    page.wait_for_function("() => window.telecomViewer && telecomViewer.ready", timeout=WAIT_MS)
    return token


def move_to(page, lon: float, lat: float, zoom: int = 18) -> None:
    """Centre the map on a point and wait for that view's segments."""
    page.evaluate("""([lat, lon, zoom]) => {
        telecomViewer.ready = false;
        telecomViewer.map.leaflet.setView([lat, lon], zoom, {animate: false});
    }""", [lat, lon, zoom])
    page.wait_for_function("() => telecomViewer.ready", timeout=WAIT_MS)


def record_state(page, key: str) -> str:
    return page.locator(f'.record[data-key="{key}"]').get_attribute("data-state")


def newest_key(page) -> str:
    page.locator(".record").first.wait_for()
    return page.locator(".record").first.get_attribute("data-key")


def fill_checklist(page, fail: str | None = None) -> list[str]:
    """Choose ``fail`` for one item (by code), pass for the rest; returns the item codes."""
    page.locator("#visit-form .item").first.wait_for()
    codes = page.locator("#visit-form .item").evaluate_all("els => els.map(e => e.dataset.code)")
    if fail:
        page.locator(f'#item-{fail} .choice-fail').click()
    page.click("#rest-pass")
    return codes


def submit_visit(page, segment_id: int) -> str:
    """Open segment ``segment_id``, pass every checklist item and save; the visit's key."""
    page.evaluate("id => telecomViewer.select(id)", segment_id)
    page.click("#record-visit")
    fill_checklist(page)
    page.click("#form-submit")
    return newest_key(page)


def photo_file(name: str = "cot-12.jpg") -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": jpeg()}


def visit_row(live_server, key: str):
    with live_server.engine.connect() as conn:
        return conn.execute(text("""
            SELECT i.id, i.segment_id, u.username, i.photos_expected, i.note, i.campaign_id,
                   i.position IS NOT NULL AS has_position,
                   (SELECT count(*) FROM photos p WHERE p.inspection_id = i.id) AS photos
              FROM inspections i JOIN users u ON u.id = i.inspector_id
             WHERE i.idempotency_key = :key"""), {"key": key}).all()


def results_of(live_server, inspection_id: int) -> dict[str, str]:
    with live_server.engine.connect() as conn:
        return dict(conn.execute(text("""
            SELECT ci.code, ir.result FROM inspection_results ir
              JOIN checklist_items ci ON ci.id = ir.item_id
             WHERE ir.inspection_id = :id"""), {"id": inspection_id}).all())


def test_viewer_draws_the_view_and_a_tapped_segment_gets_a_visit(page, login, live_server):
    """No internet: every segment crossing the view is drawn; a tap on a segment's pixel
    opens its details; the checklist for its placement is filled, a photo taken, and the visit
    with its results and photo is in the database under the inspector's name."""
    open_viewer(page, login)
    segment_id, lon, lat = isolated_segment(live_server)
    move_to(page, lon, lat)
    bounds = page.evaluate("telecomViewer.map.leaflet.getBounds().toBBoxString()")
    west, south, east, north = (float(v) for v in bounds.split(","))
    in_view = live_server.scalar(
        "SELECT array_agg(id ORDER BY id) FROM cable_segments"
        " WHERE ST_Intersects(geom, ST_MakeEnvelope(:w, :s, :e, :n, 4326))",
        w=west, s=south, e=east, n=north)
    drawn = page.evaluate("telecomViewer.map.features().map(f => f.id)")
    assert set(in_view) <= set(drawn)
    assert page.locator("#status").inner_text().endswith("đoạn cáp")

    x, y = page.evaluate("id => telecomViewer.pointOf(id)", segment_id)
    page.touchscreen.tap(x, y)
    title = page.locator("#sheet-title")
    assert title.inner_text() == f"Đoạn cáp #{segment_id}"
    route = live_server.scalar("SELECT r.code FROM cable_segments s JOIN cable_routes r"
                               " ON r.id = s.route_id WHERE s.id = :id", id=segment_id)
    page.locator("#panel-details h3", has_text="Lịch sử").wait_for()
    assert route in page.locator("#panel-details .props").inner_text()
    assert "Cáp treo" in page.locator("#panel-details .props").inner_text()

    page.click("#record-visit")
    codes = fill_checklist(page, fail="C2")
    applicable = live_server.scalar(
        "SELECT count(*) FROM checklist_items ci JOIN checklist_versions v ON v.id = ci.version_id"
        " WHERE 'overhead' = ANY(ci.placements) AND v.effective_from = (SELECT max(effective_from)"
        " FROM checklist_versions WHERE effective_from <= current_date)")
    assert len(codes) == applicable and "C2" in codes
    page.locator('#item-C2 input.item-note').fill("Thiếu biển báo độ cao")
    page.fill('textarea[name="note"]', "Cột số 12")
    page.set_input_files("#photo-input", [photo_file()])
    assert page.locator(".photo img").count() == 1
    page.click("#form-submit")

    key = newest_key(page)
    page.locator(f'.record[data-key="{key}"][data-state="sent"]').wait_for(timeout=WAIT_MS)
    page.locator(f'.record[data-key="{key}"] .photo-state[data-state="sent"]').wait_for(
        timeout=WAIT_MS)
    rows = visit_row(live_server, key)
    assert len(rows) == 1
    visit = rows[0]
    assert (visit.segment_id, visit.username, visit.photos_expected, visit.photos,
            visit.note) == (segment_id, INSPECTOR, 1, 1, "Cột số 12")
    results = results_of(live_server, visit.id)
    assert results == {code: ("fail" if code == "C2" else "pass") for code in codes}
    assert f"#{visit.id}" in page.locator(f'.record[data-key="{key}"]').inner_text()
    stored = live_server.scalar("SELECT sha256 FROM photos WHERE inspection_id = :id", id=visit.id)
    assert stored == hashlib.sha256(photo_file()["buffer"]).hexdigest()


def test_offline_visit_waits_in_the_queue_and_arrives_exactly_once(
        page, login, live_server, browser_context):
    """Offline, the viewer opens from its service worker and draws the saved segments; a visit
    is queued on the device (shown as queued, nothing in the database). Back online, its first
    answer is lost on the way back (the server recorded it): it stays queued and is sent again
    with the same Idempotency-Key, so the database holds it once, with its photo."""
    open_viewer(page, login)
    segment_id, lon, lat = isolated_segment(live_server, after=900)
    move_to(page, lon, lat)
    page.wait_for_function("() => telecomViewer.offlineReady && navigator.serviceWorker.controller",
                           timeout=WAIT_MS)
    page.wait_for_function("() => localStorage.getItem('telecom-gis-checklist') !== null")

    browser_context.set_offline(True)
    page.reload()
    page.wait_for_function("() => window.telecomViewer && telecomViewer.ready", timeout=WAIT_MS)
    assert page.locator("#status").get_attribute("data-state") == "cached"
    assert page.locator("#offline").is_visible()
    assert page.evaluate("id => telecomViewer.map.feature(id) !== null", segment_id)

    page.evaluate("id => telecomViewer.select(id)", segment_id)
    page.click("#record-visit")
    fill_checklist(page)
    page.set_input_files("#photo-input", [photo_file("offline.jpg")])
    page.click("#form-submit")
    key = newest_key(page)
    record = page.locator(f'.record[data-key="{key}"]')
    record.locator(".muted", has_text="không có mạng").wait_for(timeout=WAIT_MS)
    assert record.get_attribute("data-state") == "queued"
    assert record.locator(".state").first.inner_text() == "Chờ gửi"
    assert record.locator(".photo-state").get_attribute("data-state") == "queued"
    assert page.locator("#sync-badge").inner_text() == "2"  # the visit and its photo
    assert visit_row(live_server, key) == []

    lost = []

    def lose_the_answer(route):
        if route.request.method == "POST" and not lost:
            response = route.fetch()  # the server records the visit ...
            lost.append(response.status)
            route.abort("connectionreset")  # ... and the device never hears back
        else:
            route.continue_()

    page.route("**/inspections", lose_the_answer)
    browser_context.set_offline(False)  # the `online` event starts a sync
    for _ in range(WAIT_MS // 100):
        if lost:
            break
        page.wait_for_timeout(100)  # let the page's event loop (and the route) run
    assert lost == [201]
    page.locator(f'.record[data-key="{key}"][data-state="queued"]').wait_for(timeout=WAIT_MS)
    assert len(visit_row(live_server, key)) == 1  # recorded once, the device does not know

    page.click("#sync-now")
    page.locator(f'.record[data-key="{key}"][data-state="sent"]').wait_for(timeout=WAIT_MS)
    page.locator(f'.record[data-key="{key}"] .photo-state[data-state="sent"]').wait_for(
        timeout=WAIT_MS)
    rows = visit_row(live_server, key)
    assert len(rows) == 1
    assert (rows[0].segment_id, rows[0].photos_expected, rows[0].photos) == (segment_id, 1, 1)
    replayed = page.evaluate("""key => telecomViewer.queue.list().then(
        l => l.visits.find(v => v.key === key).replayed)""", key)
    assert replayed is True
    page.unroute("**/inspections")


def test_a_refused_visit_is_failed_with_the_problem_and_not_retried(page, login, live_server):
    """A 422 answer marks the record failed, shows the detail and the field, and the queue does
    not send it again; a 503 leaves it queued for a retry."""
    open_viewer(page, login)
    calls = []

    def refuse(route):
        calls.append(route.request.headers["idempotency-key"])
        status = 503 if len(calls) == 1 else 422
        route.fulfill(status=status, content_type="application/problem+json", json={
            "type": "https://telecom-gis.example/problems/invalid-input", "title": "Invalid",
            "status": status, "detail": "segment 1 was not active on 2026-01-01",
            "errors": [{"field": "body.visited_at", "detail": "not active then"}]})

    page.route("**/inspections", refuse)
    segment_id, lon, lat = isolated_segment(live_server)
    key = submit_visit(page, segment_id)
    page.locator(f'.record[data-key="{key}"][data-state="queued"] .problem').wait_for()
    assert "503" in page.locator(f'.record[data-key="{key}"] .problem').inner_text()
    page.click("#sync-now")
    record = page.locator(f'.record[data-key="{key}"][data-state="failed"]')
    record.wait_for(timeout=WAIT_MS)
    assert "not active on 2026-01-01" in record.inner_text()
    assert "body.visited_at" in record.locator(".fields").inner_text()
    page.evaluate("telecomViewer.queue.syncNow(true)")  # resolves when the pass is over
    assert calls == [key, key]  # the same key each time, and no third attempt
    assert record_state(page, key) == "failed"
    assert visit_row(live_server, key) == []


def test_locate_me_lists_the_nearest_segments(page, login, live_server, browser_context):
    """With the device's position on a segment, that segment is listed first; tapping the
    entry opens its details."""
    segment_id, lon, lat = isolated_segment(live_server, after=1500)
    browser_context.grant_permissions(["geolocation"])
    browser_context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 6})
    open_viewer(page, login)
    page.click("#btn-locate")
    first = page.locator("#nearest-list button").first
    first.wait_for(timeout=WAIT_MS)
    assert first.get_attribute("data-segment") == str(segment_id)
    assert first.inner_text().startswith("0 m")
    assert "±6 m" in page.locator("#panel-nearest").inner_text()
    first.click()
    assert page.locator("#sheet-title").inner_text() == f"Đoạn cáp #{segment_id}"


@pytest.fixture
def my_campaign(live_server):
    """A campaign running today, naming the inspector, over the demo commune with the fewest
    segments (committed: the module's database is dropped afterwards)."""
    with Session(live_server.engine) as session, session.begin():
        commune = session.execute(text("""
            SELECT u.code FROM admin_units u JOIN cable_segments s ON s.commune_id = u.id
             WHERE u.valid_to IS NULL AND s.lifecycle = 'active'
             GROUP BY u.code ORDER BY count(*) LIMIT 1""")).scalar_one()
        admin_id = session.execute(text("SELECT id FROM users WHERE username = 'quantri'")
                                   ).scalar_one()
        today = local_today()
        campaign = create_campaign(session, Principal(admin_id, "quantri", Role.ADMIN, None),
                                   CampaignInput(
            code=f"KT-VIEWER-{uuid.uuid4().hex[:6]}", name="Kiểm tra thử (viewer)",
            legal_basis="QĐ thử", starts_on=today - timedelta(days=1),
            ends_on=today + timedelta(days=1), communes=(commune,), inspectors=(INSPECTOR,)))
        return campaign.id


def test_my_campaign_lists_what_i_have_not_visited(page, login, live_server, my_campaign):
    """The running campaign naming me is shown with its segments not visited by me; a visit
    recorded from one of them is filed under the campaign and leaves the list."""
    open_viewer(page, login)
    page.click("#btn-campaign")
    summary = page.locator(f'#campaign-summary[data-campaign="{my_campaign}"]')
    summary.wait_for(timeout=WAIT_MS)
    token = live_server.token(INSPECTOR)
    scope = page.evaluate("""([id, token]) => fetch('/campaigns/' + id + '/segments?limit=5000',
        {headers: {Authorization: 'Bearer ' + token}}).then(r => r.json())
        .then(c => c.features.filter(f => !f.properties.visited_by_me).map(f => f.id))""",
                          [my_campaign, token])
    assert scope, "the campaign's commune has segments"
    page.locator("#campaign-todo", has_text=f"Bạn chưa kiểm tra {len(scope)} đoạn").wait_for(
        timeout=WAIT_MS)  # once the segments are loaded
    listed = page.locator("#campaign-list button").evaluate_all(
        "els => els.map(e => Number(e.dataset.segment))")
    assert set(listed) <= set(scope) and len(listed) == min(50, len(scope))

    page.locator("#campaign-list button").first.click()
    chosen = int(page.locator("#sheet-title").inner_text().split("#")[1])
    page.click("#record-visit")
    assert page.locator('select[name="campaign"]').input_value() == str(my_campaign)
    fill_checklist(page)
    page.click("#form-submit")
    key = newest_key(page)
    page.locator(f'.record[data-key="{key}"][data-state="sent"]').wait_for(timeout=WAIT_MS)
    visit = visit_row(live_server, key)[0]
    assert (visit.segment_id, visit.campaign_id) == (chosen, my_campaign)
    page.click("#btn-campaign")
    page.locator("#campaign-todo", has_text=f"Bạn chưa kiểm tra {len(scope) - 1} đoạn").wait_for(
        timeout=WAIT_MS)


def test_language_switch_changes_the_texts_and_is_kept(page, login):
    """Vietnamese by default; the switch turns the bar, the panels and the legend to English,
    and the choice survives a reload."""
    open_viewer(page, login)
    assert page.locator("#btn-locate").inner_text().strip() == "◎ Vị trí"
    assert page.locator("#colour-compliance").inner_text() == "Tuân thủ"
    page.click("#lang-toggle")
    assert page.locator("#btn-locate").inner_text().strip() == "◎ Locate me"
    assert page.locator("#colour-compliance").inner_text() == "Compliance"
    assert "Compliant" in page.locator(".legend").inner_text()
    assert page.evaluate("document.documentElement.lang") == "en"
    page.click("#btn-sync")
    assert page.locator("#sheet-title").inner_text() == "Sync"
    assert page.locator("#sync-now").inner_text() == "Sync now"
    page.reload()
    page.wait_for_function("() => window.telecomViewer && telecomViewer.ready", timeout=WAIT_MS)
    assert page.locator("#btn-campaign").inner_text() == "Campaign"
    page.click("#lang-toggle")
    assert page.locator("#btn-campaign").inner_text() == "Chiến dịch"


# ---------------------------------------------------------------- a shared device, lost answers

def sign_in(page, live_server, username: str) -> str:
    """Sign in through the login page (which keeps the token and whose it is) and land on the
    viewer with its segments drawn; returns the token."""
    token = live_server.token(username)
    page.goto("/login?next=/viewer")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/viewer")
    page.wait_for_function("() => window.telecomViewer && telecomViewer.ready", timeout=WAIT_MS)
    return token


def record_offline(page, live_server, browser_context, after: int) -> str:
    """With the network cut, record a visit of an isolated segment; returns its key once the
    queue has tried and found no network."""
    segment_id, lon, lat = isolated_segment(live_server, after=after)
    move_to(page, lon, lat)
    page.wait_for_function("() => localStorage.getItem('telecom-gis-checklist') !== null")
    browser_context.set_offline(True)
    key = submit_visit(page, segment_id)
    page.locator(f'.record[data-key="{key}"] .muted', has_text="không có mạng").wait_for(
        timeout=WAIT_MS)
    return key


def test_a_visit_recorded_on_a_shared_device_is_sent_only_under_its_inspector(
        page, live_server, browser_context):
    """An inspector records a visit offline and another signs in on the same phone: the visit
    is not sent with the other's token (the server would file it under them), it waits, shown
    as the first inspector's, and goes once, under their name, when they sign in again."""
    sign_in(page, live_server, INSPECTOR)
    key = record_offline(page, live_server, browser_context, after=1200)

    page.route("**/inspections", lambda route: route.abort("internetdisconnected"))
    browser_context.set_offline(False)
    page.goto("/login?next=/viewer")
    page.fill("#token", live_server.token("thanhtra.binh"))
    page.unroute("**/inspections")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/viewer")
    page.wait_for_function("() => window.telecomViewer && telecomViewer.ready", timeout=WAIT_MS)
    page.evaluate("telecomViewer.queue.syncNow(true)")  # resolves when the pass is over
    assert visit_row(live_server, key) == []
    page.click("#btn-sync")
    record = page.locator(f'.record[data-key="{key}"]')
    assert record.get_attribute("data-state") == "queued"
    assert record.get_attribute("data-owner") == INSPECTOR
    assert f"Ghi bởi {INSPECTOR}" in record.locator(".other-user").inner_text()

    sign_in(page, live_server, INSPECTOR)
    page.click("#btn-sync")
    page.locator(f'.record[data-key="{key}"][data-state="sent"]').wait_for(timeout=WAIT_MS)
    rows = visit_row(live_server, key)
    assert [row.username for row in rows] == [INSPECTOR]


def test_a_token_that_expires_while_visits_wait_asks_for_a_new_sign_in(
        page, live_server, browser_context):
    """The token expires while a visit waits offline: back online nothing is sent, the sync
    panel asks to sign in again, and after signing in (a new token) the visit goes, once."""
    from gis.auth import hash_token

    token = sign_in(page, live_server, INSPECTOR)
    key = record_offline(page, live_server, browser_context, after=1300)
    with live_server.engine.begin() as conn:
        conn.execute(text("UPDATE api_tokens SET expires_at = now() - interval '1 minute'"
                          " WHERE token_sha256 = :h"), {"h": hash_token(token)})
    attempts = page.evaluate("""key => telecomViewer.queue.list().then(
        l => l.visits.find(v => v.key === key).attempts)""", key)

    browser_context.set_offline(False)  # the `online` event starts a sync
    login_link = page.locator('#panel-sync a[href^="/login"]')
    login_link.wait_for(timeout=WAIT_MS)
    assert record_state(page, key) == "queued"
    assert page.evaluate("""key => telecomViewer.queue.list().then(
        l => l.visits.find(v => v.key === key).attempts)""", key) == attempts  # none spent
    assert visit_row(live_server, key) == []

    login_link.click()
    page.wait_for_url("**/login?next=/viewer")
    page.fill("#token", live_server.token(INSPECTOR))
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/viewer")
    page.click("#btn-sync")
    page.locator(f'.record[data-key="{key}"][data-state="sent"]').wait_for(timeout=WAIT_MS)
    assert [row.username for row in visit_row(live_server, key)] == [INSPECTOR]


def test_an_answer_cut_off_after_its_status_is_sent_again_not_left_sending(
        page, login, live_server):
    """The server records the visit and its 201 arrives, but the body is cut off: the record
    goes back to the queue (not stuck 'sending'), and the retry with the same key gets the
    recorded visit back: one row."""
    open_viewer(page, login)
    cut = []

    def cut_the_body(route):
        if route.request.method == "POST" and not cut:
            response = route.fetch()
            cut.append(response.status)
            route.fulfill(status=response.status, content_type="application/json",
                          body=response.body()[:7])
        else:
            route.continue_()

    page.route("**/inspections", cut_the_body)
    segment_id, _, _ = isolated_segment(live_server, after=1400)
    key = submit_visit(page, segment_id)
    page.locator(f'.record[data-key="{key}"][data-state="queued"] .muted',
                 has_text="không có mạng").wait_for(timeout=WAIT_MS)
    assert cut == [201] and len(visit_row(live_server, key)) == 1
    page.click("#sync-now")
    page.locator(f'.record[data-key="{key}"][data-state="sent"]').wait_for(timeout=WAIT_MS)
    assert len(visit_row(live_server, key)) == 1
    page.unroute("**/inspections")


def test_a_conflict_is_failed_at_once_not_retried(page, login, live_server):
    """409 (the key already recorded another body or another user's visit) cannot get better
    with time: the record is failed with the reason after one attempt."""
    open_viewer(page, login)
    calls = []

    def conflict(route):
        calls.append(route.request.headers["idempotency-key"])
        route.fulfill(status=409, content_type="application/problem+json", json={
            "type": "https://telecom-gis.example/problems/conflict", "title": "Conflict",
            "status": 409, "detail": "this idempotency key was already used by another user",
            "errors": [{"field": "header.Idempotency-Key", "detail": "used by another user"}]})

    page.route("**/inspections", conflict)
    segment_id, _, _ = isolated_segment(live_server)
    key = submit_visit(page, segment_id)
    record = page.locator(f'.record[data-key="{key}"][data-state="failed"]')
    record.wait_for(timeout=WAIT_MS)
    assert "already used by another user" in record.inner_text()
    page.evaluate("telecomViewer.queue.syncNow(true)")
    assert calls == [key]
    page.unroute("**/inspections")


def test_cached_api_answers_are_never_given_to_another_token(page, live_server,
                                                              browser_context):
    """The service worker keeps API answers for offline use per bearer token: offline, another
    user's token (an operator's, who may not see this segment) gets nothing from that cache,
    and once the new token's answers are kept the former user's are gone from the device."""
    admin = sign_in(page, live_server, "quantri")
    page.wait_for_function("() => telecomViewer.offlineReady && navigator.serviceWorker.controller",
                           timeout=WAIT_MS)
    viettel = live_server.scalar(
        "SELECT s.id FROM cable_segments s JOIN operators o ON o.id = s.operator_id"
        " WHERE o.code = 'VIETTEL' ORDER BY s.id LIMIT 1")
    operator = live_server.token("vnpt.baocao")
    get = """([path, token]) => fetch(path, {headers: {Authorization: 'Bearer ' + token}})
        .then(r => r.status, () => 'no network')"""
    path = f"/segments/{viettel}"
    assert page.evaluate(get, [path, admin]) == 200
    assert page.evaluate(get, [path, operator]) == 404  # row-level security
    browser_context.set_offline(True)
    page.wait_for_function(f"""() => fetch('{path}', {{headers: {{Authorization:
        'Bearer {admin}'}}}}).then(r => r.status === 200, () => false)""", timeout=WAIT_MS)
    assert page.evaluate(get, [path, operator]) == "no network"
    browser_context.set_offline(False)
    assert page.evaluate(get, ["/me", operator]) == 200  # kept for the operator's token
    browser_context.set_offline(True)
    page.wait_for_function(f"""() => fetch('{path}', {{headers: {{Authorization:
        'Bearer {admin}'}}}}).then(r => false, () => true)""", timeout=WAIT_MS)
    assert page.evaluate(get, ["/me", operator]) == 200


def test_a_campaign_too_large_to_load_says_so_and_counts_from_the_server(
        page, login, live_server, my_campaign):
    """Only the first segments of a large campaign are loaded on the phone (the cap, made
    small here): the progress is the server's count of the whole scope, and the list says how
    many of the scope were loaded rather than passing them off as all."""
    in_scope = live_server.scalar("""
        SELECT count(*) FROM cable_segments s
          JOIN campaign_communes cc ON cc.campaign_id = :id
          JOIN admin_units u ON u.id = cc.admin_unit_id
         WHERE s.lifecycle = 'active'
           AND ST_Intersects(u.geom, ST_LineInterpolatePoint(s.geom, 0.5))""", id=my_campaign)
    assert in_scope > 5
    page.add_init_script("window.telecomViewer = {campaignCap: 5};")
    open_viewer(page, login)
    page.click("#btn-campaign")
    page.locator("#campaign-summary").wait_for(timeout=WAIT_MS)  # the campaigns are loaded
    if page.locator("#campaign-select").count():  # those of the module's other tests too
        page.select_option("#campaign-select", str(my_campaign))
    page.locator(f'#campaign-summary[data-campaign="{my_campaign}"]').wait_for(timeout=WAIT_MS)
    page.locator("#campaign-list button").nth(4).wait_for(timeout=WAIT_MS)  # segments loaded
    assert page.locator("#campaign-progress").inner_text() == (
        f"0/{in_scope} đoạn đã được kiểm tra")
    assert page.locator("#campaign-todo").inner_text() == (
        f"Đã tải 5/{in_scope} đoạn của chiến dịch; trong số đó bạn chưa kiểm tra 5 đoạn")
    assert page.locator("#campaign-list button").count() == 5


def test_segments_kept_for_offline_use_are_the_signed_in_users_only(
        page, live_server, browser_context):
    """An administrator's view is kept on the phone for offline use (every operator's cable);
    when an operator's user signs in on the same phone and goes offline, the map draws only
    that operator's segments, not the ones the administrator's session kept."""
    sign_in(page, live_server, "quantri")
    page.wait_for_function("() => telecomViewer.offlineReady && navigator.serviceWorker.controller",
                           timeout=WAIT_MS)
    operators = page.evaluate("new Set(telecomViewer.map.features().map(f => f.properties"
                              ".operator)).size")
    assert operators > 1
    sign_in(page, live_server, "vnpt.baocao")
    browser_context.set_offline(True)
    page.reload()
    page.wait_for_function("() => window.telecomViewer && telecomViewer.ready", timeout=WAIT_MS)
    assert page.locator("#status").get_attribute("data-state") == "cached"
    drawn = page.evaluate("telecomViewer.map.features().map(f => f.properties.operator)")
    assert drawn and set(drawn) == {"VNPT"}
