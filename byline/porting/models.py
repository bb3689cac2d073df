"""What an import brings that Byline does not use, kept for a faithful round trip and for provenance."""

from django.db import models


class ImportedSource(models.Model):
    """The original of an imported story or page: its id there, its editor's document, its code injection.

    Ghost's `lexical` (Ghost 5+) and `mobiledoc` (Ghost 1–4) are kept verbatim so an export back to
    Ghost loses nothing; Byline itself reads the `html` of the export.
    """

    GHOST = "ghost"
    WORDPRESS = "wordpress"
    SYSTEM_CHOICES = [(GHOST, "Ghost"), (WORDPRESS, "WordPress")]

    page = models.OneToOneField("wagtailcore.Page", on_delete=models.CASCADE, related_name="imported_source")
    system = models.CharField(max_length=20, choices=SYSTEM_CHOICES)
    original_id = models.CharField(max_length=64, blank=True, db_index=True)
    original_uuid = models.CharField(max_length=64, blank=True)
    lexical = models.TextField(blank=True)
    mobiledoc = models.TextField(blank=True)
    codeinjection_head = models.TextField(blank=True)
    codeinjection_foot = models.TextField(blank=True)
    original_feature_image = models.URLField(max_length=2000, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.get_system_display()} {self.original_id}"
