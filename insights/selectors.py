"""Reads of the admin insights page: what happened on one site (or every site) over a date range.

Every figure is one aggregate query in PostgreSQL (counts, medians and 90th percentiles with FILTER),
never a Python loop over rows, so the page costs the same number of queries on a year of data as on a
day. The sites come from helpdesk.tenancy for the viewer, narrowed to the chosen site: another site's
rows are never in a query. Definitions of every figure: docs/insights.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.urls import reverse
from django.utils import timezone

from chat.models import Conversation, Message, MessageFeedback
from helpdesk.models import Site, User
from helpdesk.tenancy import visible_sites
from knowledge.models import Article, ArticleDraft
from tickets.models import Priority, Review, Ticket, TicketEvent
from tickets.selectors import overdue_q

# A rating of 4 or 5 out of 5 counts as satisfied: the usual CSAT definition (docs/insights.md).
SATISFIED_RATING = 4
TOP_CLUSTERS = 10
OFF_TOPIC_EXAMPLES = 10
# Chart buckets: a day each up to two months, a week each up to two years, else a month each.
DAILY_UP_TO_DAYS = 62
WEEKLY_UP_TO_DAYS = 730


@dataclass(frozen=True)
class Period:
    """A date range, both ends included, in the server's time zone (TIME_ZONE)."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def bucket(self) -> str:
        if self.days <= DAILY_UP_TO_DAYS:
            return "day"
        return "week" if self.days <= WEEKLY_UP_TO_DAYS else "month"

    def within(self, field_name: str, prefix: str = "") -> Q:
        return Q(**{f"{prefix}{field_name}__gte": self.since, f"{prefix}{field_name}__lt": self.until})


