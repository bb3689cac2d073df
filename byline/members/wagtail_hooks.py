"""Members in Wagtail's admin: the listing (search, filters, CSV export), a member's detail page, and the
dashboard panel with the members chart.

Apps above members (newsletters, comments) add sections to a member's detail page through the
`register_member_detail_panel` hook: a function taking (request, member) and returning a Wagtail
Component or None. Members never imports them (DESIGN.md, floors).
"""

from datetime import timedelta

import django_filters
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.components import Component
from wagtail.admin.views.generic import InspectView
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import IndexView, SnippetViewSet

from byline.lib.spreadsheet import safe_cell
from byline.members.models import Label, Member, SignInToken
from byline.newsletters.models import Newsletter

CHART_WEEKS = 26


class MemberFilterSet(WagtailFilterSet):
    created_at = django_filters.DateFromToRangeFilter(label="Signed up")
    newsletters = django_filters.ModelChoiceFilter(queryset=Newsletter.objects.all(), label="Newsletter")
    labels = django_filters.ModelChoiceFilter(queryset=Label.objects.all(), label="Label")

    class Meta:
        model = Member
        fields = ["status", "email_disabled"]


class LinksSentPanel(Component):
    """The last magic links emailed for this member: when, what for, and whether they were used."""

    template_name = "members/admin/links_sent_panel.html"

    def __init__(self, member):
        self.member = member

    def get_context_data(self, parent_context=None):
        links = SignInToken.objects.filter(email=self.member.email).order_by("-created_at")[:10]
        return {"links": links, "now": timezone.now()}


class MemberInspectView(InspectView):
    template_name = "members/admin/member_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        panels = [LinksSentPanel(self.object)]
        for make_panel in hooks.get_hooks("register_member_detail_panel"):
            panel = make_panel(self.request, self.object)
            if panel is not None:
                panels.append(panel)
        context["detail_panels"] = panels
        return context

    def get_newsletters_display_value(self):
        return ", ".join(item.name for item in self.object.newsletters.all()) or "None"


def _iso(value) -> str:
    return value.isoformat() if value else ""


class MemberIndexView(IndexView):
    # Ghost's member CSV columns, so the file imports into Ghost or back into Byline unchanged.
    custom_field_preprocess = {
        "created_at": {"csv": _iso, "xlsx": _iso},
        "last_seen_at": {"csv": _iso, "xlsx": _iso},
        "subscribed_to_emails": {"csv": lambda value: "true" if value else "false"},
        "email_disabled": {"csv": lambda value: "true" if value else "false"},
        "uuid": {"csv": str, "xlsx": str},
    }

    def write_csv_row(self, writer, row_dict):
        # Every cell goes through safe_cell: members type their own names (CSV injection).
        return writer.writerow(
            {
                field: safe_cell(self.preprocess_field_value(field, value, self.FORMAT_CSV))
                for field, value in row_dict.items()
            }
        )


class MemberViewSet(SnippetViewSet):
    """Members join by magic link; editors look them up, label them, take notes, export and delete."""

    model = Member
    icon = "group"
    menu_label = "Members"
    menu_order = 230
    add_to_admin_menu = True
    list_display = ["email", "name", "status", "created_at"]
    filterset_class = MemberFilterSet
    search_fields = ["email", "name"]
    search_backend_name = None  # plain database lookups: members are not in the search index
    index_view_class = MemberIndexView
    list_export = [
        "uuid",
        "email",
        "name",
        "note",
        "subscribed_to_emails",
        "label_names",
        "newsletter_slugs",
        "email_disabled",
        "created_at",
        "last_seen_at",
    ]
    export_headings = {
        "uuid": "id",
        "email": "email",
        "name": "name",
        "note": "note",
        "subscribed_to_emails": "subscribed_to_emails",
        "label_names": "labels",
        "newsletter_slugs": "newsletters",
        "email_disabled": "email_disabled",
        "created_at": "created_at",
        "last_seen_at": "last_seen_at",
    }
    export_filename = "members"
    inspect_view_enabled = True
    inspect_view_class = MemberInspectView
    inspect_view_fields = [
        "email",
        "name",
        "status",
        "newsletters",
        "labels",
        "email_disabled",
        "note",
        "created_at",
        "last_seen_at",
    ]
    panels = [
        FieldPanel("name"),
        FieldPanel("email"),
        FieldPanel("status", read_only=True),
        FieldPanel("labels"),
        FieldPanel("newsletters"),
        FieldPanel("email_disabled"),
        FieldPanel("note"),
    ]

    def get_queryset(self, request):
        # The export reads every member's newsletters and labels: two queries, not two per member.
        return Member.objects.prefetch_related("newsletters", "labels")


register_snippet(MemberViewSet)


# Dashboard ---------------------------------------------------------------------------------------------


def members_by_week(weeks: int = CHART_WEEKS, *, today=None) -> list[tuple]:
    """[(first day of the week, members at the end of that week)] for the last `weeks` weeks.

    Two queries whatever the number of members: the count before the window, and sign-ups per day in it.
    """
    today = today or timezone.localdate()
    start = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    window_start = timezone.make_aware(timezone.datetime.combine(start, timezone.datetime.min.time()))
    total = Member.objects.filter(created_at__lt=window_start).count()
    per_day = dict(
        Member.objects.filter(created_at__gte=window_start)
        .annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    series = []
    for week in range(weeks):
        week_start = start + timedelta(weeks=week)
        total += sum(per_day.get(week_start + timedelta(days=day), 0) for day in range(7))
        series.append((week_start, total))
    return series


def chart_geometry(series, *, width=600, height=160, padding=24) -> dict:
    """Coordinates for the SVG line chart: the line, the area under it, and the axis labels."""
    top = max((total for _, total in series), default=0) or 1
    step = (width - 2 * padding) / max(len(series) - 1, 1)

    def point(index, total):
        x = padding + index * step
        y = height - padding - (total / top) * (height - 2 * padding)
        return f"{x:.1f},{y:.1f}"

    points = [point(index, total) for index, (_, total) in enumerate(series)]
    baseline = height - padding
    return {
        "width": width,
        "height": height,
        "line": " ".join(points),
        "area": f"{padding},{baseline} " + " ".join(points) + f" {width - padding},{baseline}",
        "top": top,
        "top_y": padding,
        "baseline": baseline,
        "left": padding,
        "right": width - padding,
    }


class MembersPanel(Component):
    name = "members"
    order = 150
    template_name = "members/admin/dashboard_panel.html"

    def get_context_data(self, parent_context=None):
        series = members_by_week()
        week_ago = timezone.now() - timedelta(days=7)
        return {
            "total": series[-1][1] if series else Member.objects.count(),
            "new_this_week": Member.objects.filter(created_at__gte=week_ago).count(),
            "series": series,
            "chart": chart_geometry(series),
        }


@hooks.register("construct_homepage_panels")
def add_members_panel(request, panels):
    if request.user.has_perm("members.view_member"):
        panels.append(MembersPanel())
