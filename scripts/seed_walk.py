"""Walk through the seed guide ("Social Support - How to use the tool") in a real browser, as
each role, against a running desk, and report every step that errors.

    make demo                       # in one terminal
    .venv/bin/python scripts/seed_walk.py --base http://127.0.0.1:8000 --x-sim http://127.0.0.1:8701

Each step of the guide is done the way a volunteer does it (clicks and typing, at a phone's width
and a desktop's). A step fails when the page answers 5xx, the browser reports a JavaScript error,
the expected result is not on the page, or the step takes longer than the timeout. Customer traffic
comes from the demo's simulators; the walk adds a few tweets of its own to the X simulator
(a search find without @mention, Arabic text, a tweet to @Firefox that waits for a moderator).
Screenshots of each step go to --out. Exit status: 0 when every step passed.
"""

import argparse
import json
import sys
import time
import traceback
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from socialdesk.demo.logins import DEMO_USERS  # noqa: E402

PASSWORDS = {user: password for user, password, *_ in DEMO_USERS}
WIDTHS = {"phone": (390, 844), "desktop": (1366, 900)}


def post_json(url: str, body: dict) -> dict:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"{}")


class Walk:
    def __init__(self, browser, base: str, out: Path):
        self.browser, self.base, self.out = browser, base.rstrip("/"), out
        self.results: list[tuple[str, str, str]] = []
        self.problems: list[str] = []

    def session(self, role: str, width: str):
        w, h = WIDTHS[width]
        context = self.browser.new_context(viewport={"width": w, "height": h})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda exc: self.problems.append(f"JavaScript error: {exc}"))
        page.on(
            "response",
            lambda r: (
                r.status >= 500
                and self.problems.append(f"{r.status} from {r.request.method} {r.url}")
            ),
        )
        page.goto(f"{self.base}/login/")
        page.fill("input[name=username]", role)
        page.fill("input[name=password]", PASSWORDS[role])
        page.click("button:has-text('Sign in')")
        page.wait_for_url(f"{self.base}/")
        return page

    def step(self, role: str, name: str, page, fn):
        self.problems = []
        try:
            fn(page)
            if self.problems:
                raise AssertionError("; ".join(self.problems))
            outcome, detail = "ok", ""
        except Exception as exc:  # noqa: BLE001 - every failure is reported, the walk goes on
            outcome, detail = "FAILED", f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            traceback.print_exc(limit=2)
        shot = (
            self.out
            / f"{role}-{len(self.results):02d}-{name.replace(' ', '-').replace('/', '-')[:40]}.png"
        )
        try:
            page.screenshot(path=str(shot), full_page=False)
        except Exception:  # noqa: BLE001
            pass
        overflow = page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth")
        if overflow and outcome == "ok":
            outcome, detail = "FAILED", "the page scrolls sideways"
        self.results.append((role, name, outcome + (f": {detail}" if detail else "")))
        print(f"{outcome:6} {role:11} {name}{(' — ' + detail) if detail else ''}", flush=True)


def unfold(page, selector: str) -> None:
    """Open a disclosure the phone layout folds (the filter panel, bulk actions, the options)."""
    details = page.locator(selector).first
    if details.count() and details.get_attribute("open") is None:
        details.locator("summary").first.click()


def flash(page, kind="success"):
    page.wait_for_selector(f".flash.{kind}")
    return page.locator(f".flash.{kind}").first.inner_text()


