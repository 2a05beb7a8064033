"""The admin insights page and its CSV export: the same figures, one as tables and charts, one as rows."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from helpdesk.tenancy import admin_only, visible_sites
from insights.charts import insight_charts
from insights.forms import InsightsForm
from insights.selectors import insight_figures, insights_report, summary_figures


def admins_only(view):
    """Admins alone (helpdesk.tenancy.admin_only), and only to read."""
    return admin_only(require_GET(view))


def _report(request: HttpRequest) -> tuple[InsightsForm, dict | None]:
    form = InsightsForm(request.GET, sites=visible_sites(request.user))
    if not form.is_valid():
        return form, None
    return form, insights_report(
        viewer=request.user, site=form.cleaned_data["site"], period=form.cleaned_data["period"]
    )


@admins_only
def insights(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    if report is None:
        return render(request, "insights/insights.html", {"form": form}, status=400)
    sections: dict[str, list] = {}
    for figure in summary_figures(report):
        sections.setdefault(figure.section, []).append(figure)
    context = {
        "form": form,
        "report": report,
        "sections": sections,
        # The SVG is built from numbers and escaped labels only (insights.charts).
        "charts": [mark_safe(chart) for chart in insight_charts(report)],  # noqa: S308
        "csv_query": request.GET.urlencode(),
    }
    return render(request, "insights/insights.html", context)


@admins_only
def insights_csv(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    if report is None:
        sentences = " ".join(error for errors in form.errors.values() for error in errors)
        return HttpResponse(sentences, status=400, content_type="text/plain; charset=utf-8")
    period = report["period"]
    scope = report["site"].slug if report["site"] else "all-sites"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="insights-{scope}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(["site", "start", "end", "section", "figure", "value", "unit"])
    for figure in insight_figures(report):
        writer.writerow(
            [
                scope,
                f"{period.start:%Y-%m-%d}",
                f"{period.end:%Y-%m-%d}",
                figure.section,
                figure.name,
                figure.csv_value,
                figure.unit,
            ]
        )
    return response
