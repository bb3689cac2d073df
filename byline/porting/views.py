"""Admin views: importing a members CSV in three steps — upload, preview (first rows and every problem),
import. The uploaded file waits in the data directory under a random name between preview and import,
and is deleted once imported (or left to `byline`'s next upload of the same staff user to replace)."""

import secrets
from pathlib import Path

from django import forms
from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from byline.porting import services
from byline.porting.members_csv import read_members
from byline.porting.report import ImportFailed, Report

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
PROBLEMS_SHOWN = 100
TOKEN_LENGTH = 32


def upload_folder() -> Path:
    folder = Path(settings.DATA_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _newsletter_choices():
    Newsletter = apps.get_model("newsletters", "Newsletter")
    return [("", "Those marked “subscribe on sign-up”")] + [
        (newsletter.slug, newsletter.name) for newsletter in Newsletter.objects.active()
    ]


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Members CSV", help_text="Ghost's member export, or any CSV with an email column."
    )
    newsletter = forms.ChoiceField(required=False, label="Subscribe new members to")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["newsletter"].choices = _newsletter_choices()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        return upload


def _stored(token: str) -> Path | None:
    """The waiting upload for a token, or None; the token must be ours (hex, right length): no paths."""
    if len(token) != TOKEN_LENGTH or any(char not in "0123456789abcdef" for char in token):
        return None
    path = upload_folder() / f"members-{token}.csv"
    return path if path.is_file() else None


def import_members(request):
    if not request.user.has_perm("members.add_member"):
        raise PermissionDenied
    context = {"form": UploadForm(), "step": "upload"}
    if request.method == "POST" and request.POST.get("step") == "import":
        return _import(request)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            return _preview(request, form)
    return TemplateResponse(request, "porting/admin/members_import.html", context)


def _preview(request, form):
    token = secrets.token_hex(TOKEN_LENGTH // 2)
    path = upload_folder() / f"members-{token}.csv"
    with path.open("wb") as out:
        for chunk in form.cleaned_data["file"].chunks():
            out.write(chunk)
    report = Report(source=form.cleaned_data["file"].name, dry_run=True)
    try:
        parsed = read_members(path, report, display_name=form.cleaned_data["file"].name)
    except ImportFailed as error:
        path.unlink(missing_ok=True)
        form.add_error("file", str(error))
        return TemplateResponse(
            request, "porting/admin/members_import.html", {"form": form, "step": "upload"}
        )
    context = {
        "step": "preview",
        "token": token,
        "newsletter": form.cleaned_data["newsletter"],
        "filename": form.cleaned_data["file"].name,
        "columns": list(parsed.preview[0]) if parsed.preview else [],
        "preview": [list(row.values()) for row in parsed.preview],
        "good_rows": len(parsed.rows),
        "problems": report.problems[:PROBLEMS_SHOWN],
        "more_problems": max(len(report.problems) - PROBLEMS_SHOWN, 0),
    }
    return TemplateResponse(request, "porting/admin/members_import.html", context)


def _import(request):
    path = _stored(request.POST.get("token", ""))
    if path is None:
        return _start_again(
            request, "That upload is no longer waiting (already imported?). Upload the file again."
        )
    try:
        report = services.import_members(str(path), newsletter=request.POST.get("newsletter") or None)
    except ImportFailed as error:
        return _start_again(request, str(error).replace(str(path), "The file"))
    finally:
        path.unlink(missing_ok=True)
    context = {
        "step": "done",
        "created": report.get("member", "created"),
        "existing": report.get("member", "existing"),
        "skipped": report.get("member", "skipped"),
    }
    return TemplateResponse(request, "porting/admin/members_import.html", context)


def _start_again(request, message: str):
    context = {"form": UploadForm(), "step": "upload", "error": message}
    return TemplateResponse(request, "porting/admin/members_import.html", context, status=400)


def code_injection(request):
    """Imported code injection, for an editor to review: shown as text, never run. Ghost put these
    snippets in a post's <head> or before </body>; Byline keeps them (ImportedSource) but does not put
    them on the site, where its Content-Security-Policy would block inline scripts anyway and where
    code nobody here has read should not run. An editor moves what is still wanted into the theme."""
    if not request.user.is_superuser:  # code that could run on the site: for the site's administrators
        raise PermissionDenied
    from django.db.models import Q

    from byline.porting.models import ImportedSource

    sources = (
        ImportedSource.objects.exclude(Q(codeinjection_head="") & Q(codeinjection_foot=""))
        .select_related("page")
        .order_by("page__title")
    )
    return TemplateResponse(request, "porting/admin/code_injection.html", {"sources": sources})
