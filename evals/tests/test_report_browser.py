import pytest

from evals.report import write_html
from testing.factories import evals_report


@pytest.mark.browser
def test_it_opens_the_html_report_in_chromium_and_shows_every_plot(chromium_browser, artifacts_dir, tmp_path):
    page_path = write_html(evals_report(), tmp_path)
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(page_path.as_uri())
    assert page.locator("h1").inner_text().startswith("Evals report")
    assert page.locator("svg").count() == 4
    assert page.locator("table").first.locator("tbody tr").count() == 2
    # Self-contained: the page loads nothing but itself.
    assert requests == [page_path.as_uri()]
    bar = page.locator("svg rect").first.bounding_box()
    assert bar is not None and bar["width"] > 0
    page.screenshot(path=str(artifacts_dir / "evals-report.png"), full_page=True)
    context.close()
    assert (artifacts_dir / "evals-report.png").stat().st_size > 10_000