def walk(args) -> int:
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.x_sim:
        sim = args.x_sim.rstrip("/")
        post_json(
            f"{sim}/_sim/customer_tweets",
            {
                "text": "firefox keeps freezing when I open a second window",
                "author": {"username": "walk_search"},
            },
        )
        post_json(
            f"{sim}/_sim/customer_tweets",
            {
                "text": "@FirefoxSupport لا يمكنني مزامنة الإشارات المرجعية",
                "author": {"username": "walk_arabic", "name": "سارة"},
                "lang": "ar",
            },
        )
        post_json(
            f"{sim}/_sim/customer_tweets",
            {
                "text": "@Firefox the new tab page is broken since the update",
                "author": {"username": "walk_raw"},
            },
        )
        post_json(
            f"{sim}/_sim/customer_tweets",
            {
                "text": "@FirefoxSupport my bookmarks toolbar vanished, how do I get it back?",
                "author": {"username": "walk_lena", "name": "Lena"},
            },
        )
        post_json(
            f"{sim}/_sim/customer_tweets",
            {
                "text": "@FirefoxSupport Firefox is the best browser! You're a champ",
                "author": {"username": "walk_fan", "followers_count": 250000},
            },
        )
        time.sleep(args.settle)

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=args.chromium,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        w = Walk(browser, args.base, out)
        base = w.base

        # --- Moderator: triage the unmoderated conversations so they reach the contributors.
        for width in ("desktop", "phone"):
            page = w.session("moderator", width)

            def search_find(pg):
                pg.goto(f"{base}/queues/twitter-all/")
                unfold(pg, "aside.filters details")
                pg.wait_for_selector("text=No account (search)")

            w.step(
                "moderator",
                f"{width}: Twitter - All lists a search find beside mentions",
                page,
                search_find,
            )
            w.step(
                "moderator",
                f"{width}: Priority moderation opens",
                page,
                lambda pg: pg.goto(f"{base}/queues/priority-moderation-google-play/"),
            )

            def moderate_in_play(pg):
                pg.goto(f"{base}/")
                pg.click("button[aria-label='Play Twitter - All']")
                pg.wait_for_url(f"{base}/play/")
                first = pg.locator("#composer").get_attribute("data-conversation")
                unfold(pg, "details.options-disclosure")
                if pg.locator("button:has-text('Mark moderated')").count():
                    pg.click("button:has-text('Mark moderated')")
                    pg.wait_for_url(f"{base}/play/")
                    now = (
                        pg.locator("#composer").get_attribute("data-conversation")
                        if pg.locator("#composer").count()
                        else None
                    )
                    assert now != first, (
                        "Mark moderated in Play did not deal the next conversation"
                    )

            w.step(
                "moderator",
                f"{width}: Play, mark moderated, the next one is dealt",
                page,
                moderate_in_play,
            )

            def skip_through(pg):
                # A skipped conversation stays skipped for the session: no id may come twice.
                dealt = []
                for _ in range(8):
                    if not pg.locator("#composer").count():
                        break
                    dealt.append(pg.locator("#composer").get_attribute("data-conversation"))
                    pg.click(".playbar button:has-text('Skip')")
                    pg.wait_for_url(f"{base}/play/")
                assert len(dealt) == len(set(dealt)), f"dealt again after a skip: {dealt}"

            w.step("moderator", f"{width}: Skip goes through the queue", page, skip_through)
            w.step(
                "moderator",
                f"{width}: Stop",
                page,
                lambda pg: (
                    pg.goto(f"{base}/"),
                    pg.locator("form[action='/play/stop'] button").first.click()
                    if pg.locator("form[action='/play/stop'] button").count()
                    else None,
                ),
            )

            def bulk_moderate(pg):
                pg.goto(f"{base}/queues/twitter-all/")
                boxes = pg.locator("input[name=ids]")
                unfold(pg, "details.bulk")
                if boxes.count():
                    boxes.first.check()
                    pg.click("button[name=action][value=moderate]")
                    flash(pg)

            w.step("moderator", f"{width}: bulk mark moderated", page, bulk_moderate)
            page.context.close()

        # --- Contributor: the whole Play Mode loop of the guide.
        for width in ("desktop", "phone"):
            page = w.session("contributor", width)
            w.step(
                "contributor",
                f"{width}: sees Moderated and Escalation queues",
                page,
                lambda pg: (
                    pg.wait_for_selector("text=Twitter conversations - Moderated"),
                    pg.wait_for_selector("text=Escalation"),
                ),
            )

            def filters(pg, width=width):
                pg.goto(f"{base}/queues/twitter-conversations-moderated/")
                if (
                    pg.locator("details.filters summary, .filters summary").count()
                    and width == "phone"
                ):
                    pg.locator(".filters summary, details.filters summary").first.click()
                pg.goto(f"{base}/queues/twitter-conversations-moderated/?type=private_message")
                pg.goto(
                    f"{base}/queues/twitter-conversations-moderated/?type=support_request&status=open"
                )
                pg.goto(
                    f"{base}/queues/twitter-conversations-moderated/?platform=twitter&account=FirefoxSupport"
                )

            w.step(
                "contributor",
                f"{width}: filter by tag, type (private message), channel",
                page,
                filters,
            )

            def play(pg):
                pg.goto(f"{base}/")
                pg.click("button[aria-label='Play Twitter conversations - Moderated']")
                pg.wait_for_url(f"{base}/play/")
                pg.wait_for_selector("#composer")

            w.step("contributor", f"{width}: Play deals a conversation", page, play)

            def options(pg, width=width):
                if width == "phone":
                    pg.locator(".options-disclosure > summary").click()
                pg.locator("form[action$='/sentiment'] button").first.click()
                flash(pg)
                if width == "phone":
                    pg.locator(".options-disclosure > summary").click()
                pg.fill("#tag-input", "Bookmarks")
                pg.click("form[action$='/tag'] button:has-text('Add')")
                flash(pg)
                if width == "phone":
                    pg.locator(".options-disclosure > summary").click()
                pg.fill("input[name=due_at]", "2099-01-01T09:00")
                pg.fill(
                    "input[name=note][aria-label='Reminder note']",
                    "check the answer with the team",
                )
                pg.click("button:has-text('Remind me')")
                flash(pg)
                pg.fill(".note-form textarea", "Asked on the forum for the right steps.")
                pg.click(".note-form button")
                flash(pg)
                pg.click("form.user-tags button[value=community_member]")
                flash(pg)
                pg.click("form.user-tags button[value=community_member]")  # and off again
                flash(pg)

            w.step(
                "contributor",
                f"{width}: options: sentiment, tag, reminder, internal note, user tag",
                page,
                options,
            )

            def composer(pg):
                assert pg.locator("#dm-button").count() == 0, (
                    "the guide says no DM: the button must not be there"
                )
                picker = pg.locator("#clipping-picker")
                if picker.locator("option").count() > 1:
                    picker.select_option(index=1)
                    assert pg.locator("#composer textarea[name=text]").input_value().strip()
                pg.fill("#composer textarea[name=text]", "")
                pg.click(".emoji-btn[title='red heart']")
                assert "\u2764\ufe0f" in pg.locator("#composer textarea[name=text]").input_value()
                pg.fill(
                    "#composer textarea[name=text]",
                    "Hi! You can get it back in View > Toolbars > Bookmarks Toolbar.",
                )
                assert "/ 280" in pg.locator("#char-count").inner_text()
                pg.click("#composer .reply-buttons button[value=close]")
                assert pg.locator("#close-ask").is_visible(), (
                    "Reply + Close did not ask for the reason"
                )
                pg.select_option("#id_close_reason", "resolved")
                pg.click("#close-ask button:has-text('Reply and close')")
                pg.wait_for_url(f"{base}/play/")
                flash(pg)

            w.step(
                "contributor",
                f"{width}: clipping, emoji, Reply + Close asks the reason",
                page,
                composer,
            )

            def like_and_escalate(pg, width=width):
                if not pg.locator("#composer").count():
                    return
                like = pg.locator("button:has-text('Like')")
                if like.count():
                    like.first.click()
                    flash(pg)
                if width == "phone":
                    pg.locator(".options-disclosure > summary").click()
                pg.click("#escalate summary")
                pg.fill(
                    "#escalate-note",
                    "Several people report this crash; I suggested a new profile.",
                )
                pg.check("input[name=recommend_retweet]")
                pg.click("#escalate button:has-text('Escalate')")
                flash(pg)

            w.step(
                "contributor",
                f"{width}: like, escalate with a retweet recommendation",
                page,
                like_and_escalate,
            )
            w.step(
                "contributor",
                f"{width}: Stop",
                page,
                lambda pg: (
                    pg.goto(f"{base}/"),
                    pg.locator("form[action='/play/stop'] button").first.click()
                    if pg.locator("form[action='/play/stop'] button").count()
                    else None,
                ),
            )

            def signatures(pg, width=width):
                pg.goto(f"{base}/settings/")
                pg.fill("#id_signature", f"— walk {width}")
                pg.click("button:has-text('Add signature')")
                flash(pg)

            w.step("contributor", f"{width}: My Signatures: add one", page, signatures)
            w.step(
                "contributor",
                f"{width}: the moderators' queue is not found",
                page,
                lambda pg: (
                    pg.goto(f"{base}/queues/twitter-all/").status == 404
                    or (_ for _ in ()).throw(
                        AssertionError("Twitter - All is open to contributors")
                    )
                ),
            )
            w.step(
                "contributor",
                f"{width}: Sign out",
                page,
                lambda pg: (
                    pg.click("button:has-text('Sign out')"),
                    pg.wait_for_url(f"{base}/login/"),
                ),
            )
            page.context.close()

        # --- Community manager: escalations, retweets, queues, filters.
        for width in ("desktop", "phone"):
            page = w.session("cm", width)

            def escalation_play(pg):
                pg.goto(f"{base}/")
                pg.click("button[aria-label='Play Escalation']")
                pg.wait_for_url(f"{base}/play/")
                if pg.locator("button:has-text('Retweet from')").count():
                    pg.click("button[name=approve][value='0']")
                    flash(pg)

            w.step(
                "cm",
                f"{width}: Escalation Play; decide a retweet recommendation",
                page,
                escalation_play,
            )
            w.step(
                "cm",
                f"{width}: Stop",
                page,
                lambda pg: (
                    pg.goto(f"{base}/"),
                    pg.locator("form[action='/play/stop'] button").first.click()
                    if pg.locator("form[action='/play/stop'] button").count()
                    else None,
                ),
            )
            w.step(
                "cm",
                f"{width}: Edit queues",
                page,
                lambda pg: (pg.goto(f"{base}/manage/queues/"), pg.wait_for_selector("text=1–2★")),
            )

            def save_play_queue(pg):
                pg.goto(f"{base}/manage/queues/")
                pg.click("a:has-text('Google Play - Low rating')")
                pg.click("button:has-text('Save')")
                flash(pg)
                pg.wait_for_selector("text=1–2★")

            w.step(
                "cm",
                f"{width}: save a Google Play queue unchanged keeps its stars",
                page,
                save_play_queue,
            )
            w.step(
                "cm",
                f"{width}: ingestion filters",
                page,
                lambda pg: pg.goto(f"{base}/manage/filters/"),
            )
            w.step(
                "cm",
                f"{width}: set-aside messages",
                page,
                lambda pg: pg.goto(f"{base}/manage/set-aside/"),
            )
            w.step("cm", f"{width}: approvals", page, lambda pg: pg.goto(f"{base}/approvals/"))
            w.step("cm", f"{width}: tag rules", page, lambda pg: pg.goto(f"{base}/triage/rules/"))

            def bad_regex(pg):
                pg.goto(f"{base}/triage/rules/")
                if pg.locator("input[name=regex], textarea[name=regex]").count():
                    pg.locator("input[name=regex], textarea[name=regex]").first.fill("(a)\\1")
                    pg.locator("button:has-text('Preview')").first.click()
                    pg.wait_for_selector("text=not supported")

            w.step("cm", f"{width}: a pattern RE2 refuses gets a clear error", page, bad_regex)
            page.context.close()

        # --- Admin: connectors' health.
        page = w.session("admin", "desktop")
        w.step("admin", "desktop: health page", page, lambda pg: pg.goto(f"{base}/manage/health/"))
        w.step("admin", "desktop: Django admin", page, lambda pg: pg.goto(f"{base}/admin/"))
        page.context.close()
        browser.close()

    failed = [r for r in w.results if not r[2].startswith("ok")]
    print(
        f"\n{len(w.results) - len(failed)} of {len(w.results)} steps passed; screenshots in {out}"
    )
    return 1 if failed else 0


def main() -> int:
    import shutil

    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--base", default="http://127.0.0.1:8000")
    p.add_argument(
        "--x-sim",
        default="http://127.0.0.1:8701",
        help="the X simulator, to post the walk's own tweets ('' for none)",
    )
    p.add_argument("--out", default=str(ROOT / "test-artifacts" / "seed-walk"))
    p.add_argument(
        "--settle",
        type=float,
        default=20,
        help="seconds to wait for the walk's tweets to be polled",
    )
    p.add_argument(
        "--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser")
    )
    return walk(p.parse_args())


if __name__ == "__main__":
    raise SystemExit(main())