class Percentile(Aggregate):
    """PostgreSQL's PERCENTILE_CONT(fraction) WITHIN GROUP (ORDER BY expression): a median in SQL."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _minutes_between(later: str, earlier: str) -> Func:
    elapsed = ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())
    return Func(elapsed, template="EXTRACT(EPOCH FROM %(expressions)s) / 60.0", output_field=FloatField())


def insight_sites(*, viewer: User, site: Site | None) -> QuerySet[Site]:
    """The sites the figures cover: the chosen one, or every site the viewer may see."""
    sites = visible_sites(viewer)
    return sites.filter(pk=site.pk) if site is not None else sites


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _sla_counts(period: Period, now: datetime) -> dict[str, Count]:
    """First responses of tickets opened in the range and resolutions of tickets resolved in it, within
    their due times or breached (no first response by a due time already past is a breach too)."""
    opened, resolved = period.within("created_at"), period.within("resolved_at")
    return {
        "response_within": Count("pk", filter=opened & Q(first_responded_at__lte=F("first_response_due_at"))),
        "response_breached": Count(
            "pk",
            filter=opened
            & (
                Q(first_responded_at__gt=F("first_response_due_at"))
                | Q(first_responded_at__isnull=True, first_response_due_at__lt=now)
            ),
        ),
        "resolution_within": Count("pk", filter=resolved & Q(resolved_at__lte=F("resolution_due_at"))),
        "resolution_breached": Count("pk", filter=resolved & Q(resolved_at__gt=F("resolution_due_at"))),
    }


def ticket_flow(*, sites: QuerySet[Site], period: Period) -> dict:
    """Tickets in (opened) and out (resolved), first response and resolution against their SLA due
    times: median and 90th percentile in minutes, within target and breached; and the open tickets
    overdue now (tickets.selectors.overdue_q, as on the admin overview)."""
    opened, resolved = period.within("created_at"), period.within("resolved_at")
    now = timezone.now()
    first_response = _minutes_between("first_responded_at", "created_at")
    resolution = _minutes_between("resolved_at", "created_at")
    responded = opened & Q(first_responded_at__isnull=False)
    return Ticket.objects.filter(site__in=sites, merged_into__isnull=True).aggregate(
        tickets_in=Count("pk", filter=opened),
        tickets_out=Count("pk", filter=resolved),
        responded=Count("pk", filter=responded),
        response_median=Percentile(first_response, 0.5, filter=responded),
        response_p90=Percentile(first_response, 0.9, filter=responded),
        resolution_median=Percentile(resolution, 0.5, filter=resolved),
        resolution_p90=Percentile(resolution, 0.9, filter=resolved),
        overdue_now=Count("pk", filter=overdue_q(now)),
        **_sla_counts(period, now),
    )


def sla_by_priority(*, sites: QuerySet[Site], period: Period) -> list[dict]:
    """Per priority (urgent first): the share of first responses and of resolutions within target, out
    of those within or breached (as ticket_flow counts them)."""
    rows = {
        row["priority"]: row
        for row in Ticket.objects.filter(site__in=sites, merged_into__isnull=True)
        .filter(period.within("created_at") | period.within("resolved_at"))
        .values("priority")
        .annotate(**_sla_counts(period, timezone.now()))
        .order_by()
    }
    order = [Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW]
    return [
        {
            "priority": priority.label,
            "response_within_share": within_share(rows[priority], "response"),
            "resolution_within_share": within_share(rows[priority], "resolution"),
        }
        for priority in order
        if priority in rows
    ]


def within_share(counts: dict, kind: str) -> float | None:
    """Within target out of within or breached (tickets without a due time count in neither)."""
    within = counts[f"{kind}_within"]
    return _share(within, within + counts[f"{kind}_breached"])


def ticket_series(*, sites: QuerySet[Site], period: Period) -> list[dict]:
    """Tickets in and out per day, week or month of the range (period.bucket), every bucket listed."""
    trunc = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}[period.bucket]
    tickets = Ticket.objects.filter(site__in=sites, merged_into__isnull=True)
    counts: dict[date, dict[str, int]] = {}
    for name, moment in (("in", "created_at"), ("out", "resolved_at")):
        for row in (
            tickets.filter(period.within(moment))
            .annotate(bucket=trunc(moment))
            .values("bucket")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            counts.setdefault(timezone.localtime(row["bucket"]).date(), {})[name] = row["n"]
    return [
        {
            "bucket": start,
            "in": counts.get(start, {}).get("in", 0),
            "out": counts.get(start, {}).get("out", 0),
        }
        for start in _bucket_starts(period)
    ]


def _bucket_starts(period: Period) -> list[date]:
    if period.bucket == "day":
        return [period.start + timedelta(days=n) for n in range(period.days)]
    if period.bucket == "week":
        first = period.start - timedelta(days=period.start.weekday())
        return [first + timedelta(weeks=n) for n in range((period.end - first).days // 7 + 1)]
    starts, month = [], period.start.replace(day=1)
    while month <= period.end:
        starts.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return starts


def csat_split(*, sites: QuerySet[Site], period: Period) -> dict:
    """Satisfaction with what the assistant solved beside what engineers solved.

    Engineers: CSAT reviews (tickets.models.Review, 1-5, one per resolved ticket) given in the range;
    only engineers resolve tickets (tickets.lifecycle). The assistant: the customers' helpful / not
    helpful ratings (chat.models.MessageFeedback) of its answers in the chats it solved, given in the
    range. Both as the share satisfied, so they can stand side by side."""
    engineer = Review.objects.filter(site__in=sites).filter(period.within("created_at"))
    by_engineer = engineer.aggregate(
        ratings=Count("pk"),
        average=Avg("rating"),
        satisfied=Count("pk", filter=Q(rating__gte=SATISFIED_RATING)),
    )
    by_assistant = (
        MessageFeedback.objects.filter(site__in=sites, message__author_kind=Message.Author.ASSISTANT)
        .filter(period.within("created_at"))
        .filter(message__conversation__outcome=Conversation.Outcome.DEFLECTED)
        .aggregate(ratings=Count("pk"), satisfied=Count("pk", filter=Q(helpful=True)))
    )
    return {
        "engineer_ratings": by_engineer["ratings"],
        "engineer_average": by_engineer["average"],
        "engineer_satisfied_share": _share(by_engineer["satisfied"], by_engineer["ratings"]),
        "assistant_ratings": by_assistant["ratings"],
        "assistant_satisfied_share": _share(by_assistant["satisfied"], by_assistant["ratings"]),
    }


def deflection(*, sites: QuerySet[Site], period: Period) -> dict:
    """Chats started in the range: solved by the assistant without a ticket vs turned into a ticket, and
    the deflection rate among those decided (the chat insights page's definition)."""
    counts = (
        Conversation.objects.filter(site__in=sites)
        .filter(period.within("created_at"))
        .aggregate(
            chats=Count("pk"),
            deflected=Count("pk", filter=Q(outcome=Conversation.Outcome.DEFLECTED)),
            escalated=Count("pk", filter=Q(outcome=Conversation.Outcome.ESCALATED)),
        )
    )
    counts["deflection_rate"] = _share(counts["deflected"], counts["deflected"] + counts["escalated"])
    return counts


def ai_triage(*, sites: QuerySet[Site], period: Period) -> dict:
    """Tickets opened in the range that AI triage categorized on its own (an ai_triage event not left for
    a human), and of those the ones whose category or priority a person later changed (an
    ai_correction event, recorded by tickets.services.ticket_update)."""
    auto = TicketEvent.objects.filter(
        ticket=OuterRef("pk"), kind=TicketEvent.Kind.AI_TRIAGE, data__needs_human=False
    )
    corrected = TicketEvent.objects.filter(
        ticket=OuterRef("pk"), kind=TicketEvent.Kind.AI_CORRECTION, field__in=["category", "priority"]
    )
    counts = (
        Ticket.objects.filter(site__in=sites, merged_into__isnull=True)
        .filter(period.within("created_at"))
        .annotate(is_auto=Exists(auto), is_corrected=Exists(corrected))
        .aggregate(
            tickets=Count("pk"),
            auto_triaged=Count("pk", filter=Q(is_auto=True)),
            corrected=Count("pk", filter=Q(is_auto=True, is_corrected=True)),
        )
    )
    counts["coverage"] = _share(counts["auto_triaged"], counts["tickets"])
    counts["correction_rate"] = _share(counts["corrected"], counts["auto_triaged"])
    return counts


@dataclass
class Cluster:
    title: str
    site: str
    cases: int
    article: str = ""
    article_url: str = ""
    state: str = ""


@dataclass
class Clusters:
    covered: list[Cluster] = field(default_factory=list)
    uncovered: list[Cluster] = field(default_factory=list)


def problem_clusters(*, sites: QuerySet[Site], period: Period, limit: int = TOP_CLUSTERS) -> Clusters:
    """The recurring problems knowledge.drafting found (each stored as an ArticleDraft: a proposal, a
    published draft or a near-duplicate flag of an existing article), ranked by how many of their tickets
    were resolved and chats closed in the range. Covered: a published article exists for it (the draft
    was published, or the cluster matched an article); uncovered: proposed or dismissed drafts."""
    drafts = (
        ArticleDraft.objects.filter(site__in=sites)
        .select_related("site", "article", "near_duplicate_of")
        .annotate(
            in_range=Count("tickets", filter=period.within("resolved_at", "tickets__"), distinct=True)
            + Count("conversations", filter=period.within("closed_at", "conversations__"), distinct=True)
        )
        .filter(in_range__gt=0)
    )
    published = Article.State.PUBLISHED
    has_article = Q(article__state=published) | Q(near_duplicate_of__state=published)
    found = Clusters()
    for covered, target in ((True, found.covered), (False, found.uncovered)):
        chosen = drafts.filter(has_article) if covered else drafts.exclude(has_article)
        for draft in chosen.order_by("-in_range", "title", "pk")[:limit]:
            article = next(
                (a for a in (draft.article, draft.near_duplicate_of) if a and a.state == published), None
            )
            target.append(
                Cluster(
                    title=draft.title,
                    site=draft.site.name,
                    cases=draft.in_range,
                    article=article.title if article else "",
                    article_url=reverse("knowledge:article_detail", args=[article.pk]) if article else "",
                    state=draft.get_state_display(),
                )
            )
    return found


def unanswered(*, sites: QuerySet[Site], period: Period, limit: int = OFF_TOPIC_EXAMPLES) -> dict:
    """What the assistant could not help with (chat records both on its answers, chat.scope): questions
    outside IT (route off_topic, with the latest few), and questions the knowledge held nothing for
    (route no_match) by the customer's detected language."""
    answers = Message.objects.filter(site__in=sites, author_kind=Message.Author.ASSISTANT).filter(
        period.within("created_at")
    )
    counts = answers.aggregate(
        answers=Count("pk"), off_topic=Count("pk", filter=Q(route=Message.Route.OFF_TOPIC))
    )
    languages = list(
        answers.filter(route=Message.Route.NO_MATCH)
        .values("language")
        .annotate(count=Count("pk"))
        .order_by("-count", "language")
    )
    examples = list(
        answers.filter(route=Message.Route.OFF_TOPIC, reply_to__isnull=False)
        .order_by("-created_at", "-pk")
        .values_list("reply_to__body", flat=True)[:limit]
    )
    return {
        **counts,
        "off_topic_examples": examples,
        "no_match_languages": [(row["language"] or "unknown", row["count"]) for row in languages],
    }


def insights_report(*, viewer: User, site: Site | None, period: Period) -> dict:
    """Every figure of the insights page (and its CSV) for one site or all the viewer's sites."""
    sites = insight_sites(viewer=viewer, site=site)
    return {
        "site": site,
        "period": period,
        "flow": ticket_flow(sites=sites, period=period),
        "sla_by_priority": sla_by_priority(sites=sites, period=period),
        "series": ticket_series(sites=sites, period=period),
        "csat": csat_split(sites=sites, period=period),
        "deflection": deflection(sites=sites, period=period),
        "triage": ai_triage(sites=sites, period=period),
        "clusters": problem_clusters(sites=sites, period=period),
        "unanswered": unanswered(sites=sites, period=period),
    }


@dataclass(frozen=True)
class Figure:
    """One number of the page, as the page shows it and as the CSV export writes it."""

    section: str
    name: str
    value: float | int | None
    unit: str  # count, share, minutes or rating

    @property
    def csv_value(self) -> str:
        if self.value is None:
            return ""
        digits = {"count": 0, "share": 3, "minutes": 1, "rating": 2}[self.unit]
        return str(int(self.value)) if digits == 0 else f"{self.value:.{digits}f}"

    @property
    def display(self) -> str:
        if self.value is None:
            return "–"
        if self.unit == "share":
            return f"{self.value:.0%}"
        if self.unit == "minutes":
            return duration_text(self.value)
        if self.unit == "rating":
            return f"{self.value:.1f} / 5"
        return str(int(self.value))


def duration_text(minutes: float) -> str:
    if minutes < 60:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{int(minutes // 60)} h {int(minutes % 60)} min"
    return f"{int(minutes // (24 * 60))} d {int(minutes % (24 * 60) // 60)} h"


def insight_figures(report: dict) -> list[Figure]:
    """The report as (section, name, value, unit) rows: the page's tables and the CSV are both these."""
    return summary_figures(report) + detail_figures(report)


def summary_figures(report: dict) -> list[Figure]:
    """The headline figures, one small table per section on the page."""
    flow, csat, chats, triage = report["flow"], report["csat"], report["deflection"], report["triage"]
    figures = [
        Figure("Tickets", "Opened (in)", flow["tickets_in"], "count"),
        Figure("Tickets", "Resolved (out)", flow["tickets_out"], "count"),
        Figure("Tickets", "Open and overdue now", flow["overdue_now"], "count"),
        Figure("First response", "Responded", flow["responded"], "count"),
        Figure("First response", "Median", flow["response_median"], "minutes"),
        Figure("First response", "90th percentile", flow["response_p90"], "minutes"),
        Figure("First response", "Within target", within_share(flow, "response"), "share"),
        Figure("First response", "Breaches", flow["response_breached"], "count"),
        Figure("Resolution", "Resolved", flow["tickets_out"], "count"),
        Figure("Resolution", "Median", flow["resolution_median"], "minutes"),
        Figure("Resolution", "90th percentile", flow["resolution_p90"], "minutes"),
        Figure("Resolution", "Within target", within_share(flow, "resolution"), "share"),
        Figure("Resolution", "Breaches", flow["resolution_breached"], "count"),
        Figure("CSAT", "Solved by an engineer: ratings", csat["engineer_ratings"], "count"),
        Figure("CSAT", "Solved by an engineer: average", csat["engineer_average"], "rating"),
        Figure("CSAT", "Solved by an engineer: satisfied", csat["engineer_satisfied_share"], "share"),
        Figure("CSAT", "Solved by the assistant: ratings", csat["assistant_ratings"], "count"),
        Figure("CSAT", "Solved by the assistant: satisfied", csat["assistant_satisfied_share"], "share"),
        Figure("Deflection", "Chats started", chats["chats"], "count"),
        Figure("Deflection", "Solved without a ticket", chats["deflected"], "count"),
        Figure("Deflection", "Turned into a ticket", chats["escalated"], "count"),
        Figure("Deflection", "Deflection rate", chats["deflection_rate"], "share"),
        Figure("AI triage", "Tickets opened", triage["tickets"], "count"),
        Figure("AI triage", "Triaged automatically", triage["auto_triaged"], "count"),
        Figure("AI triage", "Coverage", triage["coverage"], "share"),
        Figure("AI triage", "Corrected by an engineer", triage["corrected"], "count"),
        Figure("AI triage", "Correction rate", triage["correction_rate"], "share"),
        Figure("Assistant could not answer", "Answers given", report["unanswered"]["answers"], "count"),
        Figure(
            "Assistant could not answer", "Out of scope (not IT)", report["unanswered"]["off_topic"], "count"
        ),
    ]
    figures += [
        Figure("Assistant could not answer", f"Nothing to answer from: {language}", count, "count")
        for language, count in report["unanswered"]["no_match_languages"]
    ]
    for row in report["sla_by_priority"]:
        figures.append(
            Figure(
                "SLA by priority",
                f"{row['priority']}: first response within target",
                row["response_within_share"],
                "share",
            )
        )
        figures.append(
            Figure(
                "SLA by priority",
                f"{row['priority']}: resolution within target",
                row["resolution_within_share"],
                "share",
            )
        )
    return figures


def detail_figures(report: dict) -> list[Figure]:
    """The ranked clusters and the tickets per bucket, shown as their own lists on the page."""
    figures = []
    for kind, clusters in (
        ("with a KB article", report["clusters"].covered),
        ("without a KB article", report["clusters"].uncovered),
    ):
        figures += [
            Figure(f"Problem clusters {kind}", f"{cluster.title} ({cluster.site})", cluster.cases, "count")
            for cluster in clusters
        ]
    figures += [
        Figure(
            f"Tickets per {report['period'].bucket}",
            f"{row['bucket']:%Y-%m-%d} {direction}",
            row[direction],
            "count",
        )
        for row in report["series"]
        for direction in ("in", "out")
    ]
    return figures
